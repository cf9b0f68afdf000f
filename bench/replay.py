"""Replay speed: reviews per second through quizapp.study.scheduling, against bare fsrs.

Replaying a card's log is how every card state is derived (a late offline review, an undo, new
parameters, verify_card_states), so its speed bounds those operations. The inputs are
deterministic card histories (10 reviews a card, ratings and gaps drawn from a fixed seed).
Ours is ``scheduling.replay`` (with its day bookkeeping); the reference is the bare
``fsrs.Scheduler.review_card`` loop on the same inputs with the same parameters, given the same
elapsed study days (UTC, 04:00 boundary), timed in interleaved slices in the same process so
machine drift hits both alike.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import fsrs

from bench import Result
from quizapp.study import scheduling
from quizapp.study.scheduling import ReviewInput, SchedulerConfig

USES_DATABASE = False
REVIEWS_PER_CARD = 10
FULL_CARDS, QUICK_CARDS = 100_000, 5_000
SLICES = 10
START = datetime(2025, 1, 1, tzinfo=UTC)
RATINGS = (1, 2, 3, 3, 3, 3, 3, 4)  # about the mix learners give
DAY_START = timedelta(hours=4)

History = list[ReviewInput]


def histories(first: int, count: int, *, seed: int = 1) -> list[History]:
    """Cards `first`…`first + count - 1`: increasing times, from minutes to a month apart."""
    result = []
    for card in range(first, first + count):
        rng = random.Random(seed * 1_000_003 + card)
        at = START + timedelta(seconds=rng.randrange(86400 * 30))
        reviews = []
        for _ in range(REVIEWS_PER_CARD):
            at += timedelta(seconds=rng.randrange(60, 86400 * 30))
            reviews.append(ReviewInput(rng.choice(RATINGS), at))
        result.append(reviews)
    return result


def replay_ours(cards: Sequence[History], config: SchedulerConfig, first: int) -> list:
    return [
        scheduling.replay(reviews, config=config, card_id=first + n)
        for n, reviews in enumerate(cards)
    ]


def replay_bare(
    cards: Sequence[Sequence[tuple[fsrs.Rating, datetime]]], scheduler: fsrs.Scheduler, first: int
) -> list[fsrs.Card]:
    finals = []
    for n, reviews in enumerate(cards):
        card = fsrs.Card(card_id=first + n)
        last_day = 0
        for rating, at in reviews:
            # The study day in UTC with a 04:00 start, and the last review moved back to
            # exactly that many days before, as scheduling.apply_review hands it to fsrs.
            day = (at - DAY_START).date().toordinal()
            if card.last_review is not None:
                card.last_review = at - timedelta(days=day - last_day)
            card, _ = scheduler.review_card(card, rating, at)
            last_day = day
        finals.append(card)
    return finals


def timed(work, *args) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    outcome = work(*args)
    return time.perf_counter() - started, outcome


def run(quick: bool) -> list[Result]:
    cards = QUICK_CARDS if quick else FULL_CARDS
    config = SchedulerConfig()
    scheduler = fsrs.Scheduler(
        parameters=config.parameters,
        desired_retention=config.desired_retention,
        enable_fuzzing=False,
    )
    ours = bare = 0.0
    agree = True
    per_slice = cards // SLICES
    for number in range(SLICES):
        first = 1 + number * per_slice
        ours_inputs = histories(first, per_slice)
        bare_inputs = [[(fsrs.Rating(r.rating), r.reviewed_at) for r in h] for h in ours_inputs]
        # Alternate which goes first, so neither always runs on a warmer (or busier) machine.
        if number % 2:
            seconds_bare, bare_cards = timed(replay_bare, bare_inputs, scheduler, first)
            seconds_ours, our_cards = timed(replay_ours, ours_inputs, config, first)
        else:
            seconds_ours, our_cards = timed(replay_ours, ours_inputs, config, first)
            seconds_bare, bare_cards = timed(replay_bare, bare_inputs, scheduler, first)
        ours += seconds_ours
        bare += seconds_bare
        # Same work or the ratio means nothing: both must end in the same memory states.
        agree = agree and all(
            (m.stability, m.difficulty, m.due) == (c.stability, c.difficulty, c.due)
            for m, c in zip(our_cards, bare_cards, strict=True)
        )
    reviews = per_slice * SLICES * REVIEWS_PER_CARD
    return [
        Result(
            name=f"replay {reviews:,} reviews (scheduling.replay)",
            figure=reviews / ours,
            unit="reviews/s",
            reference=reviews / bare,
            reference_name="bare fsrs.Scheduler.review_card loop",
            notes=f"{per_slice * SLICES:,} cards × {REVIEWS_PER_CARD}; "
            f"same final states: {'yes' if agree else 'NO'}",
        )
    ]
