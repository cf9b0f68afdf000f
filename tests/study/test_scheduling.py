"""One elapsed-time rule: study days in the learner's zone and day start, everywhere.

The memory update of a review, the recall the queue shows, the intervals on the buttons and
the evaluation all count the time since a card's last review in study days, as fsrs-rs (which
fits the parameters) does. fsrs-rs's own memory states are the reference here.
"""

import importlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs
import fsrs_rs_python
import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from quizapp.study import scheduling
from quizapp.study.days import study_day
from quizapp.study.fitting import DEFAULT_PARAMETERS
from quizapp.study.models import CardState
from quizapp.study.scheduling import ReviewInput, SchedulerConfig
from quizapp.study.selectors import queue_entry_for
from quizapp.study.services import learner_settings_update, memory_of, review_record
from tests.study.conftest import new_id

UTC_CONFIG = SchedulerConfig()


def fsrs_rs_state(*reviews: tuple[int, int]) -> fsrs_rs_python.MemoryState:
    """fsrs-rs's memory after `(rating, delta_t in study days)` reviews."""
    item = fsrs_rs_python.FSRSItem([fsrs_rs_python.FSRSReview(r, t) for r, t in reviews])
    return fsrs_rs_python.FSRS(list(DEFAULT_PARAMETERS)).memory_state(item)


def replay(*reviews: tuple[int, datetime], config: SchedulerConfig = UTC_CONFIG):
    return scheduling.replay([ReviewInput(r, at) for r, at in reviews], config=config)


def assert_same_memory(memory: scheduling.MemoryState, reference) -> None:
    assert memory.stability == pytest.approx(reference.stability, rel=1e-5)
    assert memory.difficulty == pytest.approx(reference.difficulty, rel=1e-5)


class TestElapsedStudyDays:
    def test_next_morning_is_one_day_though_under_24_hours(self) -> None:
        # 21:00 then 08:00: eleven hours, but the 04:00 boundary lies between them.
        memory = replay(
            (3, datetime(2026, 3, 2, 21, tzinfo=UTC)), (3, datetime(2026, 3, 3, 8, tzinfo=UTC))
        )
        assert_same_memory(memory, fsrs_rs_state((3, 0), (3, 1)))

    def test_before_the_day_start_is_still_the_same_day(self) -> None:
        # 23:00 then 03:59: both on the study day of 2 March, a short-term update.
        memory = replay(
            (3, datetime(2026, 3, 2, 23, tzinfo=UTC)),
            (3, datetime(2026, 3, 3, 3, 59, tzinfo=UTC)),
        )
        assert_same_memory(memory, fsrs_rs_state((3, 0), (3, 0)))

    def test_the_day_start_itself_begins_the_next_day(self) -> None:
        memory = replay(
            (3, datetime(2026, 3, 2, 23, tzinfo=UTC)), (3, datetime(2026, 3, 3, 4, tzinfo=UTC))
        )
        assert_same_memory(memory, fsrs_rs_state((3, 0), (3, 1)))

    def test_counts_study_days_not_24_hour_periods(self) -> None:
        # 21:00 on day 0 to 08:00 on day 2 is 35 hours (one 24-hour period) but two study days.
        memory = replay(
            (3, datetime(2026, 3, 2, 21, tzinfo=UTC)),
            (3, datetime(2026, 3, 3, 21, 30, tzinfo=UTC)),
            (1, datetime(2026, 3, 5, 8, tzinfo=UTC)),
        )
        assert_same_memory(memory, fsrs_rs_state((3, 0), (3, 1), (1, 2)))

    def test_learning_steps_within_a_day_stay_minutes_apart(self) -> None:
        first = datetime(2026, 3, 2, 12, tzinfo=UTC)
        again = scheduling.apply_review(
            scheduling.NEW_CARD, ReviewInput(1, first), config=UTC_CONFIG
        )
        assert again.state == scheduling.LEARNING
        assert again.due - first == timedelta(minutes=1)
        good = scheduling.apply_review(
            again, ReviewInput(3, first + timedelta(minutes=1)), config=UTC_CONFIG
        )
        assert good.state == scheduling.LEARNING
        assert good.due - (first + timedelta(minutes=1)) == timedelta(minutes=10)
        assert_same_memory(good, fsrs_rs_state((1, 0), (3, 0)))

    def test_the_day_start_hour_moves_the_boundary(self) -> None:
        config = SchedulerConfig(day_start_hour=9)
        # With a 09:00 start, 21:00 and 08:00 the next morning are the same study day.
        memory = replay(
            (3, datetime(2026, 3, 2, 21, tzinfo=UTC)),
            (3, datetime(2026, 3, 3, 8, tzinfo=UTC)),
            config=config,
        )
        assert_same_memory(memory, fsrs_rs_state((3, 0), (3, 0)))

    def test_the_learners_zone_decides_the_day(self) -> None:
        # 22:30 and 05:30 UTC are 17:30 and 00:30 in New York: the same study day there.
        reviews = (
            (3, datetime(2026, 1, 5, 22, 30, tzinfo=UTC)),
            (3, datetime(2026, 1, 6, 5, 30, tzinfo=UTC)),
        )
        in_utc = replay(*reviews)
        in_new_york = replay(*reviews, config=SchedulerConfig(tz=ZoneInfo("America/New_York")))
        assert_same_memory(in_utc, fsrs_rs_state((3, 0), (3, 1)))
        assert_same_memory(in_new_york, fsrs_rs_state((3, 0), (3, 0)))

    def test_predicted_recall_counts_study_days(self) -> None:
        memory = replay((4, datetime(2026, 3, 2, 21, tzinfo=UTC)))
        decay = DEFAULT_PARAMETERS[20]
        next_morning = datetime(2026, 3, 3, 8, tzinfo=UTC)
        assert scheduling.predicted_recall(
            memory, now=next_morning, config=UTC_CONFIG
        ) == pytest.approx(scheduling.forgetting_curve(1, memory.stability, decay))
        late_same_night = datetime(2026, 3, 3, 3, tzinfo=UTC)
        assert scheduling.predicted_recall(memory, now=late_same_night, config=UTC_CONFIG) == 1.0


class TestDueOnStudyDays:
    def test_a_review_interval_lands_on_its_study_day_across_a_clock_change(self) -> None:
        berlin = ZoneInfo("Europe/Berlin")
        config = SchedulerConfig(tz=berlin)
        # 04:30 on 18 October; Easy on a new card gives 8 days, past the night of 25 October
        # when the clock goes back an hour: 8 × 24 hours would be 03:30 on 26 October, still
        # the study day of the 25th.
        reviewed = datetime(2026, 10, 18, 4, 30, tzinfo=berlin)
        memory = scheduling.apply_review(
            scheduling.NEW_CARD, ReviewInput(4, reviewed), config=config
        )
        assert memory.state == scheduling.REVIEW
        due = memory.due.astimezone(berlin)
        assert study_day(due, tz=berlin) - study_day(reviewed, tz=berlin) == timedelta(days=8)
        assert (due.hour, due.minute) == (4, 30)

    def test_a_wall_clock_time_the_clock_skips_falls_back_to_the_day_start(self) -> None:
        berlin = ZoneInfo("Europe/Berlin")
        config = SchedulerConfig(tz=berlin, day_start_hour=3)
        # 02:30 on 28 March (the study day of the 27th) + 1 day is 02:30 on 29 March, which
        # the clock skips: it would read 03:30, the study day of the 29th.
        reviewed = datetime(2026, 3, 28, 2, 30, tzinfo=berlin)
        due = scheduling.due_after_days(reviewed, 1, config=config)
        assert study_day(due, tz=berlin, day_start_hour=3) == date(2026, 3, 28)
        assert due == datetime(2026, 3, 28, 3, tzinfo=berlin)


def record(user, question, rating, at):
    return review_record(
        user=user, question=question, rating=rating, reviewed_at=at, review_id=new_id()
    )


def test_the_queue_shows_the_recall_and_intervals_the_review_then_gets(
    learner, questions, time_machine
):
    question = questions[0]
    evening = datetime(2026, 3, 2, 21, tzinfo=UTC)
    time_machine.move_to(evening, tick=False)
    record(learner, question, 4, evening)
    morning = datetime(2026, 3, 3, 8, tzinfo=UTC)
    time_machine.move_to(morning, tick=False)
    entry = queue_entry_for(user=learner, question=question)
    stability = CardState.objects.get(user=learner, question=question).stability
    assert entry.predicted_recall == pytest.approx(
        scheduling.forgetting_curve(1, stability, DEFAULT_PARAMETERS[20])
    )
    record(learner, question, 3, morning)
    card = CardState.objects.get(user=learner, question=question)
    assert card.due - morning == entry.intervals[3]
    assert_same_memory(memory_of(card), fsrs_rs_state((4, 0), (3, 1)))


def test_changing_time_zone_re_derives_elapsed_days(learner, questions, time_machine, capsys):
    question = questions[0]
    first = datetime(2026, 1, 5, 22, 30, tzinfo=UTC)
    second = datetime(2026, 1, 6, 5, 30, tzinfo=UTC)
    for moment in (first, second):
        time_machine.move_to(moment, tick=False)
        record(learner, question, 3, moment)
    card = CardState.objects.get(user=learner, question=question)
    assert_same_memory(memory_of(card), fsrs_rs_state((3, 0), (3, 1)))

    # In New York the two reviews were 17:30 and 00:30: one study day, a short-term update.
    learner_settings_update(user=learner, time_zone="America/New_York")
    card.refresh_from_db()
    assert_same_memory(memory_of(card), fsrs_rs_state((3, 0), (3, 0)))
    call_command("verify_card_states", verbosity=0)
    assert "1 cards checked, 0 drifted" in capsys.readouterr().out


def test_the_upgrade_re_derives_card_states_stored_under_24_hour_periods(
    learner, questions, time_machine, capsys
):
    question = questions[0]
    evening, morning = datetime(2026, 3, 2, 21, tzinfo=UTC), datetime(2026, 3, 3, 8, tzinfo=UTC)
    for moment in (evening, morning):
        time_machine.move_to(moment, tick=False)
        record(learner, question, 3, moment)
    # What the card held before: the fsrs package alone, counting 24-hour periods (a
    # same-day update for a review eleven hours later).
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    old = fsrs.Card(card_id=question.pk)
    for moment in (evening, morning):
        old, _ = scheduler.review_card(old, fsrs.Rating.Good, moment)
    CardState.objects.filter(user=learner, question=question).update(
        stability=old.stability, difficulty=old.difficulty, due=old.due
    )
    with pytest.raises(SystemExit):
        call_command("verify_card_states", verbosity=0)
    assert "1 drifted" in capsys.readouterr().out
    stamped = CardState.objects.get(user=learner, question=question).updated_at

    time_machine.move_to(morning + timedelta(hours=1), tick=False)
    migration = importlib.import_module("quizapp.study.migrations.0005_card_states_in_study_days")
    migration.rederive_card_states(django_apps, None)

    call_command("verify_card_states", verbosity=0)
    assert "1 cards checked, 0 drifted" in capsys.readouterr().out
    card = CardState.objects.get(user=learner, question=question)
    assert_same_memory(memory_of(card), fsrs_rs_state((3, 0), (3, 1)))
    assert card.updated_at > stamped  # devices sync the re-derived card
