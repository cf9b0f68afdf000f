"""Measure how well schedulers predict recall, the way open-spaced-repetition's srs-benchmark does.

A scheduler is only as good as its predictions of whether a card will be remembered, so every
model here is scored on the same question: for each review made at least one study day after
the card's previous review, what probability of recall did the model assign beforehand, given
only the card's earlier reviews and, for fitted models, only reviews made earlier in time?

Method (see docs/scheduler-evaluation.md for the measured figures):

* **Items.** Reviews are grouped per card; ``delta_t`` counts study days by the learner's day
  boundary (:mod:`quizapp.study.days`). The first review of a card is never predicted, nor is a
  review on the same study day as the card's previous one (``delta_t = 0``); those same-day
  reviews remain in the histories of later items. The label is "recalled" = rating > 1.
  (:func:`quizapp.study.fitting.build_history_items`.)
* **Folds.** Items ordered by review time are cut into ``folds + 1`` equal chunks (fsrs-rs's
  ``TimeSeriesSplit``: chunk size ``n // (folds + 1)``, remainder in the last test fold). Fold
  ``k`` is predicted with whatever was fitted on chunks ``0..k`` only; the first chunk is only
  ever training data. All models are scored on exactly the same predicted items.
* **Models.** ``baseline`` predicts one constant, the recall rate of the fold's training items
  (what could be known at that point, so no look-ahead); ``sm2`` is classic SuperMemo-2 turned
  into a probability with ``0.9 ** (delta_t / interval)``; ``fsrs6_default`` uses the FSRS-6
  default weights; ``fsrs6_fitted`` fits FSRS-6 weights with fsrs-rs on the fold's training
  items. FSRS memory states come from fsrs-rs itself (``FSRS.memory_state_batch``), so the
  prediction is by construction the same model the optimiser fitted.
* **Metrics.** Log loss, AUC and RMSE(bins) as srs-benchmark defines them (see the functions
  below for the exact definitions and their sources).
* **Reference.** The same items are also run through
  ``fsrs_rs_python.evaluate_with_time_series_splits``, and the relative difference from our
  ``fsrs6_fitted`` figures is reported; it should be ~0, which cross-checks items, folds,
  predictions and the binning in one go.

Known deviation from srs-benchmark: the benchmark also drops "outlier" cards (rare
first-rating/first-interval groups, fsrs-optimizer's ``remove_outliers``) from the data it
scores. fsrs-rs applies that filter only to the training set, and so do we (inside fsrs-rs), so
our n includes those cards.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import fsrs_rs_python

from quizapp.study.days import DEFAULT_DAY_START_HOUR, resolve_zone
from quizapp.study.fitting import (
    DEFAULT_PARAMETERS,
    HistoryItem,
    ReviewEvent,
    build_history_items,
    fit_history_items,
    reviews_by_card,
)
from quizapp.study.scheduling import (
    NEW_CARD,
    ReviewInput,
    SchedulerConfig,
    apply_review,
    forgetting_curve,
    predicted_recall,
)

__all__ = [
    "MODEL_NAMES",
    "EvaluationReport",
    "Fold",
    "FoldSummary",
    "ModelMetrics",
    "ReferenceComparison",
    "SM2State",
    "evaluate",
    "forgetting_curve",
    "history_log_loss",
    "log_loss",
    "predict_fsrs6",
    "predict_live",
    "predict_sm2",
    "read_revlog",
    "rmse_bin_key",
    "rmse_bins",
    "roc_auc",
    "sm2_interval",
    "sm2_review",
    "time_series_folds",
]

MODEL_NAMES = ("baseline", "sm2", "fsrs6_default", "fsrs6_fitted")

REFERENCE_FOLDS = 5
"""``evaluate_with_time_series_splits`` always uses 5 splits; it is comparable only then."""

Progress = Callable[[int, int], None]
Fitter = Callable[[Sequence[HistoryItem]], Sequence[float]]

# --------------------------------------------------------------------------------------------
# Reading review logs
# --------------------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("card_id", "review_rating", "review_time")
"""``review_duration`` (milliseconds) is optional and not used by any model, but checked."""


def read_revlog(path: str | os.PathLike[str]) -> list[ReviewEvent]:
    """Read a review-log CSV with columns ``card_id, review_rating, review_time[,
    review_duration]``.

    ``review_time`` must be ISO 8601 with a UTC offset (``2024-03-29T20:32:32.25+00:00`` or
    ``...Z``); a naive time has no study day. ``card_id`` is kept as text. Every problem raises
    ``ValueError`` naming the file and the physical line, because these logs are exported by
    hand and a message like "invalid literal for int()" would leave the user searching 12,000
    lines.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(
            f"{path}:{line}: not UTF-8 text (byte {raw[error.start]:#04x}); save the log as "
            "UTF-8 and try again"
        ) from None
    events: list[ReviewEvent] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames
    if header is None:
        raise ValueError(f"{path}:1: empty file, expected a header row")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ValueError(f"{path}:1: missing column(s): {', '.join(missing)}")
    for row in reader:
        line = reader.line_num
        events.append(_parse_row(row, where=f"{path}:{line}", width=len(header)))
    return events


def _parse_row(row: dict[str | None, Any], *, where: str, width: int) -> ReviewEvent:
    if None in row or any(value is None for value in row.values()):
        raise ValueError(f"{where}: expected {width} fields")
    card_id = row["card_id"].strip()
    if not card_id:
        raise ValueError(f"{where}: card_id is empty")
    raw_rating = row["review_rating"].strip()
    try:
        rating = int(raw_rating)
    except ValueError:
        rating = 0
    if not 1 <= rating <= 4:
        raise ValueError(f"{where}: review_rating must be 1, 2, 3 or 4, got {raw_rating!r}")
    raw_time = row["review_time"].strip()
    try:
        reviewed_at = datetime.fromisoformat(raw_time)
    except ValueError:
        raise ValueError(
            f"{where}: review_time is not an ISO 8601 timestamp: {raw_time!r}"
        ) from None
    if reviewed_at.utcoffset() is None:
        raise ValueError(f"{where}: review_time has no UTC offset: {raw_time!r}")
    raw_duration = (row.get("review_duration") or "").strip()
    if raw_duration and not (raw_duration.isascii() and raw_duration.isdigit()):
        raise ValueError(
            f"{where}: review_duration must be a whole number of milliseconds, got {raw_duration!r}"
        )
    return ReviewEvent(card_id=card_id, rating=rating, reviewed_at=reviewed_at)


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------

_LOG_LOSS_EPSILON = sys.float_info.epsilon


def log_loss(labels: Sequence[bool | int], predictions: Sequence[float]) -> float:
    """Mean binary cross-entropy, natural log.

    Predictions are clipped to ``[eps, 1 - eps]`` with ``eps`` the float64 machine epsilon,
    as scikit-learn's ``log_loss`` (used by srs-benchmark) does; fsrs-rs does not clip at all.
    Neither ever bites on FSRS or SM-2 predictions, which stay well inside (0, 1).
    """
    _check_lengths(labels, predictions)
    total = 0.0
    for label, prediction in zip(labels, predictions, strict=True):
        p = min(max(prediction, _LOG_LOSS_EPSILON), 1.0 - _LOG_LOSS_EPSILON)
        total -= math.log(p) if label else math.log(1.0 - p)
    return total / len(labels)


def roc_auc(labels: Sequence[bool | int], predictions: Sequence[float]) -> float | None:
    """Area under the ROC curve, via the rank-sum (Mann–Whitney U) statistic.

    Tied predictions share their average rank, which counts each tied positive/negative pair as
    half a win — the same value scikit-learn's ``roc_auc_score`` gives. Returns ``None`` when
    the labels are all of one class and AUC is undefined.
    """
    _check_lengths(labels, predictions)
    order = sorted(range(len(predictions)), key=predictions.__getitem__)
    positive_rank_sum = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and predictions[order[end + 1]] == predictions[order[start]]:
            end += 1
        average_rank = (start + end) / 2 + 1  # ranks are 1-based
        positive_rank_sum += average_rank * sum(1 for i in order[start : end + 1] if labels[i])
        start = end + 1
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def rmse_bin_key(reviews: Sequence[tuple[int, int]]) -> tuple[int, int, int]:
    """The RMSE(bins) bin of an item whose ``(rating, delta_t)`` reviews end in the predicted one.

    srs-benchmark (``utils.rmse_matrix``) and fsrs-rs (``FSRSItem::r_matrix_index``) bin by
    three log-spaced quantities:

    * elapsed days ``t`` of the predicted review: ``2.48 · 3.62^⌊log(t)/log(3.62)⌋``, rounded to
      2 decimals (kept here ×100 as an int, as fsrs-rs does);
    * review number ``i`` = reviews of the card with ``delta_t > 0`` up to and including this
      one, plus 1 (srs-benchmark: ``(elapsed_days > 0).cumsum() + 1``; fsrs-rs:
      ``long_term_review_cnt() + 1``): ``1.99 · 1.89^⌊log(i)/log(1.89)⌋`` rounded;
    * lapses ``l`` = Again ratings with ``delta_t > 0`` *before* this review:
      ``1.65 · 1.73^⌊log(l)/log(1.73)⌋`` rounded, or 0 when there are none.

    Rounding is half-up; the scaled values never land on .5, so this matches both numpy's and
    Rust's rounding.
    """
    delta_t = reviews[-1][1]
    if delta_t < 1:
        raise ValueError("only reviews with delta_t >= 1 are binned")
    delta_t_bin = _round_half_up(
        2.48 * 3.62 ** math.floor(math.log(delta_t) / math.log(3.62)) * 100
    )
    length = sum(1 for _, elapsed in reviews if elapsed > 0) + 1
    length_bin = _round_half_up(1.99 * 1.89 ** math.floor(math.log(length) / math.log(1.89)))
    lapses = sum(1 for rating, elapsed in reviews[:-1] if rating == 1 and elapsed > 0)
    lapse_bin = 0
    if lapses:
        lapse_bin = _round_half_up(1.65 * 1.73 ** math.floor(math.log(lapses) / math.log(1.73)))
    return delta_t_bin, length_bin, lapse_bin


def rmse_bins(
    items: Sequence[HistoryItem],
    predictions: Sequence[float],
    *,
    labels: Sequence[bool | int] | None = None,
) -> float:
    """RMSE(bins): ``sqrt(Σ_bins n_b · (mean prediction_b − mean label_b)² / N)``.

    Plain RMSE over individual 0/1 outcomes mostly measures noise; averaging within bins of
    similar items (:func:`rmse_bin_key`) measures calibration instead. This is srs-benchmark's
    ``rmse_matrix`` (``root_mean_squared_error`` of the per-bin means weighted by bin size) and
    fsrs-rs's ``rmse_bins`` with unit weights. ``labels`` default to each item's own outcome.
    """
    _check_lengths(items, predictions)
    if labels is None:
        labels = [item.recalled for item in items]
    _check_lengths(items, labels)
    sums: dict[tuple[int, int, int], list[float]] = {}
    for item, prediction, label in zip(items, predictions, labels, strict=True):
        bucket = sums.setdefault(rmse_bin_key(item.reviews), [0.0, 0.0, 0])
        bucket[0] += prediction
        bucket[1] += 1.0 if label else 0.0
        bucket[2] += 1
    squared = sum(count * (p / count - y / count) ** 2 for p, y, count in sums.values())
    return math.sqrt(squared / len(items))


def _check_lengths(first: Sequence[Any], second: Sequence[Any]) -> None:
    if len(first) != len(second):
        raise ValueError(f"length mismatch: {len(first)} != {len(second)}")
    if not first:
        raise ValueError("cannot score an empty set of predictions")


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def predict_fsrs6(items: Sequence[HistoryItem], parameters: Sequence[float]) -> list[float]:
    """FSRS-6 probability of recall for each item, from its history alone.

    fsrs-rs computes the memory state (stability, difficulty) after the history — including
    same-day reviews, handled by FSRS-6's short-term formula — in one batched call, and the
    forgetting curve turns the stability and the item's ``delta_t`` into a probability.
    """
    if not items:
        return []
    fsrs = fsrs_rs_python.FSRS(list(parameters))
    states = fsrs.memory_state_batch([item.history_fsrs_item() for item in items])
    decay = parameters[20]
    return [
        forgetting_curve(item.delta_t, state.stability, decay)
        for item, state in zip(items, states, strict=True)
    ]


def predict_live(
    items: Sequence[HistoryItem],
    cards: dict[str | int, list[ReviewEvent]],
    *,
    config: SchedulerConfig,
) -> list[float]:
    """The product's own prediction for each item: the card replayed review by review through
    :func:`quizapp.study.scheduling.apply_review` (what a stored card state is), and the
    recall the queue would show just before the predicted review
    (:func:`quizapp.study.scheduling.predicted_recall`).

    ``cards`` holds each card's events in replay order (:func:`reviews_by_card`), so the
    item ending with a card's ``n``-th review is predicted from its first ``n − 1``.
    """
    wanted: dict[str | int, set[int]] = {}
    for item in items:
        wanted.setdefault(item.card_id, set()).add(len(item.reviews) - 1)
    predicted: dict[tuple[str | int, int], float] = {}
    for card_id, positions in wanted.items():
        memory = NEW_CARD
        for position, event in enumerate(cards[card_id][: max(positions) + 1]):
            if position in positions:
                recall = predicted_recall(memory, now=event.reviewed_at, config=config)
                if recall is None:
                    raise ValueError(f"card {card_id}: review {position + 1} has no history")
                predicted[(card_id, position)] = recall
            review = ReviewInput(event.rating, event.reviewed_at)
            memory = apply_review(memory, review, config=config)
    return [predicted[(item.card_id, len(item.reviews) - 1)] for item in items]


def history_log_loss(items: Sequence[HistoryItem], parameters: Sequence[float]) -> float:
    """Log loss of FSRS-6 with ``parameters`` on ``items`` (a learner's own history): what
    judges a refit against the parameters in use. Memory states come from fsrs-rs, which
    agrees with the product's replay to about 1e-6 (``evaluate_scheduler`` reports it)."""
    return log_loss([item.recalled for item in items], predict_fsrs6(items, parameters))


SM2_QUALITY = {1: 0, 2: 3, 3: 4, 4: 5}
"""Our four buttons on SuperMemo's 0–5 quality scale: Again is a blackout (0), Hard the lowest
passing grade (3), Good 4, Easy 5."""

SM2_INITIAL_EASE = 2.5
SM2_MIN_EASE = 1.3


@dataclass(frozen=True, slots=True)
class SM2State:
    """SuperMemo-2 state of a card after a review."""

    repetitions: int
    """Successful repetitions in a row (n)."""
    ease_factor: float
    """E-Factor (EF)."""
    interval: int
    """Days until the next review, I(n)."""


def sm2_review(state: SM2State | None, rating: int) -> SM2State:
    """Apply one review to an SM-2 state (``None`` for a new card).

    Classic SM-2 (Woźniak, 1990): with quality q ≥ 3 the intervals are I(1) = 1, I(2) = 6 and
    I(n) = I(n−1) · EF, using the E-Factor from before this review; q < 3 restarts the
    repetitions at I(1) = 1. After every review EF' = EF + (0.1 − (5−q)(0.08 + (5−q)·0.02)),
    floored at 1.3. Intervals are whole days, rounded half-up and at least 1, as in
    srs-benchmark's ``sm2`` (the 1990 text rounds fractions up; the difference is a day at most).
    """
    quality = SM2_QUALITY[rating]
    if state is None:
        state = SM2State(repetitions=0, ease_factor=SM2_INITIAL_EASE, interval=0)
    if quality >= 3:
        if state.repetitions == 0:
            interval = 1.0
        elif state.repetitions == 1:
            interval = 6.0
        else:
            interval = state.interval * state.ease_factor
        repetitions = state.repetitions + 1
    else:
        interval = 1.0
        repetitions = 0
    miss = 5 - quality
    ease_factor = max(SM2_MIN_EASE, state.ease_factor + (0.1 - miss * (0.08 + miss * 0.02)))
    return SM2State(
        repetitions=repetitions,
        ease_factor=ease_factor,
        interval=max(1, _round_half_up(interval)),
    )


def sm2_interval(history: Sequence[tuple[int, int]]) -> int:
    """The interval SM-2 scheduled after a card's ``(rating, delta_t)`` history.

    SM-2 knows one repetition per day, so only the card's first review and reviews on later
    study days (``delta_t ≥ 1``) are fed to it; same-day learning steps are skipped, as
    srs-benchmark does when short-term reviews are excluded. Otherwise three "Good" learning
    steps on day one would already schedule the card 15 days out.
    """
    state: SM2State | None = None
    for index, (rating, delta_t) in enumerate(history):
        if index == 0 or delta_t > 0:
            state = sm2_review(state, rating)
    if state is None:
        raise ValueError("history is empty")
    return state.interval


def predict_sm2(items: Sequence[HistoryItem]) -> list[float]:
    """SM-2 probability of recall: ``0.9 ** (delta_t / interval)``.

    SM-2 has no memory model; treating its interval as the time at which recall falls to 90%
    (an exponential forgetting curve) is srs-benchmark's conversion.
    """
    return [0.9 ** (item.delta_t / sm2_interval(item.history)) for item in items]


# --------------------------------------------------------------------------------------------
# Folds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fold:
    """Items ``[0, test_start)`` train the models that predict items ``[test_start, test_end)``."""

    index: int
    test_start: int
    test_end: int

    @property
    def train_end(self) -> int:
        return self.test_start


def time_series_folds(item_count: int, folds: int) -> list[Fold]:
    """Split ``item_count`` time-ordered items like fsrs-rs's ``TimeSeriesSplit``.

    The items are cut into ``folds + 1`` chunks of ``item_count // (folds + 1)``; fold ``k``
    tests chunk ``k + 1`` and trains on everything before it. The last fold also takes the
    remainder. (scikit-learn's ``TimeSeriesSplit``, used by srs-benchmark, puts the remainder
    into the first training chunk instead; we follow fsrs-rs so that its reference figures
    cover exactly the same predictions. At most ``folds`` items differ.)
    """
    if folds < 1:
        raise ValueError(f"folds must be at least 1, got {folds}")
    size = item_count // (folds + 1)
    if size == 0:
        raise ValueError(
            f"{item_count} predictable reviews cannot be split into {folds + 1} time chunks"
        )
    return [
        Fold(
            index=k,
            test_start=(k + 1) * size,
            test_end=item_count if k == folds - 1 else (k + 2) * size,
        )
        for k in range(folds)
    ]


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelMetrics:
    log_loss: float
    rmse_bins: float
    auc: float | None
    """``None`` when every predicted review had the same outcome: AUC scores how well a model
    ranks recalled reviews above forgotten ones, which needs both."""
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "log_loss": self.log_loss,
            "rmse_bins": self.rmse_bins,
            "auc": self.auc,
            "n": self.n,
        }


@dataclass(frozen=True, slots=True)
class ReferenceComparison:
    """fsrs-rs's own time-series evaluation of the same items, against the live fitted path."""

    log_loss: float
    rmse_bins: float
    log_loss_relative_difference: float | None
    """``(live − reference) / reference``; ``None`` unless we also used 5 folds."""
    rmse_bins_relative_difference: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "log_loss": self.log_loss,
            "rmse_bins": self.rmse_bins,
            "log_loss_relative_difference": self.log_loss_relative_difference,
            "rmse_bins_relative_difference": self.rmse_bins_relative_difference,
        }


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """The FSRS models of the same folds predicted by fsrs-rs itself (memory states from
    ``FSRS.memory_state_batch``), beside the live path that :attr:`EvaluationReport.models`
    scores."""

    models: dict[str, ModelMetrics]
    """``fsrs6_default`` and ``fsrs6_fitted``, as fsrs-rs predicts them."""
    max_prediction_difference: dict[str, float]
    """The largest ``|live − fsrs-rs|`` recall prediction of any item, per model."""
    reference: ReferenceComparison | None
    """``fsrs_rs_python.evaluate_with_time_series_splits`` (its own fits and folds)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "models": {name: metrics.as_dict() for name, metrics in self.models.items()},
            "max_prediction_difference": dict(self.max_prediction_difference),
            "reference": None if self.reference is None else self.reference.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Interval:
    """A difference measured on all predicted reviews, with its bootstrap interval."""

    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass(frozen=True, slots=True)
class BootstrapComparison:
    """Card-level bootstrap of ``fsrs6_fitted`` minus each other model.

    Cards are drawn with replacement (all of a card's predicted reviews together, because a
    card's reviews are not independent of each other) and every metric is recomputed on each
    resample. An interval that lies wholly below 0 is a real win for the fitted scheduler on
    this log; one that contains 0 is not distinguishable from noise.
    """

    resamples: int
    confidence: float
    seed: int
    fitted_minus: dict[str, dict[str, Interval]]
    """Other model → ``log_loss`` / ``rmse_bins`` → interval of (fitted − other)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "resamples": self.resamples,
            "confidence": self.confidence,
            "seed": self.seed,
            "fitted_minus": {
                other: {metric: interval.as_dict() for metric, interval in metrics.items()}
                for other, metrics in self.fitted_minus.items()
            },
        }


@dataclass(frozen=True, slots=True)
class FoldSummary:
    index: int
    train_items: int
    test_items: int
    test_from: datetime
    """Review time of the fold's first predicted item."""
    test_until: datetime
    """Review time of the fold's last predicted item."""
    baseline_recall: float
    """Recall rate of the training items: the baseline's prediction for this fold."""
    fitted_parameters: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "train_items": self.train_items,
            "test_items": self.test_items,
            "test_from": self.test_from.isoformat(),
            "test_until": self.test_until.isoformat(),
            "baseline_recall": self.baseline_recall,
            "fitted_parameters": list(self.fitted_parameters),
        }


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    models: dict[str, ModelMetrics]
    """Keyed by :data:`MODEL_NAMES`; the FSRS models through the product's scheduling code."""
    fsrs_rs: CrossCheck | None
    folds: tuple[FoldSummary, ...]
    review_count: int
    """All review events."""
    card_count: int
    """Cards, i.e. first reviews, which are never predicted."""
    item_count: int
    """Reviews at least one study day after the card's previous review (predictable)."""
    same_day_count: int
    """Reviews on the same study day as the card's previous review (kept in histories only)."""
    tz: str
    day_start_hour: int
    bootstrap: BootstrapComparison | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def fsrs_rs_reference(self) -> ReferenceComparison | None:
        return None if self.fsrs_rs is None else self.fsrs_rs.reference

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable data, for ``--json`` output and stored snapshots."""
        return {
            "models": {name: metrics.as_dict() for name, metrics in self.models.items()},
            "fsrs_rs": None if self.fsrs_rs is None else self.fsrs_rs.as_dict(),
            "bootstrap": None if self.bootstrap is None else self.bootstrap.as_dict(),
            "folds": [fold.as_dict() for fold in self.folds],
            "review_count": self.review_count,
            "card_count": self.card_count,
            "item_count": self.item_count,
            "same_day_count": self.same_day_count,
            "tz": self.tz,
            "day_start_hour": self.day_start_hour,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

MIN_ITEMS_PER_CHUNK = 100
"""Fewest predictable reviews per time chunk for a log to be judged at all.

With fewer, a fold's fit learns from a few dozen reviews and its test chunk is so small that
the differences between models are noise (the bootstrap intervals then span several hundredths
of log loss); ``evaluate`` refuses rather than print figures that look meaningful."""


class LogTooSmall(ValueError):
    """The log has too few predictable reviews to judge a scheduler on."""


def minimum_items(folds: int) -> int:
    return (folds + 1) * MIN_ITEMS_PER_CHUNK


def _metrics(items: Sequence[HistoryItem], predictions: Sequence[float]) -> ModelMetrics:
    labels = [item.recalled for item in items]
    return ModelMetrics(
        log_loss=log_loss(labels, predictions),
        rmse_bins=rmse_bins(items, predictions, labels=labels),
        auc=roc_auc(labels, predictions),
        n=len(items),
    )


def _relative(ours: float, reference: float) -> float:
    return (ours - reference) / reference


def _binary_loss(label: bool, prediction: float) -> float:
    p = min(max(prediction, _LOG_LOSS_EPSILON), 1.0 - _LOG_LOSS_EPSILON)
    return -math.log(p) if label else -math.log(1.0 - p)


def bootstrap_fitted_minus_others(
    items: Sequence[HistoryItem],
    predictions: dict[str, Sequence[float]],
    *,
    resamples: int,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapComparison:
    """Card-level bootstrap intervals of ``fsrs6_fitted`` minus every other model, for log loss
    and RMSE(bins) (percentile intervals; see :class:`BootstrapComparison`)."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    names = list(predictions)
    # Per card: its item count, its summed loss per model, and per RMSE bin its item count,
    # recalled count and summed predictions per model. A resample then only adds these up.
    card_index: dict[str | int, int] = {}
    counts: list[int] = []
    losses: list[list[float]] = []
    bins: list[dict[tuple[int, int, int], list[float]]] = []
    for position, item in enumerate(items):
        index = card_index.setdefault(item.card_id, len(counts))
        if index == len(counts):
            counts.append(0)
            losses.append([0.0] * len(names))
            bins.append({})
        counts[index] += 1
        bucket = bins[index].setdefault(rmse_bin_key(item.reviews), [0.0] * (len(names) + 2))
        bucket[0] += 1
        bucket[1] += item.recalled
        for model, name in enumerate(names):
            prediction = predictions[name][position]
            losses[index][model] += _binary_loss(item.recalled, prediction)
            bucket[2 + model] += prediction
    card_bins = [list(card.items()) for card in bins]

    def scores(weights: Sequence[int]) -> list[tuple[float, float]]:
        total = 0
        loss = [0.0] * len(names)
        merged: dict[tuple[int, int, int], list[float]] = {}
        for index, weight in enumerate(weights):
            if not weight:
                continue
            total += weight * counts[index]
            for model in range(len(names)):
                loss[model] += weight * losses[index][model]
            for key, bucket in card_bins[index]:
                into = merged.get(key)
                if into is None:
                    merged[key] = [weight * value for value in bucket]
                else:
                    for slot, value in enumerate(bucket):
                        into[slot] += weight * value
        result = []
        for model in range(len(names)):
            squared = sum((b[2 + model] - b[1]) ** 2 / b[0] for b in merged.values())
            result.append((loss[model] / total, math.sqrt(squared / total)))
        return result

    fitted = names.index("fsrs6_fitted")
    others = [name for name in names if name != "fsrs6_fitted"]
    full = scores([1] * len(counts))
    rng = random.Random(seed)
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in others}
    for _ in range(resamples):
        weights = [0] * len(counts)
        for index in rng.choices(range(len(counts)), k=len(counts)):
            weights[index] += 1
        resampled = scores(weights)
        for name in others:
            other = resampled[names.index(name)]
            samples[name][0].append(resampled[fitted][0] - other[0])
            samples[name][1].append(resampled[fitted][1] - other[1])

    tail = (1.0 - confidence) / 2

    def interval(estimate: float, values: list[float]) -> Interval:
        values.sort()
        low = values[min(len(values) - 1, math.floor(tail * len(values)))]
        high = values[max(0, math.ceil((1.0 - tail) * len(values)) - 1)]
        return Interval(estimate=estimate, low=low, high=high)

    return BootstrapComparison(
        resamples=resamples,
        confidence=confidence,
        seed=seed,
        fitted_minus={
            name: {
                "log_loss": interval(
                    full[fitted][0] - full[names.index(name)][0], samples[name][0]
                ),
                "rmse_bins": interval(
                    full[fitted][1] - full[names.index(name)][1], samples[name][1]
                ),
            }
            for name in others
        },
    )


def evaluate(
    events: Iterable[ReviewEvent],
    *,
    tz: ZoneInfo | str,
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
    folds: int = 5,
    progress: Progress | None = None,
    fitter: Fitter = fit_history_items,
    reference: bool = True,
    bootstrap: int = 0,
    seed: int = 0,
) -> EvaluationReport:
    """Score the baseline, SM-2, default FSRS-6 and fitted FSRS-6 on a review log.

    The FSRS models are scored as the product schedules: each card is replayed through the
    product's scheduling code with the fold's parameters (:func:`predict_live`). fsrs-rs's own
    predictions of the same folds, and its own time-series evaluation, are reported beside them
    as a cross-check (``reference=False`` skips the latter: 5 more fits).

    ``fitter`` receives the training items of each fold (time-ordered, all reviewed no later
    than the fold's first test item) and returns 21 weights; it exists so tests can check what
    each fit gets to see. ``bootstrap`` > 0 adds card-level bootstrap intervals of fitted minus
    each other model from that many resamples (drawn with ``seed``).
    ``progress(done, total)`` is called after each fit, the reference run and the bootstrap.
    Raises :class:`LogTooSmall` when the log has fewer than :func:`minimum_items` predictable
    reviews.
    """
    zone = resolve_zone(tz)
    event_list = list(events)
    items = build_history_items(event_list, tz=zone, day_start_hour=day_start_hour)
    if folds < 1:
        raise ValueError(f"folds must be at least 1, got {folds}")
    if len(items) < minimum_items(folds):
        raise LogTooSmall(
            f"the log has {len(items):,} predictable reviews (reviews at least one study day "
            f"after the card's previous one); judging a scheduler with {folds} folds needs at "
            f"least {minimum_items(folds):,} ({MIN_ITEMS_PER_CHUNK} per time chunk)"
        )
    cards = reviews_by_card(event_list)
    card_count = len(cards)
    splits = time_series_folds(len(items), folds)
    total_steps = len(splits) + (1 if reference else 0) + (1 if bootstrap else 0)

    def live_config(parameters: Sequence[float]) -> SchedulerConfig:
        return SchedulerConfig(parameters=tuple(parameters), tz=zone, day_start_hour=day_start_hour)

    predicted: list[HistoryItem] = []
    predictions: dict[str, list[float]] = {name: [] for name in MODEL_NAMES}
    fsrs_rs_predictions: dict[str, list[float]] = {"fsrs6_default": [], "fsrs6_fitted": []}
    summaries: list[FoldSummary] = []
    for step, fold in enumerate(splits, start=1):
        train = items[: fold.train_end]
        test = items[fold.test_start : fold.test_end]
        parameters = tuple(float(w) for w in fitter(train))
        recall_rate = sum(1 for item in train if item.recalled) / len(train)
        predicted.extend(test)
        predictions["baseline"].extend([recall_rate] * len(test))
        predictions["sm2"].extend(predict_sm2(test))
        for name, weights in (("fsrs6_default", DEFAULT_PARAMETERS), ("fsrs6_fitted", parameters)):
            predictions[name].extend(predict_live(test, cards, config=live_config(weights)))
            fsrs_rs_predictions[name].extend(predict_fsrs6(test, weights))
        summaries.append(
            FoldSummary(
                index=fold.index,
                train_items=len(train),
                test_items=len(test),
                test_from=test[0].reviewed_at,
                test_until=test[-1].reviewed_at,
                baseline_recall=recall_rate,
                fitted_parameters=parameters,
            )
        )
        if progress is not None:
            progress(step, total_steps)

    models = {name: _metrics(predicted, predictions[name]) for name in MODEL_NAMES}
    notes: list[str] = []
    for name, metrics in models.items():
        if metrics.auc is None:
            outcome = "recalled" if predicted[0].recalled else "forgotten"
            notes.append(
                f"{name}: auc is null because every predicted review was {outcome}; AUC "
                "measures how well recalled reviews are ranked above forgotten ones, which "
                "needs both."
            )
            break

    comparison: ReferenceComparison | None = None
    if reference:
        result = fsrs_rs_python.evaluate_with_time_series_splits(
            [item.to_fsrs_item() for item in items]
        )
        live = models["fsrs6_fitted"]
        comparable = folds == REFERENCE_FOLDS
        if not comparable:
            notes.append(
                f"fsrs-rs always uses {REFERENCE_FOLDS} folds; with folds={folds} its figures "
                "are shown without a relative difference."
            )
        comparison = ReferenceComparison(
            log_loss=float(result.log_loss),
            rmse_bins=float(result.rmse_bins),
            log_loss_relative_difference=(
                _relative(live.log_loss, result.log_loss) if comparable else None
            ),
            rmse_bins_relative_difference=(
                _relative(live.rmse_bins, result.rmse_bins) if comparable else None
            ),
        )
        if progress is not None:
            progress(len(splits) + 1, total_steps)
    cross_check = CrossCheck(
        models={name: _metrics(predicted, values) for name, values in fsrs_rs_predictions.items()},
        max_prediction_difference={
            name: max(
                abs(ours - theirs) for ours, theirs in zip(predictions[name], values, strict=True)
            )
            for name, values in fsrs_rs_predictions.items()
        },
        reference=comparison,
    )

    intervals: BootstrapComparison | None = None
    if bootstrap:
        intervals = bootstrap_fitted_minus_others(
            predicted, predictions, resamples=bootstrap, seed=seed
        )
        if progress is not None:
            progress(total_steps, total_steps)

    return EvaluationReport(
        models=models,
        fsrs_rs=cross_check,
        folds=tuple(summaries),
        review_count=len(event_list),
        card_count=card_count,
        item_count=len(items),
        same_day_count=len(event_list) - card_count - len(items),
        tz=zone.key,
        day_start_hour=day_start_hour,
        bootstrap=intervals,
        notes=tuple(notes),
    )
