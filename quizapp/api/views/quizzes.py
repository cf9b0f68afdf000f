"""Quizzes for learners: what is open, starting an attempt, answering, submitting.

What an attempt shows comes from `attempt_view` alone (the one place deciding what a learner may
see under each feedback mode); this module only serializes it, naming options by their number
in the attempt (`quizapp.api.option_numbers`) so that no bank id hints at an answer.
"""

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.errors import Conflict
from quizapp.api.fields import StrictSerializer, refuse_body
from quizapp.api.option_numbers import ANSWER_INPUT_SCHEMA, ANSWER_OUT_SCHEMA, OptionNumbers
from quizapp.api.pagination import PAGINATION_PARAMETERS, page_serializer, paginated_response
from quizapp.api.schema import errors
from quizapp.api.serializers import OptionSerializer
from quizapp.bank import grading
from quizapp.bank.grading import MalformedAnswer
from quizapp.quizzes.models import Attempt, FeedbackMode, Quiz, QuizItem
from quizapp.quizzes.selectors import (
    AttemptView,
    QuestionView,
    attempt_view,
    attempts_of,
    quizzes_available_to,
    quizzes_open_to,
)
from quizapp.quizzes.services import (
    QuizError,
    attempt_answer_save,
    attempt_expire_if_due,
    attempt_start,
    attempt_submit,
)

TAGS = ["quizzes"]

# QuizError codes and what they answer: a missing or foreign object is a 404, the rest are
# refusals because of the attempt's or the quiz's state.
NOT_FOUND_CODES = {"not_available", "not_in_attempt"}


def quiz_error(error: QuizError) -> exceptions.APIException:
    if error.code in NOT_FOUND_CODES:
        return exceptions.NotFound(error.message, code="not_found")
    return Conflict(error.message, code=error.code)


def malformed(error: MalformedAnswer) -> exceptions.ValidationError:
    """400 `malformed_answer`, the message saying what is wrong with the answer's shape."""
    return exceptions.ValidationError(str(error), code="malformed_answer")


# --------------------------------------------------------------------------------------------
# Quizzes
# --------------------------------------------------------------------------------------------


class QuizSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(help_text="May be empty.")
    feedback_mode = serializers.ChoiceField(
        choices=FeedbackMode.values,
        help_text="When results show: `immediate` (each question once answered), "
        "`after_submit`, or `after_close` (once the quiz closes).",
    )
    questions = serializers.IntegerField(help_text="Questions an attempt has.")
    time_limit_seconds = serializers.IntegerField(
        allow_null=True, help_text="Time per attempt; null for no limit."
    )
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    pass_mark = serializers.FloatField(help_text="Percentage needed to pass.")
    attempts_allowed = serializers.IntegerField(allow_null=True, help_text="Null: unlimited.")
    attempts_used = serializers.IntegerField(help_text="Attempts this learner has started.")
    attempt_in_progress = serializers.IntegerField(
        allow_null=True,
        help_text="Id of the learner's attempt in progress, if any (opening it submits it if "
        "its time ran out).",
    )

    def to_representation(self, instance: Quiz | dict) -> dict[str, Any]:
        # A page of the list is a queryset slice (only that page is fetched): annotated quizzes.
        data = _quiz_data(instance) if isinstance(instance, Quiz) else instance
        return super().to_representation(data)


class QuizAttemptSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Attempt.Status.values)
    started_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class QuizDetailSerializer(QuizSerializer):
    open = serializers.BooleanField(help_text="Whether attempts may be started now.")
    attempts = QuizAttemptSummarySerializer(
        many=True, help_text="The learner's attempts, first first (results: GET the attempt)."
    )


def _with_learner_figures(quizzes: QuerySet[Quiz], user) -> QuerySet[Quiz]:
    """Quizzes with the learner's attempt count, attempt in progress and question count, in one
    query (subqueries, so the counts do not multiply each other)."""
    own = Attempt.objects.filter(quiz=OuterRef("pk"), user=user)
    return quizzes.annotate(
        attempts_used=Coalesce(
            Subquery(
                own.order_by().values("quiz").annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        attempt_in_progress=Subquery(
            own.filter(status=Attempt.Status.IN_PROGRESS).order_by("-number").values("pk")[:1]
        ),
        item_count=Coalesce(
            Subquery(
                QuizItem.objects.filter(quiz=OuterRef("pk"))
                .order_by()
                .values("quiz")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


def _quiz_data(quiz: Quiz) -> dict[str, Any]:
    return {
        "id": quiz.pk,
        "title": quiz.title,
        "description": quiz.description,
        "feedback_mode": quiz.feedback_mode,
        "questions": quiz.draw_count if quiz.uses_draw else quiz.item_count,
        "time_limit_seconds": round(quiz.time_limit.total_seconds()) if quiz.time_limit else None,
        "opens_at": quiz.opens_at,
        "closes_at": quiz.closes_at,
        "pass_mark": float(quiz.pass_mark),
        "attempts_allowed": quiz.attempts_allowed or None,
        "attempts_used": quiz.attempts_used,
        "attempt_in_progress": quiz.attempt_in_progress,
    }


class QuizListApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="quizzes_list",
        summary="Quizzes open to the learner now",
        description="Published quizzes the learner may take (public ones and ones assigned to "
        "their classes) that are open now, newest first, with the learner's attempts used. "
        "No results or answers appear here.",
        parameters=PAGINATION_PARAMETERS,
        responses={200: page_serializer(QuizSerializer, "QuizPage"), **errors(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        quizzes = _with_learner_figures(quizzes_open_to(request.user), request.user)
        return paginated_response(
            items=quizzes.order_by("-created_at", "pk"),
            serializer_class=QuizSerializer,
            request=request,
        )


class QuizDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One quiz the learner may take, with their attempts",
        description="Also a quiz that has closed or not opened yet; 404 for a quiz the "
        "learner may not take.",
        responses={200: QuizDetailSerializer, **errors(401, 404, 429)},
    )
    def get(self, request: Request, id: int) -> Response:
        quiz = get_object_or_404(
            _with_learner_figures(quizzes_available_to(request.user), request.user), pk=id
        )
        now = timezone.now()
        data = _quiz_data(quiz)
        data["open"] = (quiz.opens_at is None or quiz.opens_at <= now) and (
            quiz.closes_at is None or now < quiz.closes_at
        )
        data["attempts"] = [
            {
                "id": attempt.pk,
                "number": attempt.number,
                "status": attempt.status,
                "started_at": attempt.started_at,
                "submitted_at": attempt.submitted_at,
            }
            for attempt in Attempt.objects.filter(quiz=quiz, user=request.user).order_by("number")
        ]
        return Response(QuizDetailSerializer(data).data)


# --------------------------------------------------------------------------------------------
# Attempts
# --------------------------------------------------------------------------------------------


@extend_schema_field(ANSWER_OUT_SCHEMA)
class AnswerOutField(serializers.Field):
    def to_representation(self, value: object) -> object:
        return value


@extend_schema_field(ANSWER_INPUT_SCHEMA)
class AnswerInField(serializers.Field):
    default_error_messages = {"required": "Give an answer.", "null": "Give an answer."}

    def to_internal_value(self, data: object) -> object:
        return data


class QuestionResultSerializer(serializers.Serializer):
    correct = serializers.BooleanField(help_text="Full marks.")
    score = serializers.FloatField(help_text="0 to 1 of the question's points.")
    points_awarded = serializers.FloatField()
    feedback = serializers.CharField()
    correct_answer = AnswerOutField(help_text="In the shape of an answer, with option ids.")
    correct_answer_text = serializers.CharField()
    explanation = serializers.CharField(help_text="May be empty.")


class AttemptQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The question's id: answer it under this id.")
    position = serializers.IntegerField(help_text="0-based place in the attempt.")
    type = serializers.ChoiceField(choices=[t.value for t in grading.QuestionType])
    prompt = serializers.CharField()
    points = serializers.FloatField()
    unit = serializers.CharField(help_text="Numeric questions' unit; may be empty.")
    choices = OptionSerializer(many=True, help_text="Choice questions, in the order to show.")
    items = OptionSerializer(many=True, help_text="Ordering questions, in the order to show.")
    lefts = OptionSerializer(many=True, help_text="Matching: the left-hand sides.")
    rights = OptionSerializer(many=True, help_text="Matching: the right-hand sides to pick from.")
    answered = serializers.BooleanField()
    answer = AnswerOutField(
        help_text="The learner's saved answer, or null. Shaped as answers are sent, except that "
        "a partial answer saved on the web reads back as saved: `ordering` with null at each "
        "position not filled yet, `matching` without the lefts not matched yet."
    )
    result = QuestionResultSerializer(
        allow_null=True,
        help_text="Null until the feedback mode allows it: in `immediate` mode once the "
        "question is answered; otherwise once the whole attempt's results show.",
    )


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField(help_text="The quiz's id.")
    quiz_title = serializers.CharField()
    feedback_mode = serializers.ChoiceField(choices=FeedbackMode.values)
    number = serializers.IntegerField(help_text="1 for the learner's first attempt, and so on.")
    status = serializers.ChoiceField(choices=Attempt.Status.values)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(
        allow_null=True, help_text="Answers after this (plus 30 s of grace) are refused."
    )
    seconds_left = serializers.IntegerField(allow_null=True, help_text="Null without a deadline.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    auto_submitted = serializers.BooleanField(help_text="Submitted when its time ran out.")
    results_visible = serializers.BooleanField(
        help_text="Whether the totals and every question's result show."
    )
    max_score = serializers.FloatField()
    score = serializers.FloatField(allow_null=True, help_text="Null until results show.")
    percentage = serializers.FloatField(allow_null=True, help_text="Null until results show.")
    passed = serializers.BooleanField(allow_null=True, help_text="Null until results show.")
    questions = AttemptQuestionSerializer(many=True)


def _number(value) -> float | None:
    return None if value is None else float(value)


def question_data(question: QuestionView) -> dict[str, Any]:
    numbers = OptionNumbers.of(question)
    result = question.result
    return {
        "id": question.question_id,
        "position": question.position,
        "type": question.type,
        "prompt": question.prompt,
        "points": float(question.points),
        "unit": question.unit,
        "choices": numbers.numbered(question.choices),
        "items": numbers.numbered(question.items),
        "lefts": numbers.numbered(question.lefts),
        "rights": numbers.numbered(question.rights),
        "answered": question.answered,
        "answer": numbers.to_client(question.answer),
        "result": None
        if result is None
        else {
            "correct": result.correct,
            "score": result.score,
            "points_awarded": float(result.points_awarded),
            "feedback": result.feedback,
            "correct_answer": numbers.to_client(result.correct_answer),
            "correct_answer_text": result.correct_answer_text,
            "explanation": result.explanation,
        },
    }


def attempt_data(view: AttemptView) -> dict[str, Any]:
    attempt = view.attempt
    return {
        "id": attempt.pk,
        "quiz": attempt.quiz_id,
        "quiz_title": attempt.quiz.title,
        "feedback_mode": attempt.quiz.feedback_mode,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "seconds_left": view.seconds_left,
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "results_visible": view.results_visible,
        "max_score": _number(view.max_score),
        "score": _number(view.score),
        "percentage": _number(view.percentage),
        "passed": view.passed,
        "questions": [question_data(question) for question in view.questions],
    }


def attempt_response(attempt: Attempt, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(
        AttemptSerializer(attempt_data(attempt_view(attempt=attempt))).data, status=status_code
    )


class AttemptStartApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="quizzes_attempts_create",
        summary="Start an attempt (or get back the one in progress)",
        description="201 with a new attempt, or 200 with the learner's attempt in progress. "
        "The questions come without any answer data. Refusals (409) carry the reason as "
        "`code`: `not_open`, `closed`, `no_attempts_left`, `empty`.",
        request=None,
        responses={
            201: AttemptSerializer,
            200: OpenApiResponse(AttemptSerializer, description="The attempt in progress."),
            **errors(400, 401, 403, 404, 409, 413, 429),
        },
    )
    def post(self, request: Request, id: int) -> Response:
        refuse_body(request.data)
        quiz = get_object_or_404(quizzes_available_to(request.user), pk=id)
        now = timezone.now()
        try:
            attempt = attempt_start(user=request.user, quiz=quiz, now=now)
        except QuizError as error:
            raise quiz_error(error) from None
        started = attempt.started_at == now
        return attempt_response(
            attempt, status_code=status.HTTP_201_CREATED if started else status.HTTP_200_OK
        )


def _own_attempt(request: Request, id: int) -> Attempt:
    """The learner's own attempt (anyone else's is a 404), submitted first if its time ran
    out, so an expired attempt is never shown as in progress."""
    attempt = get_object_or_404(attempts_of(request.user), pk=id)
    return attempt_expire_if_due(attempt=attempt)


class AttemptDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One of the learner's attempts, with what its feedback mode lets them see",
        description="An attempt whose time ran out is submitted on the spot.",
        responses={200: AttemptSerializer, **errors(401, 404, 429)},
    )
    def get(self, request: Request, id: int) -> Response:
        return attempt_response(_own_attempt(request, id))


class AttemptAnswerApi(APIView):
    class InputSerializer(StrictSerializer):
        answer = AnswerInField()

    @extend_schema(
        tags=TAGS,
        operation_id="attempts_answers_update",
        summary="Save the answer to one question of an attempt",
        description="The last answer saved counts until the attempt is submitted; in "
        "`immediate` mode the first answer is final and its result comes back at once. "
        "Answers in a wrong shape get 400 (`malformed_answer`) and change nothing. 409: "
        "`submitted` (the attempt is over, e.g. its time ran out) or `already_answered`.",
        parameters=[
            OpenApiParameter(
                "question",
                int,
                OpenApiParameter.PATH,
                description="The question's `id`, as the attempt lists it. Within a quiz a "
                "question is named by id, never by slug: a slug may describe the answer.",
            )
        ],
        request=InputSerializer,
        responses={
            200: AttemptQuestionSerializer,
            **errors(400, 401, 403, 404, 409, 413, 415, 429),
        },
    )
    def put(self, request: Request, id: int, question: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = _own_attempt(request, id)
        if attempt.is_submitted:
            raise Conflict(
                "This attempt has been submitted; answers can't change.", code="submitted"
            )
        shown = _question_in(attempt_view(attempt=attempt), question)
        try:
            answer = OptionNumbers.of(shown).from_client(data.validated_data["answer"])
            attempt_answer_save(attempt=attempt, question_id=question, answer=answer)
        except MalformedAnswer as error:
            raise malformed(error) from None
        except QuizError as error:
            raise quiz_error(error) from None
        saved = _question_in(attempt_view(attempt=attempt), question)
        return Response(AttemptQuestionSerializer(question_data(saved)).data)


def _question_in(view: AttemptView, question_id: int) -> QuestionView:
    for question in view.questions:
        if question.question_id == question_id:
            return question
    raise exceptions.NotFound("That question is not part of this attempt.")


class AttemptSubmitApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="attempts_submit_create",
        summary="Submit an attempt",
        description="Idempotent: submitting a submitted attempt answers the same. The results "
        "show as the feedback mode allows (`after_close`: not before the quiz closes).",
        request=None,
        responses={200: AttemptSerializer, **errors(400, 401, 403, 404, 413, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        refuse_body(request.data)
        attempt = attempt_submit(attempt=_own_attempt(request, id))
        return attempt_response(attempt)
