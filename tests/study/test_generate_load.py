from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from quizapp.bank.models import Deck, DeckQuestion, Question
from quizapp.classroom.models import Classroom, Enrolment
from quizapp.study.management.commands.generate_load import apportion, share
from quizapp.study.models import CardState, LearnerSettings, Review, ReviewDay
from quizapp.study.review_days import card_states_before, review_days_recount
from quizapp.study.scheduling import ReviewInput
from quizapp.study.services import scheduler_config
from tests.factories import QuestionFactory

TINY = ("--learners=3", "--cards=20", "--reviews=200", "--until=2026-01-01", "--workers=1")


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_load", *TINY, "--classes=2", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def learners():
    return get_user_model().objects.filter(username__startswith="load-learner-")


@pytest.mark.django_db
def test_generates_the_requested_counts():
    output = generate()
    assert learners().count() == 3
    assert LearnerSettings.objects.filter(user__in=learners()).count() == 3
    assert Question.objects.filter(slug__startswith="load-", status="published").count() == 20
    assert DeckQuestion.objects.filter(question__slug__startswith="load-").count() == 20
    assert Deck.objects.filter(slug__startswith="load-").count() == 1
    assert Review.objects.count() == 200
    per_learner = sorted(Review.objects.filter(user=u).count() for u in learners())
    assert per_learner == [66, 67, 67]
    # Cards are started as learners study them: each card state has reviews.
    assert 0 < CardState.objects.count() <= 3 * 20
    assert not CardState.objects.filter(reps=0).exists()
    assert Classroom.objects.filter(name__startswith="load-").count() == 2
    assert Enrolment.objects.filter(student__in=learners()).count() == 3
    assert "200 reviews" in output


@pytest.mark.django_db
def test_reviews_are_spread_over_the_days_before_until_with_random_ids():
    generate("--days=30")
    times = Review.objects.order_by("reviewed_at").values_list("reviewed_at", flat=True)
    assert str(times.first()) >= "2025-11-29"
    assert str(times.last()) < "2026-01-01"
    ids = list(Review.objects.values_list("uuid", flat=True))
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {4}


@pytest.mark.django_db
def test_card_states_are_exactly_the_replay_of_the_generated_reviews():
    generate()
    out = StringIO()
    call_command("verify_card_states", stdout=out, stderr=StringIO(), verbosity=0)
    assert out.getvalue().strip().endswith(f"{CardState.objects.count()} cards checked, 0 drifted")


@pytest.mark.django_db
def test_review_classes_and_day_totals_agree_with_the_log():
    generate()
    for settings in LearnerSettings.objects.filter(user__in=learners()):
        config = scheduler_config(settings)
        for card in CardState.objects.filter(user_id=settings.user_id):
            reviews = list(
                Review.objects.for_card(card.user_id, card.question_id).in_replay_order()
            )
            _, states = card_states_before(
                [ReviewInput(r.rating, r.reviewed_at) for r in reviews],
                reset_at=None,
                config=config,
                card_id=card.question_id,
            )
            assert [r.state_before for r in reviews] == states
        stored = {
            day.day: (day.reviews, day.again, day.new_cards, day.duration_ms)
            for day in ReviewDay.objects.filter(user_id=settings.user_id)
        }
        counted = {
            day: (t.reviews, t.again, t.new_cards, t.duration_ms)
            for day, t in review_days_recount(settings=settings).items()
        }
        assert stored == counted


@pytest.mark.django_db
def test_refuses_politely_when_load_data_exists():
    generate()
    with pytest.raises(CommandError, match=r"already exists.*--reset"):
        generate()
    assert Review.objects.count() == 200


@pytest.mark.django_db
def test_reset_replaces_the_load_data_and_leaves_other_data_alone(student):
    other = QuestionFactory()
    CardState.objects.create(user=student, question=other)
    generate()
    generate("--reset", "--reviews=90")
    assert learners().count() == 3
    assert Review.objects.count() == 90
    assert Question.objects.filter(slug__startswith="load-").count() == 20
    assert Classroom.objects.filter(name__startswith="load-").count() == 2
    assert CardState.objects.filter(user=student, question=other).exists()


@pytest.mark.django_db
def test_a_learners_history_does_not_depend_on_the_other_learners():
    def history():
        return list(
            Review.objects.filter(user__username="load-learner-1")
            .order_by("reviewed_at")
            .values_list("question__slug", "rating", "reviewed_at", "uuid")
        )

    # Learner 1's share of 200 reviews among 3 learners is 66.
    call_command(
        "generate_load", *TINY, "--learners=1", "--reviews=66", stdout=StringIO(), stderr=StringIO()
    )
    alone = history()
    call_command("generate_load", *TINY, "--reset", stdout=StringIO(), stderr=StringIO())
    assert history() == alone


def test_refuses_more_reviews_than_fit_in_the_days():
    with pytest.raises(CommandError, match="raise --days"):
        call_command("generate_load", "--learners=1", "--reviews=10000", "--days=10")


@pytest.mark.parametrize(
    ("total", "weights"),
    [(200, [1.0, 0.0, 2.5, 0.7]), (7, [0.3] * 10), (0, [1.0, 1.0]), (5, [0.0, 0.0])],
)
def test_apportion_adds_up_to_exactly_the_total(total, weights):
    parts = apportion(total, weights)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)


def test_shares_add_up_to_the_total():
    assert sum(share(2_000_003, 1000, i) for i in range(1000)) == 2_000_003


@pytest.mark.django_db
def test_an_extra_learner_has_exactly_their_reviews_and_a_history_of_their_own():
    def history(username):
        return list(
            Review.objects.filter(user__username=username)
            .order_by("reviewed_at")
            .values_list("question__slug", "rating", "reviewed_at", "uuid")
        )

    output = generate("--extra-learner=150", "--extra-learner=20")
    assert learners().count() == 5
    assert Review.objects.filter(user__username="load-learner-1000001").count() == 150
    assert Review.objects.filter(user__username="load-learner-1000002").count() == 20
    assert Review.objects.count() == 200 + 150 + 20
    assert "5 learners" in output
    extra = history("load-learner-1000001")
    # Numbered apart from the others, so --learners does not change their history.
    call_command(
        "generate_load",
        *TINY,
        "--learners=1",
        "--reviews=66",
        "--extra-learner=150",
        "--reset",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert history("load-learner-1000001") == extra
    out = StringIO()
    call_command("verify_card_states", stdout=out, stderr=StringIO(), verbosity=0)
    assert out.getvalue().strip().endswith(f"{CardState.objects.count()} cards checked, 0 drifted")


@pytest.mark.django_db
def test_a_quiz_class_has_a_quiz_assigned_and_graded_attempts_outside_the_review_log():
    from quizapp.classroom.models import Assignment
    from quizapp.quizzes.models import Attempt, AttemptQuestion, Response
    from quizapp.quizzes.selectors import quiz_item_analysis

    output = generate("--quiz-class=3", "--quiz-class=2")
    quiz_classes = Classroom.objects.filter(name__startswith="load-quiz-class-").order_by("name")
    assert [c.enrolments.count() for c in quiz_classes] == [3, 2]
    assert sorted(quiz_classes[1].students.values_list("username", flat=True)) == [
        "load-learner-1",
        "load-learner-2",
    ]
    assignment = Assignment.objects.get(classroom=quiz_classes[0])
    assert assignment.quiz.items.count() == 20
    attempts = Attempt.objects.filter(quiz=assignment.quiz)
    assert set(attempts.values_list("status", flat=True)) == {Attempt.Status.SUBMITTED}
    assert attempts.values("user").distinct().count() == 3
    for attempt in attempts:
        responses = Response.objects.filter(attempt_question__attempt=attempt)
        assert AttemptQuestion.objects.filter(attempt=attempt).count() == responses.count() == 20
        assert attempt.score == sum(r.points_awarded for r in responses)
        assert attempt.submitted_at < datetime(2026, 1, 1, tzinfo=UTC)
    assert quiz_item_analysis(quiz=assignment.quiz).attempts == 3
    assert Review.objects.count() == 200  # quiz answers are not in the review log
    assert f"{Attempt.objects.count()} quiz attempts" in output
    # --reset removes quizzes and attempts with the rest of the load data.
    generate("--reset")
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--extra-learner=0"], "at least 1 review"),
        (["--extra-learner=200000", "--days=30"], "raise --days"),
        (["--quiz-class=4"], "as many students as learners"),
    ],
)
def test_refuses_extra_learners_and_quiz_classes_that_cannot_be_made(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_load", *TINY, *args)


@pytest.mark.django_db
def test_rows_are_stamped_when_a_live_server_would_have_written_them():
    generate("--days=30")
    until = datetime(2026, 1, 1, tzinfo=UTC)
    assert all(card.updated_at == card.last_review for card in CardState.objects.all())
    assert not Question.objects.filter(slug__startswith="load-", updated_at__gte=until).exists()
    assert not Deck.objects.filter(slug__startswith="load-", updated_at__gte=until).exists()
    assert not LearnerSettings.objects.filter(updated_at__gte=until).exists()
