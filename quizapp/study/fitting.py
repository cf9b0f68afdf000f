"""Personalised FSRS-6 parameters, fitted with fsrs-rs (through ``fsrs-rs-python``, no torch).

The optimiser does not learn from raw review rows but from *items*: for every review that
happened at least one study day after the card's previous review, the card's history up to and
including that review. The last review of an item is the one whose outcome (recalled or not) is
predicted from everything before it. This module turns our review events into those items the
way the FSRS tooling does, so that parameters fitted here are the parameters Anki or
srs-benchmark would fit on the same log:

* days are study days by the learner's day boundary (:mod:`quizapp.study.days`), so ``delta_t``
  is an integer number of study days, and the first review of a card has ``delta_t = 0``;
* same-day reviews (learning and relearning steps) stay *inside* the histories with
  ``delta_t = 0`` — FSRS-6 models them with its short-term stability terms (w17–w19) — but they
  never end an item: fsrs-rs's own revlog converter and the ``fsrs-rs-python`` CSV example keep
  only items whose last review has ``delta_t > 0``, and the optimiser panics on an item without
  any review of ``delta_t > 0``;
* items are ordered by the time of their last review, because fsrs-rs weights recent items more
  heavily when fitting and the evaluation splits them in time order.

Module is pure: no Django, no database. Callers pass plain :class:`ReviewEvent` values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import fsrs_rs_python
from fsrs.scheduler import DEFAULT_PARAMETERS as _FSRS_DEFAULT_PARAMETERS
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS as LOWER_BOUNDS
from fsrs.scheduler import UPPER_BOUNDS_PARAMETERS as UPPER_BOUNDS

from quizapp.study.days import DEFAULT_DAY_START_HOUR, elapsed_days, resolve_zone

__all__ = [
    "DEFAULT_PARAMETERS",
    "MIN_REVIEWS_FOR_FITTING",
    "PARAMETER_COUNT",
    "FittedParameters",
    "HistoryItem",
    "ReviewEvent",
    "build_history_items",
    "build_items",
    "fit_history_items",
    "fit_parameters",
    "reviews_by_card",
]

PARAMETER_COUNT = 21
"""FSRS-6 has 21 weights, w0–w20; w20 is the decay of the power forgetting curve."""

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(float(w) for w in _FSRS_DEFAULT_PARAMETERS)
"""FSRS-6 default weights, taken from the ``fsrs`` package (py-fsrs) that schedules our cards.

``fsrs_rs_python.DEFAULT_PARAMETERS`` holds the same numbers rounded to float32 (fsrs-rs
computes in f32), e.g. 0.212 there reads back as 0.21199999749660492; they agree to within
float32 precision (about 1e-7 relative), which the tests assert.
"""

MIN_REVIEWS_FOR_FITTING = 400
"""Fewest *trainable* reviews (items) for which :func:`fit_parameters` fits personal weights.

A trainable review is one made at least one study day after the card's previous review — the
only reviews the optimiser learns from; a learner who has just studied 400 new cards has zero.
fsrs-rs has its own, much lower floors (fewer than 8 items left after its outlier filter: the
defaults; fewer than 64: at most the four initial stabilities are fitted), which are about not
failing rather than about trustworthy weights: with a few dozen items the 21 weights swing from
one fit to the next and rescheduling would jump with them. Anki required 1,000 and then 400
review log entries before optimising (ankitects/anki#2977, #2999) until Anki 24.06 left the
floor to fsrs-rs (open-spaced-repetition/fsrs4anki#653). 400 is that long-standing floor,
applied here to trainable reviews, which makes it stricter than Anki's count of raw log entries.
Below it the scheduler keeps the FSRS-6 defaults, which already beat SM-2 clearly (see
docs/scheduler-evaluation.md).
"""

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ReviewEvent:
    """One answer to one card: the only facts FSRS needs from a review log."""

    card_id: str | int
    rating: int
    """1 = Again (forgot), 2 = Hard, 3 = Good, 4 = Easy."""
    reviewed_at: datetime
    """When the answer was given; must be timezone-aware."""

    def __post_init__(self) -> None:
        if isinstance(self.rating, bool) or not isinstance(self.rating, int):
            raise TypeError(f"rating must be an int, got {self.rating!r}")
        if not 1 <= self.rating <= 4:
            raise ValueError(f"rating must be between 1 and 4, got {self.rating}")
        if self.reviewed_at.tzinfo is None or self.reviewed_at.utcoffset() is None:
            raise ValueError(f"reviewed_at must be timezone-aware, got {self.reviewed_at!r}")


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """A predictable review with the card's history up to and including it.

    ``reviews`` holds ``(rating, delta_t)`` pairs, oldest first; the last pair is the review
    being predicted (its ``delta_t`` is at least 1) and the earlier ones are what a model may
    use to predict it. Keeping the card id and timestamp lets the evaluation order items in time
    and lets callers trace an item back to the log.
    """

    card_id: str | int
    reviewed_at: datetime
    reviews: tuple[tuple[int, int], ...]

    @property
    def rating(self) -> int:
        return self.reviews[-1][0]

    @property
    def delta_t(self) -> int:
        """Study days since the card's previous review."""
        return self.reviews[-1][1]

    @property
    def recalled(self) -> bool:
        """The label every model predicts: any rating but Again counts as recalled."""
        return self.rating > 1

    @property
    def history(self) -> tuple[tuple[int, int], ...]:
        """The reviews before the predicted one (never empty: the first review is never
        predicted)."""
        return self.reviews[:-1]

    def to_fsrs_item(self) -> fsrs_rs_python.FSRSItem:
        """The whole item, as fsrs-rs trains on it."""
        return _fsrs_item(self.reviews)

    def history_fsrs_item(self) -> fsrs_rs_python.FSRSItem:
        """Only the history, whose memory state predicts the last review."""
        return _fsrs_item(self.history)


def _fsrs_item(reviews: Sequence[tuple[int, int]]) -> fsrs_rs_python.FSRSItem:
    return fsrs_rs_python.FSRSItem(
        [fsrs_rs_python.FSRSReview(rating, delta_t) for rating, delta_t in reviews]
    )


@dataclass(frozen=True, slots=True)
class FittedParameters:
    """Weights fitted to one learner, with the amount of data they came from."""

    parameters: tuple[float, ...]
    """The 21 FSRS-6 weights."""
    review_count: int
    """All review events passed in."""
    item_count: int
    """Trainable reviews (items) the optimiser learnt from."""
    items: Sequence[HistoryItem] = field(default=(), repr=False, compare=False)
    """Those items, time-ordered, to judge the fit on."""


def _cards_in_replay_order(
    events: Iterable[ReviewEvent],
) -> dict[str | int, list[tuple[int, ReviewEvent]]]:
    """Each card's ``(input position, event)`` pairs in time order; equal times keep input
    order."""
    by_card: dict[str | int, list[tuple[int, ReviewEvent]]] = {}
    for sequence, event in enumerate(events):
        by_card.setdefault(event.card_id, []).append((sequence, event))
    for card_events in by_card.values():
        card_events.sort(key=lambda pair: (pair[1].reviewed_at, pair[0]))
    return by_card


def reviews_by_card(events: Iterable[ReviewEvent]) -> dict[str | int, list[ReviewEvent]]:
    """Each card's events in the order :func:`build_history_items` replays them: an item whose
    ``reviews`` has length ``n`` ends with the card's ``n``-th event here."""
    return {
        card_id: [event for _, event in card_events]
        for card_id, card_events in _cards_in_replay_order(events).items()
    }


def build_history_items(
    events: Iterable[ReviewEvent],
    *,
    tz: ZoneInfo | str,
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
) -> list[HistoryItem]:
    """Turn review events into FSRS items, ordered by the time of their last review.

    Reviews are grouped by card and sorted by time (events with equal timestamps keep their
    input order). ``delta_t`` is the number of study days since the card's previous review. One
    item is produced for every review after the first whose ``delta_t`` is at least 1; same-day
    reviews stay in later items' histories with ``delta_t = 0`` but are not items themselves.
    """
    zone = resolve_zone(tz)
    keyed_items: list[tuple[datetime, int, HistoryItem]] = []
    for card_id, card_events in _cards_in_replay_order(events).items():
        reviews: list[tuple[int, int]] = []
        previous: datetime | None = None
        for sequence, event in card_events:
            delta_t = 0
            if previous is not None:
                delta_t = elapsed_days(
                    previous, event.reviewed_at, tz=zone, day_start_hour=day_start_hour
                )
            reviews.append((event.rating, delta_t))
            if previous is not None and delta_t > 0:
                item = HistoryItem(card_id, event.reviewed_at, tuple(reviews))
                keyed_items.append((event.reviewed_at, sequence, item))
            previous = event.reviewed_at
    keyed_items.sort(key=lambda keyed: (keyed[0], keyed[1]))
    return [item for _, _, item in keyed_items]


def build_items(
    events: Iterable[ReviewEvent],
    *,
    tz: ZoneInfo | str,
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
) -> list[fsrs_rs_python.FSRSItem]:
    """:func:`build_history_items` as ``fsrs_rs_python.FSRSItem`` values, ready to fit on."""
    items = build_history_items(events, tz=tz, day_start_hour=day_start_hour)
    return [item.to_fsrs_item() for item in items]


def fit_history_items(items: Sequence[HistoryItem]) -> tuple[float, ...]:
    """Fit FSRS-6 weights on ``items`` (time-ordered) with fsrs-rs, without any threshold.

    fsrs-rs's own fallbacks apply (defaults below 8 items, initial stabilities only below 64).
    The evaluation calls this directly so that its "fitted" figures are the optimiser's, exactly
    as ``fsrs_rs_python.evaluate_with_time_series_splits`` computes them. fsrs-rs-python's
    ``compute_parameters`` takes no progress callback, so none is offered here.
    """
    if not items:
        return DEFAULT_PARAMETERS
    fsrs = fsrs_rs_python.FSRS(list(DEFAULT_PARAMETERS))
    parameters = tuple(
        float(w) for w in fsrs.compute_parameters([item.to_fsrs_item() for item in items])
    )
    if len(parameters) != PARAMETER_COUNT or not all(math.isfinite(w) for w in parameters):
        raise RuntimeError(f"fsrs-rs returned unusable parameters: {parameters!r}")
    # fsrs-rs clamps in float32, so a weight at its upper bound of 0.8 (w9, w19, w20) comes
    # back as 0.800000011920929, which the fsrs package that schedules reviews rejects as out
    # of bounds: every review of the learner would fail. Clamp to the package's bounds.
    return tuple(
        min(max(w, low), high)
        for w, low, high in zip(parameters, LOWER_BOUNDS, UPPER_BOUNDS, strict=True)
    )


def fit_parameters(
    events: Iterable[ReviewEvent],
    *,
    tz: ZoneInfo | str,
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
    progress: Progress | None = None,
) -> FittedParameters | None:
    """Fit personal FSRS-6 weights to a learner's review log.

    Returns ``None`` when the log has fewer than :data:`MIN_REVIEWS_FOR_FITTING` trainable
    reviews; the caller should then keep :data:`DEFAULT_PARAMETERS`. fsrs-rs reports no
    progress to Python, so ``progress(done, total)`` is called coarsely: ``(1, 2)`` once the
    items are built and ``(2, 2)`` when fitting has finished (or been skipped).
    """
    event_list = list(events)
    items = build_history_items(event_list, tz=tz, day_start_hour=day_start_hour)
    if progress is not None:
        progress(1, 2)
    if len(items) < MIN_REVIEWS_FOR_FITTING:
        if progress is not None:
            progress(2, 2)
        return None
    parameters = fit_history_items(items)
    if progress is not None:
        progress(2, 2)
    return FittedParameters(
        parameters=parameters, review_count=len(event_list), item_count=len(items), items=items
    )
