"""Per-day review totals (`ReviewDay`), kept exactly equal to sums over the review log.

How they stay exact
-------------------
Each Review row carries `state_before`: the card's state just before it in the replay of the
card's log. It is part of the replay cache, like `CardState`: whenever a card is replayed (a
late offline review, an undo, a reset, new parameters) every one of its reviews is
reclassified, and only the rows whose class changed are rewritten. A `ReviewDay` row is then
by definition the sum of :func:`review_tally` over the Review rows of that study day, and every
write keeps that invariant with F() increments inside the caller's transaction:

* a recorded review adds its tally to its day;
* an undone review subtracts its tally (an emptied day is deleted);
* a reclassified review moves its counts between columns of its day;
* a day with no row yet is counted from the log (bounded: one day of one learner), so the
  first review of a day, or a log loaded in bulk without totals, heals itself.

When the learner's time zone or day start changes, every review may move to another day
number, so the learner's rows are rebuilt from the log (:func:`review_days_rebuild`), in the
same transaction that re-derives their cards.

Resets keep history: the reviews up to a card's latest `reset_at` are replayed as one segment
from a new card and the later ones as another, so a reset card counts as new again on the day
it is relearned while the counts of its earlier days do not change. (Only the latest reset is
stored, so a card reset twice replays its first two segments as one.)
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from quizapp.study import scheduling
from quizapp.study.days import day_bounds
from quizapp.study.models import LearnerSettings, Review, ReviewDay
from quizapp.study.scheduling import MemoryState, ReviewInput, SchedulerConfig


@dataclass(frozen=True)
class Tally:
    """The counts one review, or a set of reviews, adds to a ReviewDay row."""

    reviews: int = 0
    again: int = 0
    review_recalled: int = 0
    review_forgotten: int = 0
    new_cards: int = 0
    duration_ms: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __neg__(self) -> "Tally":
        return Tally(*(-getattr(self, f.name) for f in fields(self)))

    def __sub__(self, other: "Tally") -> "Tally":
        return self + -other

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


EMPTY = Tally()
COLUMNS = tuple(f.name for f in fields(Tally))


def review_tally(*, rating: int, state_before: int | None, duration_ms: int) -> Tally:
    """What one review counts for. True retention (as Anki defines it) is recalled over
    recalled + forgotten: reviews of cards in Review state answered Hard/Good/Easy vs Again.
    An unclassified review (`state_before` empty) counts only as a review."""
    in_review = state_before == scheduling.REVIEW
    return Tally(
        reviews=1,
        again=int(rating == 1),
        review_recalled=int(in_review and rating > 1),
        review_forgotten=int(in_review and rating == 1),
        new_cards=int(state_before == scheduling.NEW),
        duration_ms=duration_ms,
    )


def review_reclassified(*, rating: int, old: int | None, new: int | None) -> Tally:
    """The change in a day's counts when a review's `state_before` changes from old to new."""
    return review_tally(rating=rating, state_before=new, duration_ms=0) - review_tally(
        rating=rating, state_before=old, duration_ms=0
    )


def replay_states(
    reviews: Sequence[ReviewInput], *, config: SchedulerConfig, card_id: int
) -> tuple[MemoryState, list[int]]:
    """Like `scheduling.replay`, also returning the state before each review."""
    memory = scheduling.NEW_CARD
    states = []
    for review in reviews:
        states.append(memory.state)
        memory = scheduling.apply_review(memory, review, config=config, card_id=card_id)
    return memory, states


def card_states_before(
    reviews: Sequence[ReviewInput], *, reset_at: datetime | None, config: SchedulerConfig, card_id
) -> tuple[MemoryState, list[int]]:
    """The card's memory (from the reviews after its reset) and every review's state before it
    (the reviews up to the reset replayed as a segment of their own). `reviews` in replay
    order."""
    split = 0
    if reset_at is not None:
        split = next((i for i, r in enumerate(reviews) if r.reviewed_at > reset_at), len(reviews))
    _, earlier = replay_states(reviews[:split], config=config, card_id=card_id)
    memory, later = replay_states(reviews[split:], config=config, card_id=card_id)
    return memory, earlier + later


def day_of(settings: LearnerSettings, moment: datetime) -> int:
    return scheduling.day_number(
        moment, tz=settings.time_zone, day_start_hour=settings.day_start_hour
    )


def day_date(number: int) -> date:
    """The calendar date a study day number stands for."""
    return date.fromordinal(scheduling.EPOCH_ORDINAL + number)


def _day_reviews(settings: LearnerSettings, day: int):
    start, end = day_bounds(
        day_date(day), tz=settings.time_zone, day_start_hour=settings.day_start_hour
    )
    return Review.objects.filter(
        user_id=settings.user_id, reviewed_at__gte=start, reviewed_at__lt=end
    )


def day_recount(settings: LearnerSettings, day: int) -> Tally:
    """One study day's totals counted from the log (that day's reviews only)."""
    total = EMPTY
    rows = _day_reviews(settings, day).values_list("rating", "state_before", "duration_ms")
    for rating, state_before, duration_ms in rows:
        total += review_tally(rating=rating, state_before=state_before, duration_ms=duration_ms)
    return total


def review_days_change(*, settings: LearnerSettings, changes: Mapping[int, Tally]) -> None:
    """Apply count changes per day number. Call after the log rows they describe are written,
    inside the same transaction: a day without a row is counted from the log instead."""
    emptied = []
    for day, change in changes.items():
        if not change:
            continue
        rows = ReviewDay.objects.filter(user_id=settings.user_id, day=day)
        increments = {name: F(name) + value for name, value in change.as_dict().items() if value}
        if rows.update(**increments):
            if change.reviews < 0:
                emptied.append(day)
            continue
        counted = day_recount(settings, day)
        if not counted.reviews:
            continue
        try:
            with transaction.atomic():
                ReviewDay.objects.create(user_id=settings.user_id, day=day, **counted.as_dict())
        except IntegrityError:
            # Another transaction created the row meanwhile (it counted its own review, not
            # ours, which is not committed): add ours.
            rows.update(**increments)
    if emptied:
        ReviewDay.objects.filter(user_id=settings.user_id, day__in=emptied, reviews=0).delete()


def review_days_recount(*, settings: LearnerSettings) -> dict[int, Tally]:
    """Every study day's totals of a learner, counted from the log (classes as stored)."""
    totals: dict[int, Tally] = defaultdict(Tally)
    rows = (
        Review.objects.filter(user_id=settings.user_id)
        .values_list("reviewed_at", "rating", "state_before", "duration_ms")
        .iterator(chunk_size=5000)
    )
    for reviewed_at, rating, state_before, duration_ms in rows:
        totals[day_of(settings, reviewed_at)] += review_tally(
            rating=rating, state_before=state_before, duration_ms=duration_ms
        )
    return dict(totals)


@transaction.atomic
def review_days_rebuild(*, settings: LearnerSettings) -> int:
    """Replace a learner's ReviewDay rows by a recount of their log; returns the day count.

    Uses the stored `state_before` classes: re-derive the learner's cards first when those may
    be stale (`learner_cards_rederive` does both)."""
    totals = review_days_recount(settings=settings)
    ReviewDay.objects.filter(user_id=settings.user_id).delete()
    ReviewDay.objects.bulk_create(
        [
            ReviewDay(user_id=settings.user_id, day=day, **tally.as_dict())
            for day, tally in sorted(totals.items())
        ],
        batch_size=1000,
    )
    return len(totals)


def changes_by_day(
    settings: LearnerSettings, items: Iterable[tuple[datetime, Tally]]
) -> dict[int, Tally]:
    changes: dict[int, Tally] = defaultdict(Tally)
    for moment, change in items:
        changes[day_of(settings, moment)] += change
    return changes
