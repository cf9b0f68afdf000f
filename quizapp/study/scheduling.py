"""FSRS-6 scheduling behind one small interface: replay reviews, preview intervals, recall.

Pure (no database). The `fsrs` package does the memory model; this module adds what the
product needs around it: deterministic replay (no fuzz, so a card re-derived from its log is
always the same), reps/lapses/first-day bookkeeping, and one definition of elapsed time.

Elapsed time is counted in the learner's *study days* (:func:`elapsed_study_days`), never in
24-hour periods, everywhere: the memory update of a review, the recall the queue shows, the
intervals on the buttons, and the evaluation, as fsrs-rs (which fits the parameters) and Anki
count it. The `fsrs` package on its own counts whole 24-hour periods since the last review, so
a card seen at 21:00 and again at 08:00 the next morning would get a same-day update, and one
seen at 08:00 and again at 21:00 two days later only one day's forgetting; parameters fitted on
study days then predict worse than they were measured to. :func:`apply_review` therefore hands
the package the card's last review moved back to exactly ``elapsed`` whole days before this
one, so that every one of its formulas sees the study-day count. Learning and relearning steps
stay minutes apart within a study day, as in Anki.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import fsrs

from quizapp.study.days import day_bounds, resolve_zone, study_day
from quizapp.study.fitting import DEFAULT_PARAMETERS

NEW, LEARNING, REVIEW, RELEARNING = 0, 1, 2, 3
EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class SchedulerConfig:
    parameters: tuple[float, ...] = DEFAULT_PARAMETERS
    desired_retention: float = 0.9
    tz: ZoneInfo = UTC_ZONE
    day_start_hour: int = 4
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10))
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),)
    maximum_interval: int = 36500
    """Days."""

    @property
    def decay(self) -> float:
        return self.parameters[20]


@dataclass(frozen=True)
class ReviewInput:
    rating: int
    reviewed_at: datetime


@dataclass(frozen=True)
class MemoryState:
    state: int = NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    last_review_day: int | None = None
    introduced_day: int | None = None
    reps: int = 0
    lapses: int = 0


NEW_CARD = MemoryState()


@lru_cache(maxsize=256)
def _scheduler_for(
    parameters: tuple[float, ...],
    desired_retention: float,
    learning_steps: tuple[timedelta, ...],
    relearning_steps: tuple[timedelta, ...],
    maximum_interval: int,
) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        parameters=parameters,
        desired_retention=desired_retention,
        learning_steps=learning_steps,
        relearning_steps=relearning_steps,
        maximum_interval=maximum_interval,
        enable_fuzzing=False,
    )


def _scheduler(config: SchedulerConfig) -> fsrs.Scheduler:
    return _scheduler_for(
        config.parameters,
        config.desired_retention,
        config.learning_steps,
        config.relearning_steps,
        config.maximum_interval,
    )


def day_number(moment: datetime, *, tz: ZoneInfo | str, day_start_hour: int) -> int:
    """The study day of `moment` as days since 1970-01-01, comparable with plain integers."""
    return study_day(moment, tz=resolve_zone(tz), day_start_hour=day_start_hour).toordinal() - (
        EPOCH_ORDINAL
    )


def elapsed_study_days(memory: MemoryState, today: int) -> int:
    """Study days from the card's last review to the study day ``today`` (0 if never
    reviewed, or reviewed today). The one elapsed-time rule of the scheduler."""
    if memory.last_review_day is None:
        return 0
    return max(0, today - memory.last_review_day)


def _fsrs_card(memory: MemoryState, card_id: int, *, at: datetime, elapsed: int) -> fsrs.Card:
    # Passing card_id matters: without it fsrs.Card sleeps 1 ms to make a unique id.
    if memory.state == NEW:
        return fsrs.Card(card_id=card_id)
    # The package computes elapsed time as whole 24-hour periods since `last_review`
    # (timedelta.days); exactly `elapsed` days before `at` makes that the study-day count.
    return fsrs.Card(
        card_id=card_id,
        state=fsrs.State(memory.state),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=memory.due,
        last_review=at - timedelta(days=elapsed),
    )


def due_after_days(
    reviewed_at: datetime, days: int, *, config: SchedulerConfig, today: int | None = None
) -> datetime:
    """When a card reviewed at `reviewed_at` comes due `days` study days later: the same
    local wall-clock time that many days on, so that it falls on study day today + `days`
    even across a daylight-saving change (24-hour periods can land on the wrong study day).
    Where the clock skips that time and it would fall on another study day, the start of the
    target study day. `today`: the study day of `reviewed_at`, when the caller has it."""
    hour = config.day_start_hour
    if today is None:
        today = day_number(reviewed_at, tz=config.tz, day_start_hour=hour)
    due = (reviewed_at.astimezone(config.tz) + timedelta(days=days)).astimezone(UTC)
    target = today + days
    if day_number(due, tz=config.tz, day_start_hour=hour) != target:
        day = date.fromordinal(EPOCH_ORDINAL + target)
        due = day_bounds(day, tz=config.tz, day_start_hour=hour)[0]
    return due


def apply_review(
    memory: MemoryState, review: ReviewInput, *, config: SchedulerConfig, card_id: int = 1
) -> MemoryState:
    """The memory after one more review, given at `review.reviewed_at`.

    Elapsed time since the card's previous review is :func:`elapsed_study_days`; a review on
    the same study day (a learning step, a second look) gets FSRS-6's short-term update.
    """
    reviewed_at = review.reviewed_at.astimezone(UTC)
    today = day_number(reviewed_at, tz=config.tz, day_start_hour=config.day_start_hour)
    elapsed = elapsed_study_days(memory, today)
    card, _ = _scheduler(config).review_card(
        _fsrs_card(memory, card_id, at=reviewed_at, elapsed=elapsed),
        fsrs.Rating(review.rating),
        reviewed_at,
    )
    due = card.due
    if card.state == fsrs.State.Review:
        # Review intervals are whole days: due on the study day that many days on.
        days = (card.due - reviewed_at).days
        due = due_after_days(reviewed_at, days, config=config, today=today)
    lapsed = memory.state == REVIEW and review.rating == fsrs.Rating.Again
    return MemoryState(
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=due,
        last_review=reviewed_at,
        last_review_day=today,
        introduced_day=memory.introduced_day if memory.introduced_day is not None else today,
        reps=memory.reps + 1,
        lapses=memory.lapses + (1 if lapsed else 0),
    )


def replay(
    reviews: Iterable[ReviewInput], *, config: SchedulerConfig, card_id: int = 1
) -> MemoryState:
    """A card's memory from its reviews, which must already be in `reviewed_at` order."""
    memory = NEW_CARD
    for review in reviews:
        memory = apply_review(memory, review, config=config, card_id=card_id)
    return memory


def preview_intervals(
    memory: MemoryState, *, now: datetime, config: SchedulerConfig, card_id: int = 1
) -> dict[int, timedelta]:
    """How long until the card comes back for each rating given now ("Again 10m · Good 3d")."""
    intervals = {}
    for rating in fsrs.Rating:
        after = apply_review(memory, ReviewInput(int(rating), now), config=config, card_id=card_id)
        intervals[int(rating)] = after.due - now
    return intervals


def predicted_recall(
    memory: MemoryState, *, now: datetime, config: SchedulerConfig
) -> float | None:
    """Probability of recalling the card now, with elapsed time in study days (None if new)."""
    if memory.stability is None or memory.last_review_day is None:
        return None
    today = day_number(now, tz=config.tz, day_start_hour=config.day_start_hour)
    return forgetting_curve(elapsed_study_days(memory, today), memory.stability, config.decay)


def forgetting_curve(elapsed: float, stability: float, decay: float) -> float:
    """FSRS-6 power forgetting curve ``R = (1 + factor · t / S) ^ (−w20)``.

    ``decay`` is w20 and ``factor = 0.9 ^ (−1 / w20) − 1`` makes ``R = 0.9`` at ``t = S``.
    Identical to py-fsrs's ``Scheduler.get_card_retrievability`` and fsrs-rs's
    ``power_forgetting_curve``; the evaluation uses this same function.
    """
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return (1.0 + factor * elapsed / stability) ** (-decay)


def format_interval(interval: timedelta) -> str:
    """Short human interval for rating buttons: 10m, 5h, 3d, 2.5mo, 1.2y."""
    seconds = max(0, interval.total_seconds())
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
