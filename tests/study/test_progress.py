from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.study import scheduling
from quizapp.study.models import CardState, LearnerSettings, Review, ReviewDay
from quizapp.study.progress import (
    FORECAST_DAYS,
    HEATMAP_DAYS,
    learner_progress,
    learner_today,
    session_summary,
)
from quizapp.study.review_days import review_days_rebuild
from quizapp.study.services import (
    ReviewPayload,
    card_reset,
    learner_settings_get,
    learner_settings_update,
    review_record,
    review_undo,
    reviews_record_batch,
)
from tests.factories import CardStateFactory, DeckFactory, QuestionFactory, ReviewDayFactory
from tests.study.conftest import START, new_id

TODAY = scheduling.day_number(START, tz="UTC", day_start_hour=4)  # START is 12:00 UTC


def record(user, question, rating, at, duration_ms=0):
    return review_record(
        user=user,
        question=question,
        rating=rating,
        reviewed_at=at,
        review_id=new_id(),
        duration_ms=duration_ms,
    )


def stored_days(user) -> dict[int, dict[str, int]]:
    fields = ("reviews", "again", "review_recalled", "review_forgotten", "new_cards")
    return {
        row.day: {name: getattr(row, name) for name in (*fields, "duration_ms")}
        for row in ReviewDay.objects.filter(user=user)
    }


def recounted_days(user) -> dict[int, dict[str, int]]:
    """An independent recount from the log: replay each card (its reviews up to the latest
    reset as one segment, the rest as another) and count each review on its study day."""
    learner = learner_settings_get(user=user)
    config = scheduling.SchedulerConfig(
        desired_retention=learner.desired_retention,
        tz=scheduling.resolve_zone(learner.time_zone),
        day_start_hour=learner.day_start_hour,
    )
    totals: dict[int, Counter] = defaultdict(Counter)
    for card in CardState.objects.filter(user=user):
        reviews = list(Review.objects.for_card(user, card.question_id).in_replay_order())
        reset = card.reset_at
        segments = [reviews] if reset is None else [
            [r for r in reviews if r.reviewed_at <= reset],
            [r for r in reviews if r.reviewed_at > reset],
        ]  # fmt: skip
        for segment in segments:
            memory = scheduling.NEW_CARD
            for review in segment:
                day = scheduling.day_number(
                    review.reviewed_at, tz=config.tz, day_start_hour=config.day_start_hour
                )
                counts = totals[day]
                counts["reviews"] += 1
                counts["again"] += review.rating == 1
                counts["review_recalled"] += memory.state == scheduling.REVIEW and review.rating > 1
                counts["review_forgotten"] += (
                    memory.state == scheduling.REVIEW and review.rating == 1
                )
                counts["new_cards"] += memory.state == scheduling.NEW
                counts["duration_ms"] += review.duration_ms
                memory = scheduling.apply_review(
                    memory,
                    scheduling.ReviewInput(review.rating, review.reviewed_at),
                    config=config,
                    card_id=card.question_id,
                )
    names = (
        "reviews", "again", "review_recalled", "review_forgotten", "new_cards", "duration_ms"
    )  # fmt: skip
    return {day: {name: counts[name] for name in names} for day, counts in totals.items()}


# --------------------------------------------------------------------------- the aggregates

MINUTES = 60 * 24 * 12
card_index = st.integers(0, 2)
moment = st.integers(0, MINUTES)
one_review = st.tuples(card_index, st.integers(1, 4), moment, st.integers(0, 90_000))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("review"), one_review),
        st.tuples(st.just("batch"), st.lists(one_review, min_size=1, max_size=3)),
        st.tuples(st.just("undo"), st.none()),
        st.tuples(st.just("reset"), st.tuples(card_index, moment)),
        st.tuples(
            st.just("settings"),
            st.tuples(
                st.sampled_from(["UTC", "Asia/Yerevan", "America/Los_Angeles"]),
                st.integers(0, 23),
                st.sampled_from([0.8, 0.9, 0.95]),
            ),
        ),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
def test_day_totals_equal_a_recount_from_the_log_after_any_sequence_of_writes(
    learner, questions, time_machine, steps
):
    """Reviews in any order (late offline ones included), batches, undo, resets and changes
    of time zone, day start or retention: the per-day totals always equal a recount."""
    time_machine.move_to(START + timedelta(days=20))
    with transaction.atomic():
        for kind, argument in steps:
            if kind == "review":
                index, rating, minutes, duration = argument
                record(
                    learner, questions[index], rating, START + timedelta(minutes=minutes), duration
                )
            elif kind == "batch":
                reviews_record_batch(
                    user=learner,
                    payloads=[
                        ReviewPayload(
                            new_id(),
                            questions[index].pk,
                            rating,
                            START + timedelta(minutes=minutes),
                            duration,
                        )
                        for index, rating, minutes, duration in argument
                    ],
                )
            elif kind == "undo":
                review_undo(user=learner)
            elif kind == "reset":
                index, minutes = argument
                card_reset(
                    user=learner, question=questions[index], now=START + timedelta(minutes=minutes)
                )
            else:
                zone, hour, retention = argument
                learner_settings_update(
                    user=learner, time_zone=zone, day_start_hour=hour, desired_retention=retention
                )
            assert stored_days(learner) == recounted_days(learner)
        review_days_rebuild(settings=learner_settings_get(user=learner))
        assert stored_days(learner) == recounted_days(learner)
        transaction.set_rollback(True)


def test_a_late_review_reclassifies_the_reviews_after_it(learner, questions):
    q = questions[0]
    record(learner, q, 4, START)  # new → review
    day3 = START + timedelta(days=3)
    record(learner, q, 3, day3)  # a review-state card recalled
    assert stored_days(learner)[TODAY + 3]["review_recalled"] == 1
    # Uploaded late: a lapse on day 1 puts the card in relearning before day 3.
    record(learner, q, 1, START + timedelta(days=1))
    assert stored_days(learner)[TODAY + 1]["review_forgotten"] == 1
    assert stored_days(learner) == recounted_days(learner)


def test_undoing_the_only_review_of_a_day_removes_that_day(learner, questions):
    record(learner, questions[0], 3, START)
    review_undo(user=learner)
    assert not ReviewDay.objects.filter(user=learner).exists()


def test_a_reset_card_counts_as_new_again_and_its_history_stays(learner, questions):
    q = questions[0]
    record(learner, q, 4, START)
    card_reset(user=learner, question=q, now=START + timedelta(days=1))
    record(learner, q, 3, START + timedelta(days=2))
    days = stored_days(learner)
    assert days[TODAY]["new_cards"] == 1 and days[TODAY + 2]["new_cards"] == 1
    assert days == recounted_days(learner)


def test_changing_the_time_zone_moves_reviews_to_their_new_days(learner, questions):
    # 02:00 UTC belongs to the previous study day in UTC (day starts at 04:00) ...
    record(learner, questions[0], 3, START.replace(hour=2))
    assert set(stored_days(learner)) == {TODAY - 1}
    # ... but to today in Yerevan, where it is 06:00.
    learner_settings_update(user=learner, time_zone="Asia/Yerevan")
    assert set(stored_days(learner)) == {TODAY}
    assert stored_days(learner) == recounted_days(learner)


def test_a_day_missing_from_the_totals_is_counted_from_the_log(learner, questions):
    record(learner, questions[0], 3, START)
    record(learner, questions[1], 3, START + timedelta(minutes=5))
    ReviewDay.objects.all().delete()  # e.g. a log loaded in bulk without totals
    record(learner, questions[2], 1, START + timedelta(minutes=10))
    assert stored_days(learner)[TODAY]["reviews"] == 3


def test_rebuild_command_recomputes_the_totals_from_the_log(learner, questions, capsys):
    record(learner, questions[0], 3, START, duration_ms=1200)
    record(learner, questions[0], 3, START + timedelta(days=2))
    expected = stored_days(learner)
    ReviewDay.objects.all().delete()
    Review.objects.update(state_before=None)
    call_command("rebuild_review_days", verbosity=0)
    assert stored_days(learner) == expected == recounted_days(learner)
    assert "1 learners, 2 study days rebuilt" in capsys.readouterr().out
    call_command("rebuild_review_days", "--user", learner.username, "--skip-replay", verbosity=0)
    assert stored_days(learner) == expected


def test_rebuild_command_rejects_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rebuild_review_days", "--user", "nobody")


# --------------------------------------------------------------------------- the selectors


def days_ago(n: int) -> int:
    return TODAY - n


@pytest.mark.parametrize(
    ("active", "streak"),
    [
        ([], 0),
        ([0], 1),
        ([0, 1, 2], 3),
        ([1, 2, 3], 3),  # nothing yet today: the streak ending yesterday still counts
        ([2, 3], 0),  # missed yesterday and today
        ([0, 1, 3, 4], 2),
    ],
)
def test_streak_counts_consecutive_study_days_ending_today_or_yesterday(
    learner, time_machine, active, streak
):
    time_machine.move_to(START)
    for n in active:
        ReviewDayFactory(user=learner, day=days_ago(n))
    assert learner_today(user=learner).streak == streak


def test_a_streak_longer_than_a_year_is_followed_past_the_window(learner, time_machine):
    time_machine.move_to(START)
    ReviewDay.objects.bulk_create(
        [ReviewDay(user=learner, day=days_ago(n), reviews=1) for n in range(500)]
    )
    ReviewDayFactory(user=learner, day=days_ago(501))  # a gap on 500 days ago
    assert learner_today(user=learner).streak == 500
    assert learner_progress(user=learner).today.streak == 500


def test_progress_counts_today_and_reviews_per_day(learner, questions, time_machine):
    time_machine.move_to(START + timedelta(hours=1))
    record(learner, questions[0], 3, START - timedelta(days=2))
    record(learner, questions[0], 1, START, duration_ms=3000)
    record(learner, questions[1], 3, START, duration_ms=2000)
    progress = learner_progress(user=learner)
    today = progress.today
    assert (today.reviews, today.again, today.new_cards, today.duration_ms) == (2, 1, 1, 5000)
    assert today.day == date(2026, 3, 2) and today.streak == 1
    assert len(progress.reviews_per_day) == HEATMAP_DAYS
    assert progress.reviews_per_day[-1].day == date(2026, 3, 2)
    assert [d.reviews for d in progress.reviews_per_day[-3:]] == [1, 0, 2]


def test_true_retention_is_recalled_over_reviews_of_review_state_cards(learner, time_machine):
    time_machine.move_to(START)
    # Hand-computed: 6 recalled of 8 in the last 30 days; day 31 is outside the window.
    ReviewDayFactory(user=learner, day=days_ago(0), review_recalled=3, review_forgotten=1)
    ReviewDayFactory(user=learner, day=days_ago(10), review_recalled=3, review_forgotten=1)
    ReviewDayFactory(user=learner, day=days_ago(30), review_recalled=0, review_forgotten=5)
    progress = learner_progress(user=learner)
    assert progress.retention == pytest.approx(6 / 8)
    assert progress.retention_reviews == 8
    weeks = progress.retention_per_week
    assert weeks[-1].end == date(2026, 3, 2) and weeks[-1].start == date(2026, 2, 24)
    assert (weeks[-1].reviews, weeks[-1].recalled, weeks[-1].retention) == (4, 3, 0.75)
    assert weeks[-2].retention == 0.75  # days 7–13 hold day 10
    assert weeks[-3].retention is None
    assert weeks[-5].retention == 0.0  # days 28–34 hold day 30


def test_retention_is_none_without_reviews_of_review_state_cards(learner, time_machine):
    time_machine.move_to(START)
    ReviewDayFactory(user=learner, day=TODAY, reviews=4, new_cards=4)
    assert learner_progress(user=learner).retention is None


def test_forecast_counts_cards_due_on_each_study_day(learner, time_machine):
    time_machine.move_to(START)  # 2 March 12:00 UTC; study days start at 04:00 UTC
    deck = DeckFactory()
    due_times = [
        START - timedelta(days=3),  # overdue: counted today
        START + timedelta(hours=15),  # 3 March 03:00 UTC: still 2 March's study day
        START + timedelta(hours=17),  # 3 March 05:00: tomorrow
        START + timedelta(days=29, hours=15),  # the last day of the forecast
        START + timedelta(days=30, hours=17),  # beyond it
    ]
    for due in due_times:
        CardStateFactory(user=learner, question=QuestionFactory(deck=deck), due=due)
    CardStateFactory(user=learner, question=QuestionFactory(deck=deck), due=START, suspended=True)
    retired = QuestionFactory(deck=deck, status="retired")
    CardStateFactory(user=learner, question=retired, due=START)
    forecast = learner_progress(user=learner).forecast
    assert len(forecast) == FORECAST_DAYS
    assert forecast[0].day == date(2026, 3, 2)
    assert [f.due for f in forecast[:2]] == [2, 1]
    assert forecast[-1].due == 1 and sum(f.due for f in forecast) == 4


def test_mastery_counts_started_and_stable_cards_per_deck(learner, other_student):
    deck, empty = DeckFactory(title="Places"), DeckFactory(title="Empty")
    qs = [QuestionFactory(deck=deck) for _ in range(4)]
    QuestionFactory(deck=empty, status="draft")
    CardStateFactory(user=learner, question=qs[0], stability=30.0)
    CardStateFactory(user=learner, question=qs[1], stability=5.0)
    CardStateFactory(user=other_student, question=qs[2], stability=50.0)
    (places,) = learner_progress(user=learner).decks
    assert (places.title, places.total, places.started, places.mastered) == ("Places", 4, 2, 1)
    assert places.mastery == 0.25


def test_progress_never_counts_another_learners_reviews(learner, other_student, questions):
    other_student.date_joined = learner.date_joined
    other_student.save()
    record(other_student, questions[0], 3, START)
    progress = learner_progress(user=learner, now=START)
    assert progress.today.reviews == 0
    assert sum(d.reviews for d in progress.reviews_per_day) == 0


def test_session_summary_counts_reviews_since_the_start_and_the_next_due(
    learner, questions, time_machine
):
    time_machine.move_to(START + timedelta(minutes=5))
    record(learner, questions[0], 3, START - timedelta(hours=1))  # before the session
    record(learner, questions[0], 1, START)
    record(learner, questions[1], 3, START + timedelta(minutes=1))
    summary = session_summary(user=learner, since=START)
    assert (summary.reviewed, summary.again) == (2, 1)
    later = CardState.objects.filter(user=learner, due__gt=START + timedelta(minutes=5))
    assert summary.next_due == later.order_by("due").first().due


def queries(function, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        function(**kwargs)
    return len(captured)


def test_progress_takes_the_same_few_queries_whatever_the_history(learner, other_student):
    deck = DeckFactory()
    for _ in range(3):
        CardStateFactory(user=learner, question=QuestionFactory(deck=deck))
    LearnerSettings.objects.create(user=learner)
    LearnerSettings.objects.create(user=other_student)
    ReviewDayFactory(user=other_student, day=TODAY)
    ReviewDay.objects.bulk_create(
        [ReviewDay(user=learner, day=TODAY - n, reviews=300) for n in range(300)]
    )
    now = START
    small = queries(learner_progress, user=other_student, now=now)
    large = queries(learner_progress, user=learner, now=now)
    assert small == large <= 6
    assert queries(learner_today, user=learner, now=now) <= 2
    # A streak longer than the window costs one more query, once.
    ReviewDay.objects.bulk_create(
        [ReviewDay(user=learner, day=TODAY - n, reviews=1) for n in range(300, 800)]
    )
    assert queries(learner_progress, user=learner, now=now) == large + 1


def test_progress_is_plain_data(learner):
    import dataclasses
    import json

    progress = learner_progress(user=learner, now=datetime(2026, 3, 2, tzinfo=UTC))
    assert json.dumps(dataclasses.asdict(progress), default=str)
