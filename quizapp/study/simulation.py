"""Workload simulator: how much study the coming days hold at each desired retention (pure).

For one learner's cards and parameters, day by day: the cards due come back (up to the daily
review limit), new cards are introduced (up to the daily new-card limit), and each review is
answered with the probability of recall the model predicts, then scheduled by the product's
own scheduling code (`quizapp.study.scheduling`: study days, the preset's steps, no fuzz), so
the simulated intervals are the ones the learner would get. Same-day learning and relearning
steps are simulated too, one after another. Every desired retention is simulated with the
same random draws, so the differences between them are the retention's, not chance's.

fsrs-rs-python ships a simulator (`simulate`) and `optimal_retention`, but its `simulate`
starts from new cards only: it cannot take the cards a learner already has, which for anyone
past their first week are most of the work. This module does.

Figures per horizon: reviews and minutes per day (averaged over the horizon), and cards
memorised at its end (the sum over started cards of the predicted recall that day, as
fsrs-rs's simulator counts it). The recommended retention is the one with the least work per
memorised card: minutes over the horizon divided by cards memorised at its end.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from heapq import heappop, heappush

from quizapp.study import scheduling
from quizapp.study.days import day_bounds, study_day
from quizapp.study.scheduling import MemoryState, ReviewInput, SchedulerConfig

RETENTIONS = (0.70, 0.75, 0.80, 0.85, 0.90, 0.93, 0.95, 0.97)
HORIZONS = (30, 90, 365)
MAX_STEP_REVIEWS = 20
"""Same-day looks at one card in a day at most (a learner keeps failing): then it waits."""

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
# fsrs-rs's default simulator: shares of first ratings (Again, Hard, Good, Easy), of ratings of
# recalled reviews (Hard, Good, Easy), and seconds per review by the card's state before it
# (new, review, relearning) and rating. A learner's own history replaces what it can.
DEFAULT_FIRST_RATINGS = (0.24, 0.094, 0.495, 0.171)
DEFAULT_RECALL_RATINGS = (0.224, 0.631, 0.145)
DEFAULT_STEP_RATINGS = (0.2, 0.06, 0.68, 0.06)
DEFAULT_SECONDS = {
    "new": (19.58, 18.79, 13.78, 10.71),
    "review": (19.38, 17.59, 12.38, 8.94),
    "step": (16.44, 15.25, 12.32, 8.03),
}

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Habits:
    """How a learner answers and how long it takes them (their history, or the defaults)."""

    first_ratings: tuple[float, float, float, float] = DEFAULT_FIRST_RATINGS
    """Shares of Again, Hard, Good, Easy on a new card."""
    recall_ratings: tuple[float, float, float] = DEFAULT_RECALL_RATINGS
    """Shares of Hard, Good, Easy when a review is recalled."""
    step_ratings: tuple[float, float, float, float] = DEFAULT_STEP_RATINGS
    """Shares of Again, Hard, Good, Easy on a same-day learning or relearning step."""
    seconds: dict[str, tuple[float, float, float, float]] = field(
        default_factory=lambda: dict(DEFAULT_SECONDS)
    )
    """Seconds per review by kind ("new", "review", "step") and rating."""


@dataclass(frozen=True)
class SimulatedCard:
    memory: MemoryState
    """As stored; `NEW_CARD` for a card not started yet."""


@dataclass(frozen=True)
class Workload:
    """The simulated work at one desired retention over one horizon."""

    desired_retention: float
    days: int
    reviews_per_day: float
    minutes_per_day: float
    memorised: float
    """Cards memorised at the horizon's end (summed predicted recall)."""

    @property
    def minutes_per_memorised_card(self) -> float:
        return self.minutes_per_day * self.days / self.memorised if self.memorised else 0.0


@dataclass(frozen=True)
class SimulationResult:
    horizons: tuple[int, ...]
    retentions: tuple[float, ...]
    workloads: dict[int, list[Workload]]
    """By horizon, one per retention in order."""
    started_cards: int
    new_cards: int

    def recommended(self, horizon: int) -> float:
        """The retention with the least minutes per memorised card over `horizon` days."""
        return min(
            self.workloads[horizon], key=lambda w: (w.minutes_per_memorised_card, -w.memorised)
        ).desired_retention

    def as_dict(self) -> dict:
        """Plain JSON data (what is stored and what the API sends)."""
        return {
            "started_cards": self.started_cards,
            "new_cards": self.new_cards,
            "horizons": list(self.horizons),
            "retentions": list(self.retentions),
            "recommended": {str(h): self.recommended(h) for h in self.horizons},
            "workloads": {
                str(h): [
                    {
                        "desired_retention": w.desired_retention,
                        "reviews_per_day": round(w.reviews_per_day, 2),
                        "minutes_per_day": round(w.minutes_per_day, 2),
                        "memorised": round(w.memorised, 1),
                        "minutes_per_memorised_card": round(w.minutes_per_memorised_card, 3),
                    }
                    for w in self.workloads[h]
                ]
                for h in self.horizons
            },
        }


def _rating(rng: random.Random, shares: Sequence[float], ratings: Sequence[int]) -> int:
    draw, total = rng.random() * sum(shares), 0.0
    for share, rating in zip(shares, ratings, strict=True):
        total += share
        if draw < total:
            return rating
    return ratings[-1]


def _simulate_one(
    cards: Sequence[SimulatedCard],
    *,
    config: SchedulerConfig,
    habits: Habits,
    new_per_day: int,
    reviews_per_day: int,
    horizon: int,
    checkpoints: Sequence[int],
    start: datetime,
    seed: int,
) -> dict[int, tuple[int, float, float]]:
    """(reviews, seconds, memorised) at each checkpoint day, for one retention."""
    rng = random.Random(seed)
    zone, hour = config.tz, config.day_start_hour
    first_day = study_day(start, tz=zone, day_start_hour=hour)
    today0 = scheduling.day_number(start, tz=zone, day_start_hour=hour)
    memories: list[MemoryState] = [card.memory for card in cards]
    due: list[tuple[int, int]] = []  # (due day, card index), started cards
    unstarted: list[int] = []
    for index, memory in enumerate(memories):
        if memory.state == scheduling.NEW:
            unstarted.append(index)
        else:
            due_day = 0
            if memory.due is not None:
                due_day = scheduling.day_number(memory.due, tz=zone, day_start_hour=hour) - today0
            heappush(due, (max(0, due_day), index))
    unstarted.reverse()  # popped from the end, in order
    reviews = 0
    seconds = 0.0
    results: dict[int, tuple[int, float, float]] = {}
    wanted = set(checkpoints)

    def answer(index: int, at: datetime, kind: str, rating: int) -> MemoryState:
        nonlocal reviews, seconds
        reviews += 1
        seconds += habits.seconds[kind][rating - 1]
        memory = scheduling.apply_review(memories[index], ReviewInput(rating, at), config=config)
        memories[index] = memory
        return memory

    def steps(index: int, memory: MemoryState, at: datetime, day_end: datetime) -> MemoryState:
        """Same-day learning or relearning steps until the card leaves them for the day."""
        for _ in range(MAX_STEP_REVIEWS):
            if memory.state == scheduling.REVIEW or memory.due is None or memory.due >= day_end:
                break
            at = memory.due
            rating = _rating(rng, habits.step_ratings, (AGAIN, HARD, GOOD, EASY))
            memory = answer(index, at, "step", rating)
        return memory

    def reschedule(index: int, memory: MemoryState, day: int) -> None:
        if memory.due is None:
            return
        due_day = scheduling.day_number(memory.due, tz=zone, day_start_hour=hour) - today0
        heappush(due, (max(day + 1, due_day), index))

    for day in range(horizon):
        # The day's study at noon, local time.
        date = first_day + timedelta(days=day)
        at = datetime.combine(date, time(12), tzinfo=zone).astimezone(UTC)
        day_end = day_bounds(date, tz=zone, day_start_hour=hour)[1]
        today = today0 + day
        done = 0
        while due and due[0][0] <= day and done < reviews_per_day:
            _, index = heappop(due)
            memory = memories[index]
            recall = scheduling.predicted_recall(memory, now=at, config=config)
            if recall is None or rng.random() < recall:
                rating = _rating(rng, habits.recall_ratings, (HARD, GOOD, EASY))
            else:
                rating = AGAIN
            memory = steps(index, answer(index, at, "review", rating), at, day_end)
            reschedule(index, memory, day)
            done += 1
        # Reviews beyond the limit wait for the next day.
        for _ in range(min(new_per_day, len(unstarted))):
            index = unstarted.pop()
            rating = _rating(rng, habits.first_ratings, (AGAIN, HARD, GOOD, EASY))
            memory = steps(index, answer(index, at, "new", rating), at, day_end)
            reschedule(index, memory, day)
        if day + 1 in wanted:
            end = today + 1
            memorised = 0.0
            for memory in memories:
                if memory.stability is not None and memory.last_review_day is not None:
                    memorised += scheduling.forgetting_curve(
                        max(0, end - memory.last_review_day), memory.stability, config.decay
                    )
            results[day + 1] = (reviews, seconds, memorised)
    return results


def simulate_workload(
    cards: Sequence[SimulatedCard],
    *,
    config: SchedulerConfig,
    habits: Habits,
    new_per_day: int,
    reviews_per_day: int,
    start: datetime,
    retentions: Sequence[float] = RETENTIONS,
    horizons: Sequence[int] = HORIZONS,
    seed: int = 0,
    progress: Progress | None = None,
) -> SimulationResult:
    """Simulate the next max(horizons) days at each desired retention (see the module's
    docstring). `config` holds the learner's parameters, zone, day start and steps; its
    retention is replaced by each of `retentions`. `progress(done, total)` after each one."""
    start = start.astimezone(UTC)
    horizon = max(horizons)
    workloads: dict[int, list[Workload]] = {h: [] for h in horizons}
    for step, retention in enumerate(retentions, start=1):
        figures = _simulate_one(
            cards,
            config=replace(config, desired_retention=retention),
            habits=habits,
            new_per_day=new_per_day,
            reviews_per_day=reviews_per_day,
            horizon=horizon,
            checkpoints=horizons,
            start=start,
            seed=seed,
        )
        for days in horizons:
            reviews, seconds, memorised = figures[days]
            workloads[days].append(
                Workload(
                    desired_retention=retention,
                    days=days,
                    reviews_per_day=reviews / days,
                    minutes_per_day=seconds / 60 / days,
                    memorised=memorised,
                )
            )
        if progress is not None:
            progress(step, len(retentions))
    started = sum(1 for card in cards if card.memory.state != scheduling.NEW)
    return SimulationResult(
        horizons=tuple(horizons),
        retentions=tuple(retentions),
        workloads=workloads,
        started_cards=started,
        new_cards=len(cards) - started,
    )
