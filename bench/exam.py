"""Exam mode: cards above target on the exam day, and the reviews it costs, against no exam mode.

Simulated learners (no database) each study one deck: new cards up to their daily limit, the
reviews due each day up to theirs, every review answered with the probability of recall the
model predicts and scheduled by the product's own code (`quizapp.study.scheduling`). Like real
learners they skip days (each has a share of days they study, from half to nearly all). After
a month, an exam on the deck is set two weeks ahead, and the same learners, from the same
state and with the same days skipped, go on twice: as before, and in exam mode, where each day
also brings forward its share of the cards that would be below the target on the exam day
(`quizapp.study.exams`: the rule the study queue applies), within the daily review limit.

Figures: the share of the deck's cards at or above the target retention on the exam day (a
card not started counts as below), and the reviews of those two weeks, both per learner, with
exam mode against the same learners without it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench import Result, at_least
from quizapp.study import scheduling
from quizapp.study.exams import at_risk_after, daily_share, exam_threshold, recall_on
from quizapp.study.scheduling import MemoryState, ReviewInput, SchedulerConfig

USES_DATABASE = False
FULL_LEARNERS, QUICK_LEARNERS = 200, 30
DECK_SIZE = 120
NEW_PER_DAY = 10
REVIEWS_PER_DAY = 100
BEFORE_DAYS = 30
EXAM_IN_DAYS = 14
TARGET = 0.9
START = datetime(2026, 1, 5, tzinfo=UTC)
CONFIG = SchedulerConfig(desired_retention=TARGET)
DECAY = CONFIG.decay


@dataclass
class Learner:
    study_share: float
    memories: list[MemoryState]
    reviews: int = 0


def _day_number(day: int) -> int:
    return scheduling.day_number(START + timedelta(days=day, hours=12), tz="UTC", day_start_hour=4)


def _answer(learner: Learner, index: int, at: datetime, rng: random.Random) -> None:
    memory = learner.memories[index]
    recall = scheduling.predicted_recall(memory, now=at, config=CONFIG)
    # A new card is known at first sight seven times in ten; a review as the model predicts.
    rating = 3 if rng.random() < (0.7 if recall is None else recall) else 1
    memory = scheduling.apply_review(memory, ReviewInput(rating, at), config=CONFIG)
    learner.reviews += 1
    # Same-day steps until the card is back in review (a step is passed three times in four).
    while memory.state != scheduling.REVIEW:
        at = memory.due
        step_rating = 3 if rng.random() < 0.75 else 1
        memory = scheduling.apply_review(memory, ReviewInput(step_rating, at), config=CONFIG)
        learner.reviews += 1
    learner.memories[index] = memory


def _study(learner: Learner, day: int, rng: random.Random, *, exam_day: int | None = None) -> None:
    """One day of study (the learner's own due reviews, then new cards), with exam mode when
    `exam_day` is given."""
    at = START + timedelta(days=day, hours=12)
    today = _day_number(day)
    due = [
        index
        for index, memory in enumerate(learner.memories)
        if memory.due is not None
        and memory.state != scheduling.NEW
        and scheduling.day_number(memory.due, tz="UTC", day_start_hour=4) <= today
    ]
    # Lowest predicted recall first, as the queue orders them.
    due.sort(
        key=lambda i: -(today - learner.memories[i].last_review_day) / learner.memories[i].stability
    )
    done = due[:REVIEWS_PER_DAY]
    for index in done:
        _answer(learner, index, at, rng)
    if exam_day is not None:
        room = REVIEWS_PER_DAY - len(done)
        started = [i for i, memory in enumerate(learner.memories) if memory.state != scheduling.NEW]
        at_risk = [
            i
            for i in started
            if i not in done
            and at_risk_after(
                exam_day,
                last_review_day=learner.memories[i].last_review_day,
                stability=learner.memories[i].stability,
                target=TARGET,
                decay=DECAY,
            )
        ]
        done_today = sum(
            1
            for i in started
            if learner.memories[i].last_review_day == today
            and not at_risk_after(
                exam_day,
                last_review_day=today,
                stability=learner.memories[i].stability,
                target=TARGET,
                decay=DECAY,
            )
        )
        share = daily_share(at_risk=len(at_risk), done_today=done_today, days_left=exam_day - today)
        threshold = exam_threshold(TARGET, DECAY)
        at_risk.sort(
            key=lambda i: (
                -(exam_day - learner.memories[i].last_review_day)
                / learner.memories[i].stability
                / threshold
            )
        )
        for index in at_risk[: max(0, min(share, room))]:
            _answer(learner, index, at, rng)
    unstarted = [i for i, memory in enumerate(learner.memories) if memory.state == scheduling.NEW]
    for index in unstarted[:NEW_PER_DAY]:
        _answer(learner, index, at, rng)


def _copy(learner: Learner) -> Learner:
    return Learner(learner.study_share, list(learner.memories))


def _above_target(learner: Learner, exam_day: int) -> int:
    return sum(
        1
        for memory in learner.memories
        if memory.stability is not None
        and recall_on(
            exam_day,
            last_review_day=memory.last_review_day,
            stability=memory.stability,
            decay=DECAY,
        )
        >= TARGET
    )


def simulate(learners: int, *, seed: int = 1) -> dict[str, float]:
    exam_day = _day_number(BEFORE_DAYS + EXAM_IN_DAYS)
    totals = {"above_with": 0, "above_without": 0, "reviews_with": 0, "reviews_without": 0}
    for number in range(learners):
        rng = random.Random(seed * 1_000_003 + number)
        learner = Learner(0.5 + 0.45 * rng.random(), [scheduling.NEW_CARD] * DECK_SIZE)
        studies = [rng.random() < learner.study_share for _ in range(BEFORE_DAYS + EXAM_IN_DAYS)]
        for day in range(BEFORE_DAYS):
            if studies[day]:
                _study(learner, day, rng)
        for exam_mode in (False, True):
            arm = _copy(learner)
            arm_rng = random.Random(seed * 7_000_003 + number)  # the same draws in both arms
            for day in range(BEFORE_DAYS, BEFORE_DAYS + EXAM_IN_DAYS):
                if studies[day]:
                    _study(arm, day, arm_rng, exam_day=exam_day if exam_mode else None)
            key = "with" if exam_mode else "without"
            totals[f"above_{key}"] += _above_target(arm, exam_day)
            totals[f"reviews_{key}"] += arm.reviews
    return {
        "share_with": totals["above_with"] / (learners * DECK_SIZE),
        "share_without": totals["above_without"] / (learners * DECK_SIZE),
        "reviews_with": totals["reviews_with"] / learners,
        "reviews_without": totals["reviews_without"] / learners,
    }


def run(quick: bool) -> list[Result]:
    learners = QUICK_LEARNERS if quick else FULL_LEARNERS
    figures = simulate(learners)
    sizes = (
        f"{learners} learners × {DECK_SIZE} cards; {BEFORE_DAYS} days of study, then an exam "
        f"{EXAM_IN_DAYS} days ahead; target {TARGET}; {NEW_PER_DAY} new / {REVIEWS_PER_DAY} "
        "reviews a day at most; each learner studies on 50–95 % of days"
    )
    extra = figures["reviews_with"] / figures["reviews_without"] - 1
    return [
        Result(
            name="exam mode: exam cards at or above target on the exam day",
            figure=100 * figures["share_with"],
            unit="%",
            reference=100 * figures["share_without"],
            reference_name="the same learners without exam mode",
            target=at_least(1.0),
            details=sizes,
        ),
        Result(
            name="exam mode: reviews in the two weeks before the exam",
            figure=figures["reviews_with"],
            unit="reviews/learner",
            reference=figures["reviews_without"],
            reference_name="the same learners without exam mode",
            notes=f"{extra:+.0%} reviews",
        ),
    ]
