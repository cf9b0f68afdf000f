"""Reads for quizzes: who may take what, what a learner may see of an attempt, item analysis."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, FloatField, Min, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from quizapp.bank import grading
from quizapp.bank.grading import QuestionType
from quizapp.bank.models import DeckQuestion, Question
from quizapp.quizzes.models import DEADLINE_GRACE, Attempt, AttemptQuestion, FeedbackMode, Quiz

# --------------------------------------------------------------------------------------------
# Who may take a quiz: the one rule every face uses.
# --------------------------------------------------------------------------------------------


def quizzes_available_to(user) -> QuerySet[Quiz]:
    """Published quizzes the learner may see: public ones, and ones assigned to a class they
    are enrolled in. (Assignments live in the classroom app; its reverse relations are
    queried by name so this app does not import it.)"""
    assigned = Quiz.objects.filter(
        pk=OuterRef("pk"), assignments__classroom__enrolments__student=user
    )
    return Quiz.objects.published().filter(Q(visibility=Quiz.Visibility.PUBLIC) | Exists(assigned))


def quiz_is_available_to(*, user, quiz: Quiz) -> bool:
    return quizzes_available_to(user).filter(pk=quiz.pk).exists()


def quizzes_open_to(user, now: datetime | None = None) -> QuerySet[Quiz]:
    """Available quizzes that are open now (started or not by this learner)."""
    now = now or timezone.now()
    return (
        quizzes_available_to(user)
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
    )


def quiz_draw_pool(quiz: Quiz) -> QuerySet[Question]:
    """The published questions a drawing quiz draws from: its deck's and/or its tag's."""
    pool = Question.objects.published()
    if quiz.draw_deck_id:
        pool = pool.filter(memberships__deck_id=quiz.draw_deck_id)
    if quiz.draw_tag_id:
        pool = pool.filter(tags=quiz.draw_tag_id)
    return pool


@dataclass(frozen=True)
class DeckOverlap:
    """How many of a quiz's questions (or of its draw pool) are flashcards too, and where."""

    questions: int
    in_decks: int
    decks: list[tuple[str, int]]
    """(deck title, how many of the quiz's questions it holds), most first."""


def quiz_deck_overlap(*, quiz: Quiz) -> DeckOverlap:
    """Which of a quiz's questions learners may also study as flashcards (two queries)."""
    questions = (
        quiz_draw_pool(quiz) if quiz.uses_draw else Question.objects.filter(quiz_items__quiz=quiz)
    )
    counts = questions.aggregate(
        total=Count("pk", distinct=True),
        in_decks=Count("pk", distinct=True, filter=Q(memberships__isnull=False)),
    )
    decks = (
        DeckQuestion.objects.filter(question__in=questions.values("pk"))
        .values("deck__title")
        .annotate(n=Count("question", distinct=True))
        .order_by("-n", "deck__title")
    )
    return DeckOverlap(
        questions=counts["total"],
        in_decks=counts["in_decks"],
        decks=[(row["deck__title"], row["n"]) for row in decks],
    )


def attempts_of(user) -> QuerySet[Attempt]:
    """A learner's own attempts: the only ones any learner-facing face may load."""
    return Attempt.objects.filter(user=user).select_related("quiz")


# --------------------------------------------------------------------------------------------
# What a learner may see of an attempt.
# --------------------------------------------------------------------------------------------


def results_visible(attempt: Attempt, now: datetime) -> bool:
    """Whether grades, correct answers and explanations of the whole attempt may be shown."""
    mode = attempt.quiz.feedback_mode
    if not attempt.is_submitted:
        return False
    if mode == FeedbackMode.AFTER_CLOSE:
        return attempt.quiz.closes_at is not None and now >= attempt.quiz.closes_at
    return True


def questions_withheld_from_study(*, user, now: datetime) -> QuerySet:
    """The ids of the questions whose answers `user` may not see on flashcards now.

    A quiz's answers must not be on the flashcards of the same questions before the quiz
    shows them (`results_visible`): so the questions of the learner's attempts that are still
    open (not submitted, deadline plus grace not passed), and of all their attempts at an
    `after_close` quiz until it closes. Registered with `quizapp.study.withholding` (study
    may not import quizzes); the queue leaves these out with one anti-join, through the
    attempt's (user, status) index.
    """
    still_open = Q(attempt__status=Attempt.Status.IN_PROGRESS) & (
        Q(attempt__deadline__isnull=True) | Q(attempt__deadline__gte=now - DEADLINE_GRACE)
    )
    secret_until_close = Q(
        attempt__quiz__feedback_mode=FeedbackMode.AFTER_CLOSE, attempt__quiz__closes_at__gt=now
    )
    return (
        AttemptQuestion.objects.filter(attempt__user=user)
        .filter(still_open | secret_until_close)
        .values("question_id")
        .order_by()
    )


@dataclass(frozen=True)
class OptionView:
    id: int
    text: str


@dataclass(frozen=True)
class QuestionResult:
    correct: bool
    score: float
    points_awarded: Decimal
    feedback: str
    correct_answer: object
    correct_answer_text: str
    explanation: str


@dataclass(frozen=True)
class QuestionView:
    question_id: int
    position: int
    type: str
    prompt: str
    points: Decimal
    choices: list[OptionView] = field(default_factory=list)
    items: list[OptionView] = field(default_factory=list)
    lefts: list[OptionView] = field(default_factory=list)
    rights: list[OptionView] = field(default_factory=list)
    unit: str = ""
    answer: object = None
    answered: bool = False
    result: QuestionResult | None = None


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    questions: list[QuestionView]
    results_visible: bool
    seconds_left: int | None
    score: Decimal | None = None
    max_score: Decimal | None = None
    percentage: Decimal | None = None
    passed: bool | None = None


def _question_view(aq: AttemptQuestion, reveal: bool) -> QuestionView:
    key = grading.AnswerKey.from_json(aq.answer_key)
    order = aq.display_order
    response = getattr(aq, "response", None)
    choices = {c.id: c.text for c in key.choices}
    items = {i.id: i.text for i in key.items}
    pairs = {p.id: p for p in key.pairs}
    result = None
    if reveal and response is not None:
        result = QuestionResult(
            correct=bool(response.correct),
            score=response.score or 0.0,
            points_awarded=response.points_awarded or Decimal(0),
            feedback=response.feedback,
            correct_answer=grading.correct_answer(key),
            correct_answer_text=grading.correct_answer_text(key),
            explanation=aq.explanation,
        )
    elif reveal:
        result = QuestionResult(
            correct=False,
            score=0.0,
            points_awarded=Decimal(0),
            feedback="Not answered.",
            correct_answer=grading.correct_answer(key),
            correct_answer_text=grading.correct_answer_text(key),
            explanation=aq.explanation,
        )
    return QuestionView(
        question_id=aq.question_id,
        position=aq.position,
        type=key.type.value,
        prompt=aq.prompt,
        points=aq.points,
        choices=[OptionView(i, choices[i]) for i in order if i in choices]
        if key.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
        else [],
        items=[OptionView(i, items[i]) for i in order] if key.type == QuestionType.ORDERING else [],
        lefts=[OptionView(p.id, p.left) for p in key.pairs],
        rights=[OptionView(i, pairs[i].right) for i in order]
        if key.type == QuestionType.MATCHING
        else [],
        unit=key.unit,
        answer=response.answer if response is not None else None,
        answered=response is not None,
        result=result,
    )


def attempt_view(
    *,
    attempt: Attempt,
    now: datetime | None = None,
    questions: Iterable[AttemptQuestion] | None = None,
) -> AttemptView:
    """Everything a learner may see of their attempt now, and nothing more.

    Before the quiz's feedback mode allows it, no correct answer, correctness flag, score
    (per question or total) or explanation is in the returned data, so no face can leak it.
    `immediate` reveals each question once answered (the answer is then locked) and the
    totals after submission; `after_submit` reveals everything after submission;
    `after_close` only once the quiz has closed.

    `questions`: the attempt's questions with their responses, in position order, when the
    caller has loaded them already (for many attempts at once).
    """
    now = now or timezone.now()
    quiz = attempt.quiz
    whole = results_visible(attempt, now)
    immediate = quiz.feedback_mode == FeedbackMode.IMMEDIATE
    if questions is None:
        questions = attempt.questions.select_related("response").order_by("position")
    question_views = [
        _question_view(
            aq, reveal=whole or (immediate and getattr(aq, "response", None) is not None)
        )
        for aq in questions
    ]
    seconds_left = None
    if not attempt.is_submitted and attempt.deadline is not None:
        seconds_left = max(0, int((attempt.deadline - now).total_seconds()))
    return AttemptView(
        attempt=attempt,
        questions=question_views,
        results_visible=whole,
        seconds_left=seconds_left,
        score=attempt.score if whole else None,
        max_score=attempt.max_score,
        percentage=attempt.percentage if whole else None,
        passed=attempt.passed if whole else None,
    )


def shown_answer(question: QuestionView) -> object:
    """The learner's saved answer as the attempt shows it, each option by its text (a chosen
    choice, the items in the learner's order, each left's chosen right), never by the bank ids
    it is stored with: those follow authoring order and would tell the key. Multiple choices
    come in the order shown; a part naming no option shown is left out. Other types as given.
    """
    answer = question.answer
    if answer is None:
        return None
    match question.type:
        case QuestionType.SINGLE_CHOICE:
            return _texts(question.choices).get(_as_int(answer))
        case QuestionType.MULTIPLE_CHOICE:
            picked = {_as_int(a) for a in answer} if isinstance(answer, list) else set()
            return [choice.text for choice in question.choices if choice.id in picked]
        case QuestionType.ORDERING:
            items = _texts(question.items)
            order = [_as_int(a) for a in answer] if isinstance(answer, list) else []
            return [items[item] for item in order if item in items]
        case QuestionType.MATCHING:
            rights = _texts(question.rights)
            pairs = answer.items() if isinstance(answer, dict) else ()
            chosen = {_as_int(left): _as_int(right) for left, right in pairs}
            return {
                left.text: rights[chosen[left.id]]
                for left in question.lefts
                if chosen.get(left.id) in rights
            }
    return answer


def _texts(options: list[OptionView]) -> dict[int, str]:
    return {option.id: option.text for option in options}


# --------------------------------------------------------------------------------------------
# Item analysis (as Moodle's quiz statistics).
# --------------------------------------------------------------------------------------------

GROUP_SHARE = 0.27
MIN_RESPONSES_FOR_FLAGS = 10
LOW_DISCRIMINATION = 0.2
FACILITY_RANGE = (0.2, 0.9)


@dataclass(frozen=True)
class ItemStatistics:
    question_id: int
    question_slug: str
    question_type: str
    prompt: str
    responses: int
    facility: float | None
    discrimination: float | None
    average_time: timedelta | None
    wrong_choice_picks: dict[str, int]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ItemAnalysis:
    quiz: Quiz
    attempts: int
    items: list[ItemStatistics]


def quiz_item_analysis(*, quiz: Quiz, students: QuerySet | None = None) -> ItemAnalysis:
    """Facility, discrimination, average time and wrong-choice picks per question.

    Uses each learner's first submitted attempt (later attempts are coloured by having seen
    the questions). Facility is the mean score (partial credit counts; unanswered is 0).
    Discrimination is the mean item score of the top 27% of attempts by total score minus
    that of the bottom 27%. Items are flagged as likely broken with enough responses
    (≥ 10): discrimination below 0.2, or facility outside 0.2–0.9.

    Three queries at most. The sums per question are taken in SQL, so a class of 500 costs
    little more than a class of 5: only the attempts' totals (one row per learner) and the
    answers to choice questions (for the wrong picks) come back row by row.
    """
    attempts = Attempt.objects.filter(quiz=quiz, status=Attempt.Status.SUBMITTED)
    if students is not None:
        attempts = attempts.filter(user__in=students)
    first: dict[object, tuple[int, Decimal]] = {}
    for pk, user_id, percentage in attempts.order_by("user_id", "number").values_list(
        "pk", "user_id", "percentage"
    ):
        # An anonymised attempt (its learner deleted their account) was kept because it was
        # that learner's first: it stands for one learner of its own.
        first.setdefault(user_id or ("anonymised", pk), (pk, percentage or Decimal(0)))
    ranked = sorted(first.values(), key=lambda attempt: (attempt[1], attempt[0]))
    chosen = [pk for pk, _ in ranked]
    group = max(1, round(len(ranked) * GROUP_SHARE)) if ranked else 0
    bottom = chosen[:group]
    top = chosen[-group:] if group else []

    score = Coalesce("response__score", Value(0.0), output_field=FloatField())
    choice_types = [QuestionType.SINGLE_CHOICE.value, QuestionType.MULTIPLE_CHOICE.value]
    rows = list(
        AttemptQuestion.objects.filter(attempt__in=chosen)
        .values("question_id")
        .annotate(
            position=Min("position"),
            slug=Min("question__slug"),
            question_type=Min("question__type"),
            prompt=Min("prompt"),  # the same in every snapshot unless the question was edited
            responses=Count("pk"),
            total=Sum(score),
            top_n=Count("pk", filter=Q(attempt__in=top)),
            top_total=Sum(score, filter=Q(attempt__in=top)),
            bottom_n=Count("pk", filter=Q(attempt__in=bottom)),
            bottom_total=Sum(score, filter=Q(attempt__in=bottom)),
            answered=Count("response"),
            time=Sum("response__time_spent"),
            choices=Count("response", filter=Q(answer_key__type__in=choice_types)),
        )
        .order_by("position", "question_id")
    )
    picks: dict[int, Counter] = defaultdict(Counter)
    with_choices = [row["question_id"] for row in rows if row["choices"]]
    answers = AttemptQuestion.objects.filter(
        attempt__in=chosen,
        question__in=with_choices,
        answer_key__type__in=choice_types,
        response__isnull=False,
    ).order_by("position", "pk")
    for question_id, key, answer in (
        answers.values_list("question_id", "answer_key", "response__answer") if with_choices else ()
    ):
        wrong = {cid: text for cid, text, correct in key["choices"] if not correct}
        for choice_id in answer if isinstance(answer, list) else [answer]:
            if _as_int(choice_id) in wrong:
                picks[question_id][wrong[_as_int(choice_id)]] += 1

    items = []
    for row in rows:
        question_id, n = row["question_id"], row["responses"]
        facility = row["total"] / n if n else None
        discrimination = None
        if len(ranked) >= 2 and row["top_n"] and row["bottom_n"]:
            discrimination = row["top_total"] / row["top_n"] - row["bottom_total"] / row["bottom_n"]
        flags = []
        if n >= MIN_RESPONSES_FOR_FLAGS:
            if discrimination is not None and discrimination < LOW_DISCRIMINATION:
                flags.append("low discrimination")
            if facility is not None and facility < FACILITY_RANGE[0]:
                flags.append("too hard")
            if facility is not None and facility > FACILITY_RANGE[1]:
                flags.append("too easy")
        items.append(
            ItemStatistics(
                question_id=question_id,
                question_slug=row["slug"],
                question_type=row["question_type"],
                prompt=row["prompt"],
                responses=n,
                facility=facility,
                discrimination=discrimination,
                average_time=row["time"] / row["answered"] if row["answered"] else None,
                wrong_choice_picks=dict(picks[question_id].most_common()),
                flags=tuple(flags),
            )
        )
    return ItemAnalysis(quiz=quiz, attempts=len(ranked), items=items)


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# A teacher's review of one attempt (as Moodle's attempt review).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewedQuestion:
    position: int
    question_id: int
    type_label: str
    prompt: str
    points: Decimal
    answered: bool
    answer_text: str
    correct_answer_text: str
    points_awarded: Decimal | None
    correct: bool | None
    feedback: str
    time_spent: timedelta | None
    answered_at: datetime | None
    regraded_at: datetime | None


def attempt_review(*, attempt: Attempt) -> list[ReviewedQuestion]:
    """Each question of an attempt as it was shown, with the answer given, the correct answer,
    the points, the feedback and the time spent: everything, whatever the quiz's feedback
    mode, so only for a teacher who may review the attempt (a learner's own view is
    `attempt_view`). One query."""
    from quizapp.bank.answer_forms import answer_text

    reviewed = []
    for aq in attempt.questions.select_related("response").order_by("position"):
        key = grading.AnswerKey.from_json(aq.answer_key)
        response = getattr(aq, "response", None)
        given = "Not answered."
        if response is not None:
            try:
                given = answer_text(key, response.answer)
            except (KeyError, TypeError, ValueError, IndexError):
                given = str(response.answer)  # saved under a key a regrade has since changed
        reviewed.append(
            ReviewedQuestion(
                position=aq.position,
                question_id=aq.question_id,
                type_label=key.type.label,
                prompt=aq.prompt,
                points=aq.points,
                answered=response is not None,
                answer_text=given,
                correct_answer_text=grading.correct_answer_text(key),
                points_awarded=response.points_awarded if response else None,
                correct=response.correct if response else None,
                feedback=response.feedback if response else "",
                time_spent=response.time_spent if response else None,
                answered_at=response.answered_at if response else None,
                regraded_at=response.regraded_at if response else None,
            )
        )
    return reviewed
