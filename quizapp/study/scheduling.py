"""FSRS-6 scheduling behind one small interface: replay reviews, preview intervals, recall.

Pure (no database). The `fsrs` package does the memory model; this module adds what the
product needs around it: deterministic replay (no fuzz, so a card re-derived from its log is
always the same), reps/lapses/first-day bookkeeping, and predicted recall counted in the
learner's study days rather than in 24-hour periods (the `fsrs` package rounds anything under
24 h down to 0 days, which would predict a recall of 1.0 for many next-morning reviews).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import fsrs

from quizapp.study.days import resolve_zone, study_day
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
def _scheduler(parameters: tuple[float, ...], desired_retention: float) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        parameters=parameters, desired_retention=desired_retention, enable_fuzzing=False
    )


def day_number(moment: datetime, *, tz: ZoneInfo | str, day_start_hour: int) -> int:
    """The study day of `moment` as days since 1970-01-01, comparable with plain integers."""
    return study_day(moment, tz=resolve_zone(tz), day_start_hour=day_start_hour).toordinal() - (
        EPOCH_ORDINAL
    )


def _fsrs_card(memory: MemoryState, card_id: int) -> fsrs.Card:
    # Passing card_id matters: without it fsrs.Card sleeps 1 ms to make a unique id.
    if memory.state == NEW:
        return fsrs.Card(card_id=card_id)
    return fsrs.Card(
        card_id=card_id,
        state=fsrs.State(memory.state),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=memory.due,
        last_review=memory.last_review,
    )


def apply_review(
    memory: MemoryState, review: ReviewInput, *, config: SchedulerConfig, card_id: int = 1
) -> MemoryState:
    """The memory after one more review, given at `review.reviewed_at`."""
    reviewed_at = review.reviewed_at.astimezone(UTC)
    card, _ = _scheduler(config.parameters, config.desired_retention).review_card(
        _fsrs_card(memory, card_id), fsrs.Rating(review.rating), reviewed_at
    )
    today = day_number(reviewed_at, tz=config.tz, day_start_hour=config.day_start_hour)
    lapsed = memory.state == REVIEW and review.rating == fsrs.Rating.Again
    return MemoryState(
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
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
    return forgetting_curve(max(0, today - memory.last_review_day), memory.stability, config.decay)


def forgetting_curve(elapsed: float, stability: float, decay: float) -> float:
    """FSRS-6 power forgetting curve ``R = (1 + factor · t / S) ^ (−w20)``.

    ``decay`` is w20 and ``factor = 0.9 ^ (−1 / w20) − 1`` makes ``R = 0.9`` at ``t = S``.
    Identical to py-fsrs's ``Scheduler.get_card_retrievability`` and fsrs-rs's
    ``power_forgetting_curve``; the evaluation uses this same function.
    """
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return (1.0 + factor * elapsed / stability) ** (-decay)


def with_day_numbers(
    memory: MemoryState, reviews: Sequence[ReviewInput], *, config: SchedulerConfig
) -> MemoryState:
    """Recompute the day bookkeeping after the learner's zone or day boundary changed."""
    if not reviews:
        return memory
    first = day_number(reviews[0].reviewed_at, tz=config.tz, day_start_hour=config.day_start_hour)
    last = day_number(reviews[-1].reviewed_at, tz=config.tz, day_start_hour=config.day_start_hour)
    return replace(memory, introduced_day=first, last_review_day=last)


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
