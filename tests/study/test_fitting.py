"""Building FSRS items from review events and fitting FSRS-6 weights with fsrs-rs."""

from __future__ import annotations

import math
import random
import struct
from datetime import UTC, datetime, timedelta

import fsrs
import fsrs_rs_python
import pytest

from quizapp.study.fitting import (
    DEFAULT_PARAMETERS,
    MIN_REVIEWS_FOR_FITTING,
    PARAMETER_COUNT,
    FittedParameters,
    ReviewEvent,
    build_history_items,
    build_items,
    fit_history_items,
    fit_parameters,
)

START = datetime(2024, 1, 1, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC moment ``day`` days after 2024-01-01."""
    return START + timedelta(days=day, hours=hour, minutes=minute)


def simulate_reviews(*, cards: int, days: int, seed: int = 7) -> list[ReviewEvent]:
    """A deterministic learner: py-fsrs schedules, the outcome is drawn from its retrievability.

    New cards are introduced over the first half of the period; learning and relearning steps
    give same-day reviews, as in a real log. Passing ``card_id`` to ``fsrs.Card`` avoids its
    1 ms sleep per card.
    """
    rng = random.Random(seed)
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    end = START + timedelta(days=days)
    events: list[ReviewEvent] = []
    for card_id in range(1, cards + 1):
        moment = START + timedelta(days=rng.randrange(days // 2), hours=14 + rng.random() * 4)
        card = fsrs.Card(card_id=card_id, due=moment)
        first = True
        while moment < end:
            recall = 0.6 if first else scheduler.get_card_retrievability(card, moment)
            if rng.random() < recall:
                rating = fsrs.Rating.Easy if rng.random() < 0.05 else fsrs.Rating.Good
            else:
                rating = fsrs.Rating.Again
            card, _ = scheduler.review_card(card, rating, moment)
            events.append(ReviewEvent(card_id, int(rating), moment))
            first = False
            moment = max(card.due, moment + timedelta(minutes=1))
    events.sort(key=lambda event: event.reviewed_at)
    return events


class TestDefaults:
    def test_are_the_21_fsrs6_defaults_of_both_libraries(self) -> None:
        assert len(DEFAULT_PARAMETERS) == PARAMETER_COUNT == 21
        assert tuple(fsrs.scheduler.DEFAULT_PARAMETERS) == DEFAULT_PARAMETERS
        # fsrs-rs stores the same numbers as float32.
        rust = fsrs_rs_python.DEFAULT_PARAMETERS
        assert len(rust) == 21
        for ours, theirs in zip(DEFAULT_PARAMETERS, rust, strict=True):
            assert theirs == pytest.approx(ours, rel=1e-6)


class TestReviewEvent:
    @pytest.mark.parametrize("rating", [0, 5])
    def test_rating_must_be_1_to_4(self, rating: int) -> None:
        with pytest.raises(ValueError, match="rating"):
            ReviewEvent("a", rating, at(0, 12))

    def test_time_must_be_aware(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            ReviewEvent("a", 3, datetime(2024, 1, 1, 12))


class TestBuildItems:
    # Card "a", in UTC with the default 04:00 boundary:
    #   day 0 10:00 Again   first review          delta_t 0  (never an item)
    #   day 0 10:10 Good    learning step         delta_t 0  (same day: history only)
    #   day 1 09:00 Good                          delta_t 1  -> item
    #   day 1 09:30 Good    same study day        delta_t 0
    #   day 4 03:00 Again   before 04:00: day 3   delta_t 2  -> item
    #   day 4 03:10 Good    same study day        delta_t 0
    #   day 4 23:00 Good    day 4                 delta_t 1  -> item
    # Card "b" is reviewed in between, so items of both cards interleave in time.
    EVENTS = (
        ReviewEvent("a", 1, at(0, 10)),
        ReviewEvent("a", 3, at(0, 10, 10)),
        ReviewEvent("b", 3, at(0, 20)),
        ReviewEvent("a", 3, at(1, 9)),
        ReviewEvent("a", 3, at(1, 9, 30)),
        ReviewEvent("b", 1, at(2, 8)),
        ReviewEvent("a", 1, at(4, 3)),
        ReviewEvent("a", 3, at(4, 3, 10)),
        ReviewEvent("a", 3, at(4, 23)),
    )

    def test_delta_ts_and_items(self) -> None:
        items = build_history_items(reversed(self.EVENTS), tz="UTC")
        assert [(item.card_id, item.reviewed_at) for item in items] == [
            ("a", at(1, 9)),
            ("b", at(2, 8)),
            ("a", at(4, 3)),
            ("a", at(4, 23)),
        ]
        assert items[0].reviews == ((1, 0), (3, 0), (3, 1))
        assert items[1].reviews == ((3, 0), (1, 2))
        assert items[2].reviews == ((1, 0), (3, 0), (3, 1), (3, 0), (1, 2))
        assert items[3].reviews == ((1, 0), (3, 0), (3, 1), (3, 0), (1, 2), (3, 0), (3, 1))
        assert [item.recalled for item in items] == [True, False, False, True]
        assert items[2].history == items[2].reviews[:-1]

    def test_day_boundary_and_zone_change_the_delta_ts(self) -> None:
        # With a midnight boundary the 03:00 review on day 4 is on day 4: delta_t 3, and the
        # 23:00 review the same evening is then a same-day review, not an item.
        items = build_history_items(self.EVENTS, tz="UTC", day_start_hour=0)
        assert [item.delta_t for item in items if item.card_id == "a"] == [1, 3]

    def test_fsrs_items_carry_the_same_reviews(self) -> None:
        items = build_items(self.EVENTS, tz="UTC")
        assert len(items) == 4
        assert str(items[1]) == str(
            fsrs_rs_python.FSRSItem(
                [fsrs_rs_python.FSRSReview(3, 0), fsrs_rs_python.FSRSReview(1, 2)]
            )
        )
        assert [item.long_term_review_cnt() for item in items] == [1, 1, 2, 3]

    def test_equal_timestamps_keep_input_order(self) -> None:
        events = [
            ReviewEvent(7, 1, at(0, 12)),
            ReviewEvent(7, 3, at(0, 12)),
            ReviewEvent(7, 3, at(2, 12)),
        ]
        (item,) = build_history_items(events, tz="UTC")
        assert item.reviews == ((1, 0), (3, 0), (3, 2))


class TestFitParameters:
    def test_returns_none_below_the_threshold(self) -> None:
        events = simulate_reviews(cards=20, days=30)
        assert 0 < len(build_history_items(events, tz="UTC")) < MIN_REVIEWS_FOR_FITTING
        calls: list[tuple[int, int]] = []
        assert fit_parameters(events, tz="UTC", progress=lambda *call: calls.append(call)) is None
        assert calls == [(1, 2), (2, 2)]

    def test_fits_21_finite_weights_on_a_sufficient_history(self) -> None:
        events = simulate_reviews(cards=150, days=90)
        calls: list[tuple[int, int]] = []
        fitted = fit_parameters(events, tz="UTC", progress=lambda *call: calls.append(call))
        assert isinstance(fitted, FittedParameters)
        assert fitted.review_count == len(events)
        assert fitted.item_count == len(build_history_items(events, tz="UTC"))
        assert fitted.item_count >= MIN_REVIEWS_FOR_FITTING
        assert len(fitted.parameters) == 21
        assert all(math.isfinite(w) for w in fitted.parameters)
        assert fitted.parameters != DEFAULT_PARAMETERS
        assert calls == [(1, 2), (2, 2)]

    def test_fitting_nothing_gives_the_defaults(self) -> None:
        assert fit_history_items([]) == DEFAULT_PARAMETERS

    def test_weights_fsrs_rs_clamps_in_float32_are_usable_by_the_scheduler(
        self, monkeypatch
    ) -> None:
        # fsrs-rs computes in float32: a weight clamped to its upper bound of 0.8 reads back
        # as 0.800000011920929.
        at_the_bound = [*DEFAULT_PARAMETERS]
        for index in (9, 19, 20):
            at_the_bound[index] = struct.unpack("f", struct.pack("f", 0.8))[0]

        class ClampingFsrs:
            def __init__(self, parameters) -> None:
                pass

            def compute_parameters(self, items):
                return at_the_bound

        monkeypatch.setattr(fsrs_rs_python, "FSRS", ClampingFsrs)
        events = simulate_reviews(cards=10, days=20)
        parameters = fit_history_items(build_history_items(events, tz="UTC"))
        scheduler = fsrs.Scheduler(parameters=parameters, enable_fuzzing=False)
        card, _ = scheduler.review_card(fsrs.Card(card_id=1), fsrs.Rating.Good, at(0, 12))
        assert card.stability is not None
        assert parameters[20] == 0.8
