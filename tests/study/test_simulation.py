"""The workload simulator: its output, its monotonicity in retention, the learner's own cards and
habits, fsrs-rs's simulator as a cross-check, and running in the background with progress."""

from datetime import UTC, datetime, timedelta

import fsrs_rs_python
import pytest
from django_tasks_db.models import DBTaskResult

from quizapp.study import scheduling, services
from quizapp.study import simulation as simulation_module
from quizapp.study.models import WorkloadSimulation
from quizapp.study.scheduling import NEW_CARD, SchedulerConfig
from quizapp.study.services import (
    review_record,
    workload_habits,
    workload_simulation_request,
    workload_simulation_run,
)
from quizapp.study.simulation import (
    HORIZONS,
    RETENTIONS,
    Habits,
    SimulatedCard,
    simulate_workload,
)
from quizapp.study.tasks import simulate_learner_workload
from tests.factories import QuestionFactory
from tests.study.conftest import START, new_id

NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


def new_cards(count: int) -> list[SimulatedCard]:
    return [SimulatedCard(NEW_CARD)] * count


def simulate(cards, **options):
    defaults = {
        "config": SchedulerConfig(),
        "habits": Habits(),
        "new_per_day": 10,
        "reviews_per_day": 10_000,
        "start": NOON,
    }
    return simulate_workload(cards, **(defaults | options))


def test_the_output_has_every_retention_for_every_horizon():
    calls = []
    result = simulate(new_cards(30), progress=lambda *call: calls.append(call))
    assert result.horizons == HORIZONS == (30, 90, 365)
    assert result.retentions == RETENTIONS
    assert RETENTIONS[0] == 0.70 and RETENTIONS[-1] == 0.97
    for horizon in HORIZONS:
        workloads = result.workloads[horizon]
        assert [w.desired_retention for w in workloads] == list(RETENTIONS)
        assert all(w.days == horizon for w in workloads)
        assert all(w.reviews_per_day > 0 and w.minutes_per_day > 0 for w in workloads)
        assert all(0 < w.memorised <= 30 for w in workloads)
        assert result.recommended(horizon) in RETENTIONS
    assert calls == [(n, len(RETENTIONS)) for n in range(1, len(RETENTIONS) + 1)]
    data = result.as_dict()
    assert set(data["workloads"]) == {"30", "90", "365"}
    assert set(data["workloads"]["365"][0]) == {
        "desired_retention",
        "reviews_per_day",
        "minutes_per_day",
        "memorised",
        "minutes_per_memorised_card",
    }


def test_more_retention_means_more_reviews_and_more_memorised():
    result = simulate(new_cards(200))
    for horizon in (90, 365):
        workloads = result.workloads[horizon]
        reviews = [w.reviews_per_day for w in workloads]
        minutes = [w.minutes_per_day for w in workloads]
        memorised = [w.memorised for w in workloads]
        assert reviews == sorted(reviews) and len(set(reviews)) == len(reviews)
        assert minutes == sorted(minutes)
        assert memorised == sorted(memorised)


def test_it_agrees_with_fsrs_rs_simulator_on_new_cards():
    """fsrs-rs's simulator, from new cards with its default habits: minutes per day and cards
    memorised after a year agree (reviews differ: fsrs-rs does not count learning steps)."""
    retentions = (0.8, 0.9)
    ours = simulate(new_cards(300), new_per_day=10, retentions=retentions, horizons=(365,))
    config = fsrs_rs_python.default_simulator_config()
    config.deck_size, config.learn_span, config.learn_limit = 300, 365, 10
    for ours_at, retention in zip(ours.workloads[365], retentions, strict=True):
        theirs = fsrs_rs_python.simulate(
            list(fsrs_rs_python.DEFAULT_PARAMETERS), retention, config, 7
        )
        assert ours_at.memorised == pytest.approx(theirs.memorized_cnt_per_day[-1], rel=0.05)
        minutes = sum(theirs.cost_per_day) / 60 / 365
        assert ours_at.minutes_per_day == pytest.approx(minutes, rel=0.15)


def test_the_learners_own_cards_come_due():
    # Ten cards learnt 40 days ago with Good: due now, and nothing new to learn.
    config = SchedulerConfig()
    learnt = scheduling.apply_review(
        NEW_CARD, scheduling.ReviewInput(3, NOON - timedelta(days=40)), config=config
    )
    learnt = scheduling.apply_review(
        learnt, scheduling.ReviewInput(3, NOON - timedelta(days=39)), config=config
    )
    assert learnt.due <= NOON
    result = simulate([SimulatedCard(learnt)] * 10, retentions=(0.9,), horizons=(1, 30))
    (first_day,) = result.workloads[1]
    assert first_day.reviews_per_day >= 10
    assert result.started_cards == 10 and result.new_cards == 0


def test_the_daily_review_limit_holds():
    result = simulate(new_cards(300), new_per_day=50, reviews_per_day=20, retentions=(0.95,))
    # New cards ignore the review limit (as Anki's simulator); reviews never exceed it.
    assert result.workloads[30][0].reviews_per_day < 20 + 50 * 4


def test_habits_come_from_the_learners_own_reviews(learner, deck, time_machine):
    time_machine.move_to(START, tick=False)
    questions = [QuestionFactory(deck=deck) for _ in range(25)]
    for question in questions:
        review_record(
            user=learner,
            question=question,
            rating=4,
            reviewed_at=START,
            review_id=new_id(),
            duration_ms=90_000,
        )
    habits = workload_habits(user=learner)
    assert habits.first_ratings == (0.0, 0.0, 0.0, 1.0)
    assert habits.seconds["new"][3] == 60.0  # capped at a minute
    assert habits.recall_ratings == Habits().recall_ratings  # too few reviews: defaults


def test_a_small_collection_is_simulated_at_once(learner, questions, time_machine):
    time_machine.move_to(START, tick=False)
    simulation = workload_simulation_request(user=learner)
    assert simulation.status == WorkloadSimulation.Status.DONE and simulation.progress == 1.0
    result = simulation.result
    assert result["new_cards"] == 5 and result["started_cards"] == 0
    assert result["personal_parameters"] is False
    assert result["recommended"]["365"] in RETENTIONS
    assert not DBTaskResult.objects.exists()


def test_a_large_collection_is_simulated_in_the_background_with_progress(
    learner, questions, time_machine, monkeypatch, django_capture_on_commit_callbacks
):
    time_machine.move_to(START, tick=False)
    monkeypatch.setattr(services, "INLINE_SIMULATION_CARDS", 2)
    with django_capture_on_commit_callbacks(execute=True):
        simulation = workload_simulation_request(user=learner)
        again = workload_simulation_request(user=learner)  # not asked for twice
    assert (simulation.status, again.pk) == (WorkloadSimulation.Status.QUEUED, simulation.pk)
    (task,) = DBTaskResult.objects.all()
    assert task.task_path.endswith("simulate_learner_workload")

    # What the page and the API read while it runs: the row's progress after each retention.
    seen = []
    real = simulation_module.simulate_workload

    def observed(*args, progress, **kwargs):
        def reporting(done, total):
            progress(done, total)
            seen.append(WorkloadSimulation.objects.get(user=learner).progress)

        return real(*args, progress=reporting, **kwargs)

    monkeypatch.setattr(simulation_module, "simulate_workload", observed)
    assert simulate_learner_workload.call(user_id=learner.pk)["status"] == "done"
    assert seen == [n / len(RETENTIONS) for n in range(1, len(RETENTIONS) + 1)]
    simulation.refresh_from_db()
    assert simulation.status == WorkloadSimulation.Status.DONE
    assert simulation.result["new_cards"] == 5


def test_a_simulation_left_queued_by_a_lost_worker_is_asked_for_again(
    learner, questions, time_machine, monkeypatch
):
    time_machine.move_to(START, tick=False)
    monkeypatch.setattr(services, "INLINE_SIMULATION_CARDS", 2)
    first = workload_simulation_request(user=learner)
    time_machine.move_to(START + timedelta(minutes=11), tick=False)
    monkeypatch.setattr(services, "INLINE_SIMULATION_CARDS", 250)
    again = workload_simulation_request(user=learner)
    assert again.pk == first.pk and again.status == WorkloadSimulation.Status.DONE
    assert workload_simulation_run(user=learner).status == WorkloadSimulation.Status.DONE
