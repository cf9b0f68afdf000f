"""Personal FSRS parameters: fitted in the background, never in a request, applied to
every card; settings that change scheduling re-derive the learner's cards."""

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from quizapp.study import scheduling, services
from quizapp.study.fitting import DEFAULT_PARAMETERS
from quizapp.study.models import CardState, LearnerSettings, Review
from quizapp.study.services import (
    card_rederive,
    learner_parameters_fit,
    learner_settings_update,
    memory_of,
    review_record,
)
from quizapp.study.tasks import fit_learner_parameters
from tests.factories import QuestionFactory
from tests.study.conftest import START


def simulate_history(user, deck, *, cards=60, days=120):
    """Reviews made the way a learner would: due cards answered, mostly recalled."""
    rng = __import__("random").Random(7)
    questions = [QuestionFactory(deck=deck) for _ in range(cards)]
    reviews = []
    for question in questions:
        memory, at = scheduling.NEW_CARD, START + timedelta(minutes=rng.randrange(600))
        while at < START + timedelta(days=days):
            recall = scheduling.predicted_recall(
                memory, now=at, config=scheduling.SchedulerConfig()
            )
            rating = 3 if rng.random() < (recall if recall is not None else 0.6) else 1
            if rating == 3 and rng.random() < 0.15:
                rating = rng.choice([2, 4])
            reviews.append(
                Review(
                    uuid=uuid.uuid4(),
                    user=user,
                    question=question,
                    rating=rating,
                    reviewed_at=at,
                    received_at=at,
                )
            )
            memory = scheduling.apply_review(
                memory,
                scheduling.ReviewInput(rating, at),
                config=scheduling.SchedulerConfig(),
                card_id=question.pk,
            )
            at = max(memory.due, at + timedelta(minutes=1))
    Review.objects.bulk_create(reviews)
    for question in questions:
        card, _ = CardState.objects.get_or_create(user=user, question=question)
        card_rederive(card=card, settings=services.learner_settings_get(user=user))
    return questions


def test_every_n_new_reviews_queue_a_background_fit_not_run_in_the_request(
    learner, questions, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "REFIT_EVERY", 3)
    with django_capture_on_commit_callbacks(execute=True):
        for minutes in range(2):
            review_record(
                user=learner,
                question=questions[0],
                rating=3,
                reviewed_at=START + timedelta(minutes=minutes),
                review_id=uuid.uuid4(),
            )
    assert not DBTaskResult.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        review_record(
            user=learner, question=questions[1], rating=3, reviewed_at=START, review_id=uuid.uuid4()
        )
    (task,) = DBTaskResult.objects.all()
    assert task.task_path.endswith("fit_learner_parameters")
    assert task.status == "READY"
    assert task.args_kwargs["kwargs"] == {"user_id": learner.pk}
    assert LearnerSettings.objects.get(user=learner).parameters is None  # not fitted inline


def test_a_learner_who_keeps_studying_queues_one_fit_per_threshold_not_one_per_upload(
    learner, questions, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "REFIT_EVERY", 3)

    def study(count, *, at):
        with django_capture_on_commit_callbacks(execute=True):
            services.reviews_record_batch(
                user=learner,
                payloads=[
                    services.ReviewPayload(
                        uuid.uuid4(), questions[n % 2].pk, 3, at + timedelta(minutes=n)
                    )
                    for n in range(count)
                ],
            )
        return DBTaskResult.objects.count()

    assert study(2, at=START) == 0
    assert study(1, at=START + timedelta(hours=1)) == 1  # 3: the threshold
    # The worker has not run the fit yet: studying on queues nothing more ...
    assert study(1, at=START + timedelta(hours=2)) == 1
    assert study(1, at=START + timedelta(hours=3)) == 1
    # ... until the next multiple, in case the first fit was lost; a batch that passes two
    # multiples at once queues one.
    assert study(1, at=START + timedelta(hours=4)) == 2  # 6
    assert study(7, at=START + timedelta(hours=5)) == 3  # 13
    assert LearnerSettings.objects.get(user=learner).reviews_since_fit == 13


def test_a_fit_keeps_settings_changed_and_reviews_counted_while_it_ran(learner, deck, monkeypatch):
    from quizapp.study import fitting

    questions = simulate_history(learner, deck)
    LearnerSettings.objects.filter(user=learner).update(reviews_since_fit=40)
    fit = fitting.fit_parameters

    def fit_while_the_learner_studies(*args, **kwargs):
        fitted = fit(*args, **kwargs)
        learner_settings_update(user=learner, desired_retention=0.85, new_cards_per_day=7)
        for minutes in range(2):
            review_record(
                user=learner,
                question=questions[0],
                rating=3,
                reviewed_at=START + timedelta(days=100, minutes=minutes),
                review_id=uuid.uuid4(),
            )
        return fitted

    monkeypatch.setattr(fitting, "fit_parameters", fit_while_the_learner_studies)
    assert learner_parameters_fit(user=learner) is not None
    settings = LearnerSettings.objects.get(user=learner)
    assert (settings.desired_retention, settings.new_cards_per_day) == (0.85, 7)
    assert settings.parameters is not None and settings.parameters != list(DEFAULT_PARAMETERS)
    assert settings.reviews_since_fit == 2  # the 40 went into the fit; the 2 made during it not
    config = services.scheduler_config(settings)
    assert config.desired_retention == 0.85
    reviews = Review.objects.for_card(learner, questions[0]).in_replay_order()
    assert memory_of(CardState.objects.get(user=learner, question=questions[0])) == (
        scheduling.replay(
            [scheduling.ReviewInput(r.rating, r.reviewed_at) for r in reviews],
            config=config,
            card_id=questions[0].pk,
        )
    )


def test_the_fit_task_keeps_defaults_when_data_is_thin(learner, questions):
    review_record(
        user=learner, question=questions[0], rating=3, reviewed_at=START, review_id=uuid.uuid4()
    )
    assert fit_learner_parameters.call(user_id=learner.pk) == {
        "user_id": learner.pk,
        "fitted": False,
    }
    assert LearnerSettings.objects.get(user=learner).parameters is None


def test_fitting_stores_personal_parameters_and_rederives_every_card(learner, deck):
    questions = simulate_history(learner, deck)
    fitted = learner_parameters_fit(user=learner)
    assert fitted is not None
    settings = LearnerSettings.objects.get(user=learner)
    assert len(settings.parameters) == 21 and settings.parameters != list(DEFAULT_PARAMETERS)
    assert settings.parameters_review_count == Review.objects.filter(user=learner).count()
    config = services.scheduler_config(settings)
    for question in questions[:5]:
        reviews = Review.objects.for_card(learner, question).in_replay_order()
        expected = scheduling.replay(
            [scheduling.ReviewInput(r.rating, r.reviewed_at) for r in reviews],
            config=config,
            card_id=question.pk,
        )
        assert memory_of(CardState.objects.get(user=learner, question=question)) == expected


def test_optimize_scheduler_command_reports_each_learner(learner, other_student, deck, capsys):
    simulate_history(learner, deck)
    call_command("optimize_scheduler", verbosity=0)
    out = capsys.readouterr().out
    assert f"{learner}: fitted on" in out
    assert "for the parameters in use, applied" in out
    assert "1 fitted, 0 kept their parameters (the fit was worse), 0 had too few reviews" in out
    with pytest.raises(Exception, match="no user 'ghost'"):
        call_command("optimize_scheduler", user="ghost", verbosity=0)


def test_changing_desired_retention_reschedules_cards(learner, questions):
    review_record(
        user=learner, question=questions[0], rating=4, reviewed_at=START, review_id=uuid.uuid4()
    )
    due_at_90 = CardState.objects.get(user=learner, question=questions[0]).due
    learner_settings_update(user=learner, desired_retention=0.95)
    due_at_95 = CardState.objects.get(user=learner, question=questions[0]).due
    assert due_at_95 < due_at_90  # higher retention: sooner reviews


def test_settings_outside_their_ranges_are_refused(learner):
    from django.core.exceptions import ValidationError

    for bad in ({"desired_retention": 0.5}, {"day_start_hour": 24}, {"new_cards_per_day": 501}):
        with pytest.raises(ValidationError):
            learner_settings_update(user=learner, **bad)
    with pytest.raises(ValueError, match="not a learner setting"):
        learner_settings_update(user=learner, parameters=[1.0])
    assert services.learner_settings_get(user=learner).desired_retention == 0.9


@pytest.mark.django_db(transaction=True)
def test_the_fit_runs_outside_any_transaction(student, deck, monkeypatch):
    """On SQLite a transaction holds the database's write lock: a fit inside one would stop
    every learner's writes for as long as it takes."""
    from django.db import connection

    from quizapp.study import fitting

    simulate_history(student, deck)
    fit, during = fitting.fit_parameters, []

    def fit_and_look(*args, **kwargs):
        during.append(connection.in_atomic_block)
        return fit(*args, **kwargs)

    monkeypatch.setattr(fitting, "fit_parameters", fit_and_look)
    assert learner_parameters_fit(user=student) is not None
    assert during == [False]


def fit_returning(parameters):
    """Stands in for the optimiser: fits the given weights on the learner's real items."""
    from quizapp.study import fitting

    fit = fitting.fit_parameters

    def fitted(*args, **kwargs):
        real = fit(*args, **kwargs)
        return replace(real, parameters=tuple(parameters))

    return fitted


# Plausible weights that predict a learner who behaves like the defaults badly: initial
# stabilities ten times too long.
WORSE = (*(w * 10 for w in DEFAULT_PARAMETERS[:4]), *DEFAULT_PARAMETERS[4:])


def test_a_refit_that_predicts_the_history_worse_is_refused(learner, deck, monkeypatch):
    from quizapp.study import fitting

    questions = simulate_history(learner, deck)
    before = memory_of(CardState.objects.get(user=learner, question=questions[0]))
    monkeypatch.setattr(fitting, "fit_parameters", fit_returning(WORSE))
    fit = learner_parameters_fit(user=learner)
    assert fit is not None and not fit.applied
    assert fit.log_loss > fit.current_log_loss
    settings = LearnerSettings.objects.get(user=learner)
    assert settings.parameters is None and settings.parameters_fitted_at is None
    assert settings.last_fit_applied is False
    assert (settings.last_fit_log_loss, settings.last_fit_current_log_loss) == (
        fit.log_loss,
        fit.current_log_loss,
    )
    assert settings.last_fit_at is not None
    assert memory_of(CardState.objects.get(user=learner, question=questions[0])) == before


def test_a_refit_that_predicts_the_history_better_replaces_the_parameters(
    learner, deck, monkeypatch
):
    from quizapp.study import fitting

    questions = simulate_history(learner, deck)
    LearnerSettings.objects.filter(user=learner).update(parameters=list(WORSE))
    monkeypatch.setattr(fitting, "fit_parameters", fit_returning(DEFAULT_PARAMETERS))
    fit = learner_parameters_fit(user=learner)
    assert fit is not None and fit.applied
    assert fit.log_loss < fit.current_log_loss
    settings = LearnerSettings.objects.get(user=learner)
    assert settings.parameters == list(DEFAULT_PARAMETERS)
    assert settings.parameters_fitted_at == settings.last_fit_at
    assert settings.last_fit_applied is True
    card = CardState.objects.get(user=learner, question=questions[0])
    reviews = Review.objects.for_card(learner, questions[0]).in_replay_order()
    assert memory_of(card) == scheduling.replay(
        [scheduling.ReviewInput(r.rating, r.reviewed_at) for r in reviews],
        config=services.scheduler_config(settings),
        card_id=questions[0].pk,
    )


def test_a_refit_exactly_as_good_is_applied(learner, deck, monkeypatch):
    from quizapp.study import fitting

    simulate_history(learner, deck)
    monkeypatch.setattr(fitting, "fit_parameters", fit_returning(DEFAULT_PARAMETERS))
    fit = learner_parameters_fit(user=learner)
    assert fit is not None and fit.log_loss == fit.current_log_loss and fit.applied
