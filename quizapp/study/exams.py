"""Exam mode: cards a learner would not remember well enough on an exam day come earlier.

An exam is a deck and a day (a class assignment may carry one: `quizapp.classroom` registers
its exams here, so the study app never imports the classroom app). For each upcoming exam,
a started card of its deck is *at risk* when its predicted recall on the exam day, if it is
not reviewed before, is below the target retention; cards not started yet are at risk too
(nothing is remembered of them). The at-risk cards are spread over the days left: each day
the queue brings forward its share (the lowest recall on the exam day first), after the
reviews due that day and within the daily limits. A review raises a card's stability, so the
count falls as the learner works through them; it is what the home page announces.

The rule is pure (`at_risk_after`, `exam_threshold`, `daily_share`): the queue applies it in
SQL, the exam benchmark (`bench/exam.py`) in its simulation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from quizapp.study.scheduling import forgetting_curve


@dataclass(frozen=True)
class Exam:
    deck_id: int
    deck_slug: str
    deck_title: str
    day: date
    """The exam's date: the learner's study day it falls on."""
    source: str
    """Whose exam it is, for people (a class's name)."""


ExamSource = Callable[..., list[Exam]]
_sources: list[ExamSource] = []


def exam_source(source: ExamSource) -> ExamSource:
    """Register `source(user=..., today=...)`: the learner's exams on or after `today`."""
    if source not in _sources:
        _sources.append(source)
    return source


def exams_for(*, user, today: date) -> list[Exam]:
    """The learner's upcoming exams, soonest first; a deck with several keeps its first."""
    exams: dict[int, Exam] = {}
    for source in _sources:
        for exam in source(user=user, today=today):
            if exam.day >= today and (
                exam.deck_id not in exams or exam.day < exams[exam.deck_id].day
            ):
                exams[exam.deck_id] = exam
    return sorted(exams.values(), key=lambda exam: (exam.day, exam.deck_title, exam.deck_id))


def exam_threshold(target: float, decay: float) -> float:
    """Elapsed study days per day of stability beyond which recall is below `target`.

    The forgetting curve falls with t / S alone, so recall on the exam day is below the
    target exactly when (exam day − last review day) > threshold · stability; SQL can compare
    that without a power function.
    """
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return (target ** (-1.0 / decay) - 1.0) / factor


def recall_on(exam_day: int, *, last_review_day: int, stability: float, decay: float) -> float:
    """Predicted recall on the study day `exam_day` without another review before it."""
    return forgetting_curve(max(0, exam_day - last_review_day), stability, decay)


def at_risk_after(
    exam_day: int,
    *,
    last_review_day: int | None,
    stability: float | None,
    target: float,
    decay: float,
) -> bool:
    """Whether a card would be below `target` on the exam day (a card never reviewed is)."""
    if last_review_day is None or stability is None:
        return True
    return exam_day - last_review_day > exam_threshold(target, decay) * stability


def daily_share(*, at_risk: int, done_today: int, days_left: int) -> int:
    """How many at-risk cards to bring forward today: the at-risk cards (those left, and those
    already brought forward today) spread evenly over the days before the exam, today
    included; on the exam day itself, all that are left."""
    days = max(1, days_left)
    return max(0, math.ceil((at_risk + done_today) / days) - done_today)
