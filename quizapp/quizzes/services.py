"""Writes for quizzes: the attempt lifecycle and regrading. One transaction each."""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from quizapp.bank import grading
from quizapp.bank.grading import QuestionType
from quizapp.bank.models import Question
from quizapp.quizzes.models import (
    DEADLINE_GRACE,  # noqa: F401 (importable from here too)
    Attempt,
    AttemptQuestion,
    FeedbackMode,
    Quiz,
    QuizItem,
    Regrade,
    Response,
)
from quizapp.quizzes.selectors import (
    quiz_draw_pool,
    quiz_is_available_to,
    results_visible,
)
from quizapp.study.models import ReviewSource
from quizapp.study.services import ReviewError, review_record

# Namespace for the review ids derived from quiz responses: one review per response, ever.
POINTS = Decimal("0.001")
QUIZ_REVIEW_NAMESPACE = uuid.UUID("5d0c8f4e-8a3b-4f1e-9c53-2f0b7a6d1e44")


class QuizError(Exception):
    """A refused quiz action; `code` is stable for clients, `message` is for people."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def attempt_deadline(quiz: Quiz, started_at: datetime) -> datetime | None:
    ends = [started_at + quiz.time_limit] if quiz.time_limit else []
    if quiz.closes_at:
        ends.append(quiz.closes_at)
    return min(ends) if ends else None


def _start_refusal(*, user, quiz: Quiz, now: datetime) -> QuizError | None:
    if not quiz_is_available_to(user=user, quiz=quiz):
        return QuizError("not_available", "This quiz is not available to you.")
    if quiz.opens_at and now < quiz.opens_at:
        return QuizError("not_open", f"This quiz opens at {quiz.opens_at:%Y-%m-%d %H:%M} UTC.")
    if quiz.closes_at and now >= quiz.closes_at:
        return QuizError("closed", "This quiz has closed.")
    used = Attempt.objects.filter(quiz=quiz, user=user).count()
    if quiz.attempts_allowed and used >= quiz.attempts_allowed:
        return QuizError(
            "no_attempts_left",
            f"You have used all {quiz.attempts_allowed} attempt(s) allowed for this quiz.",
        )
    return None


def _questions_for(quiz: Quiz, rng: random.Random) -> list[tuple[Question, Decimal]]:
    if quiz.uses_draw:
        ids = list(quiz_draw_pool(quiz).values_list("pk", flat=True).distinct())
        chosen = rng.sample(ids, min(quiz.draw_count, len(ids)))
        questions = Question.objects.with_answer_parts().in_bulk(chosen)
        return [(questions[pk], Decimal(1)) for pk in chosen]
    items = quiz.items.select_related("question").prefetch_related(
        "question__choices",
        "question__accepted_answers",
        "question__order_items",
        "question__match_pairs",
    )
    pairs = [(item.question, item.points) for item in items]
    if quiz.shuffle_questions:
        rng.shuffle(pairs)
    return pairs


def _display_order(question: Question, key: grading.AnswerKey, quiz: Quiz, rng) -> list[int]:
    """The order options are shown in. Ordering items and matching right-hand sides are always
    shuffled, uniformly: the right order can come up, so the order shown says nothing about
    the answer (re-drawing until it was wrong made a two-item question always show the swap).
    Choices follow the quiz's and the question's shuffle settings."""
    if key.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        ids = [c.id for c in key.choices]
        if quiz.shuffle_choices and question.shuffle_choices:
            rng.shuffle(ids)
        return ids
    if key.type in (QuestionType.ORDERING, QuestionType.MATCHING):
        ids = [i.id for i in (key.items if key.type == QuestionType.ORDERING else key.pairs)]
        rng.shuffle(ids)
        return ids
    return []


@transaction.atomic
def attempt_start(*, user, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Start an attempt (or return the one in progress), snapshotting what it shows."""
    now = _now(now)
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    current = (
        Attempt.objects.filter(quiz=quiz, user=user, status=Attempt.Status.IN_PROGRESS)
        .order_by("-number")
        .first()
    )
    if current is not None:
        current = attempt_expire_if_due(attempt=current, now=now)
        if not current.is_submitted:
            return current
    refusal = _start_refusal(user=user, quiz=quiz, now=now)
    if refusal:
        raise refusal
    rng = random.SystemRandom()
    questions = _questions_for(quiz, rng)
    if not questions:
        raise QuizError("empty", "This quiz has no questions yet.")
    number = (Attempt.objects.filter(quiz=quiz, user=user).aggregate(n=Max("number"))["n"] or 0) + 1
    attempt = Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=number,
        started_at=now,
        deadline=attempt_deadline(quiz, now),
        max_score=sum((points for _, points in questions), Decimal(0)),
    )
    rows = []
    for position, (question, points) in enumerate(questions):
        key = question.answer_key()
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                position=position,
                question=question,
                question_version=question.version,
                points=points,
                prompt=question.prompt,
                explanation=question.explanation,
                answer_key=key.to_json(),
                display_order=_display_order(question, key, quiz, rng),
            )
        )
    AttemptQuestion.objects.bulk_create(rows)
    return attempt


def _locked_attempt(attempt: Attempt) -> Attempt:
    # Not the user's row: the user may be empty (anonymised), and PostgreSQL cannot lock the
    # nullable side of the outer join that select_related("user") then makes.
    return (
        Attempt.objects.select_for_update(of=("self", "quiz"))
        .select_related("quiz", "user")
        .get(pk=attempt.pk)
    )


def _grade_into(response: Response, attempt_question: AttemptQuestion, now: datetime) -> None:
    key = grading.AnswerKey.from_json(attempt_question.answer_key)
    result = grading.grade(key, response.answer)
    response.correct = result.correct
    response.score = result.score
    response.points_awarded = (attempt_question.points * Decimal(str(result.score))).quantize(
        POINTS, rounding=ROUND_HALF_UP
    )
    response.feedback = result.feedback
    response.normalized_answer = result.normalized_answer
    response.graded_at = now


def attempt_answer_save(
    *, attempt: Attempt, question_id: int, answer: object, now: datetime | None = None
) -> Response:
    """Save (and grade) an answer; the last one saved counts until the attempt is submitted.

    Raises QuizError when the attempt is over or the question is not in it, and
    grading.MalformedAnswer when the answer has the wrong shape (nothing is saved then).
    """
    now = _now(now)
    # Expiry commits on its own, so the automatic submission stands even though this
    # answer is then refused.
    attempt_expire_if_due(attempt=attempt, now=now)
    with transaction.atomic():
        attempt = _locked_attempt(attempt)
        if attempt.is_submitted:
            raise QuizError("submitted", "This attempt has been submitted; answers can't change.")
        attempt_question = (
            AttemptQuestion.objects.filter(attempt=attempt, question_id=question_id)
            .select_related("response")
            .first()
        )
        if attempt_question is None:
            raise QuizError(
                "not_in_attempt", f"Question {question_id} is not part of this attempt."
            )
        response = getattr(attempt_question, "response", None)
        if response is not None and attempt.quiz.feedback_mode == FeedbackMode.IMMEDIATE:
            raise QuizError(
                "already_answered", "This question was already answered and its feedback shown."
            )
        last_activity = Response.objects.filter(attempt_question__attempt=attempt).aggregate(
            t=Max("answered_at")
        )["t"]
        if response is None:
            response = Response(attempt_question=attempt_question, time_spent=timedelta(0))
        response.answer = answer
        _grade_into(response, attempt_question, now)  # raises MalformedAnswer before any write
        response.time_spent += max(timedelta(0), now - (last_activity or attempt.started_at))
        response.answered_at = now
        response.save()
        return response


def _rating_for(response: Response) -> int:
    """Quiz answers feed memory: right → Good, partly right → Hard, wrong → Again."""
    if response.correct:
        return 3
    return 2 if (response.score or 0) >= 0.5 else 1


def _totals(attempt: Attempt) -> None:
    awarded = sum(
        (
            r.points_awarded or Decimal(0)
            for r in Response.objects.filter(attempt_question__attempt=attempt)
        ),
        Decimal(0),
    )
    attempt.score = awarded
    attempt.percentage = (
        (awarded / attempt.max_score * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if attempt.max_score
        else Decimal(0)
    )
    attempt.passed = attempt.percentage >= attempt.quiz.pass_mark


def quiz_review_id(response: Response) -> uuid.UUID:
    return uuid.uuid5(QUIZ_REVIEW_NAMESPACE, f"quiz-response:{response.pk}")


def _record_reviews(attempt: Attempt) -> None:
    responses = Response.objects.filter(attempt_question__attempt=attempt).select_related(
        "attempt_question__question"
    )
    for response in responses:
        try:
            review_record(
                user=attempt.user,
                question=response.attempt_question.question,
                rating=_rating_for(response),
                reviewed_at=response.answered_at,
                review_id=quiz_review_id(response),
                source=ReviewSource.QUIZ,
            )
        except ReviewError:
            # A retired or unpublished question has no card to schedule; the grade stands.
            continue


@transaction.atomic
def attempt_submit(*, attempt: Attempt, now: datetime | None = None, auto: bool = False) -> Attempt:
    """Submit: total the grades, decide pass/fail, and record each answer as a review."""
    now = _now(now)
    attempt = _locked_attempt(attempt)
    if attempt.is_submitted:
        return attempt
    _totals(attempt)
    attempt.status = Attempt.Status.SUBMITTED
    attempt.submitted_at = min(now, attempt.deadline) if auto and attempt.deadline else now
    attempt.auto_submitted = auto
    attempt.save()
    if results_visible(attempt, now):
        _record_reviews(attempt)
    else:
        # An `after_close` quiz submitted before it closes: the reviews (and so the card states,
        # the queue and undo) would tell the learner which answers were right. They enter the
        # log, at their answering times, once the results may be seen.
        _record_reviews_later(attempt)
    return attempt


def _record_reviews_later(attempt: Attempt) -> None:
    from quizapp.quizzes.tasks import record_attempt_reviews

    attempt_id, run_after = attempt.pk, attempt.quiz.closes_at
    transaction.on_commit(
        lambda: record_attempt_reviews.using(run_after=run_after).enqueue(attempt_id=attempt_id)
    )


@transaction.atomic
def attempt_reviews_record(*, attempt: Attempt, now: datetime | None = None) -> bool:
    """Record a submitted attempt's answers as reviews if its results may be seen now, else
    schedule this again for the quiz's closing time (which a teacher may have moved).
    Idempotent: each response has one review id. Returns whether they were recorded."""
    now = _now(now)
    attempt = _locked_attempt(attempt)
    if not attempt.is_submitted or attempt.user_id is None:  # None: anonymised, no learner
        return False
    if not results_visible(attempt, now):
        _record_reviews_later(attempt)
        return False
    _record_reviews(attempt)
    return True


def attempt_expire_if_due(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Submit an attempt automatically once its deadline (plus grace) has passed."""
    now = _now(now)
    if attempt.is_overdue(now):
        return attempt_submit(attempt=attempt, now=now, auto=True)
    return attempt


@dataclass(frozen=True)
class ScoreChange:
    attempt_id: int
    user: str
    before: Decimal
    after: Decimal


ANONYMISED_LEARNER = "(deleted learner)"
"""How an anonymised attempt's learner is named in reports and regrade records."""


def _learner_name(attempt: Attempt) -> str:
    return attempt.user.get_username() if attempt.user_id else ANONYMISED_LEARNER


@transaction.atomic
def question_regrade(*, question: Question, by, now: datetime | None = None) -> Regrade:
    """Regrade every response to a question with its current answer key (e.g. after a new
    answer variant was accepted), and recompute the affected attempts' totals.

    The review log is left as it was: it records what the learner experienced when answering.
    """
    now = _now(now)
    question = Question.objects.with_answer_parts().get(pk=question.pk)
    key = question.answer_key().to_json()
    attempt_questions = AttemptQuestion.objects.filter(question=question).select_related(
        "attempt__quiz", "attempt__user", "response"
    )
    changes: list[ScoreChange] = []
    checked = 0
    touched: dict[int, Attempt] = {}
    for attempt_question in attempt_questions:
        attempt_question.answer_key = key
        attempt_question.question_version = question.version
        attempt_question.save(update_fields=["answer_key", "question_version"])
        response = getattr(attempt_question, "response", None)
        if response is None:
            continue
        checked += 1
        before = response.points_awarded or Decimal(0)
        try:
            _grade_into(response, attempt_question, response.graded_at or now)
        except grading.MalformedAnswer:
            continue  # a stored answer that no longer fits the key keeps its grade
        response.regraded_at, response.regraded_by = now, by
        response.save()
        if response.points_awarded != before:
            touched[attempt_question.attempt_id] = attempt_question.attempt
            changes.append(
                ScoreChange(
                    attempt_question.attempt_id,
                    _learner_name(attempt_question.attempt),
                    before,
                    response.points_awarded,
                )
            )
    for attempt in touched.values():
        if attempt.is_submitted:
            _totals(attempt)
            attempt.save(update_fields=["score", "percentage", "passed"])
    return Regrade.objects.create(
        question=question,
        by=by,
        at=now,
        responses_checked=checked,
        changes=[
            {
                "attempt": c.attempt_id,
                "user": c.user,
                "before": str(c.before.quantize(POINTS)),
                "after": str(c.after.quantize(POINTS)),
            }
            for c in changes
        ],
    )


@transaction.atomic
def quiz_items_add(*, quiz: Quiz, questions: list[Question], by) -> int:
    """Append questions to a quiz (1 point each), skipping ones already in it."""
    if not (by.is_superuser or quiz.owner_id == by.pk):
        raise QuizError("not_owner", "You can only change your own quizzes.")
    present = set(quiz.items.values_list("question_id", flat=True))
    start = (quiz.items.aggregate(m=Max("position"))["m"] or 0) + 1
    new = [q for q in questions if q.pk not in present]
    QuizItem.objects.bulk_create(
        QuizItem(quiz=quiz, question=q, position=start + i) for i, q in enumerate(new)
    )
    return len(new)
