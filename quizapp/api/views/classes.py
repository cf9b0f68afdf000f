"""Classes: a learner's classes (join by code, leave) and a teacher's read-only reports.

Who sees what. A student sees each class's name, its teachers' display names and its
assignments with due dates, never the join code (the teacher's secret to hand out; a student
who is in has no use for it) or who else is in it. A teacher also sees the join code and the
number of students, and reads the class's results; a quiz's owner reads its item analysis.
Anyone else gets 404 for those reports, exactly as for an object that does not exist.
"""

from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.errors import Conflict
from quizapp.api.fields import StrictSerializer, refuse_body
from quizapp.api.pagination import PAGINATION_PARAMETERS, page_serializer, paginated_response
from quizapp.api.schema import errors
from quizapp.classroom.models import Assignment, Classroom, Enrolment
from quizapp.classroom.selectors import (
    class_deck_memory,
    class_results,
    classes_of,
    classes_taught_by,
    invitations_for,
)
from quizapp.classroom.services import (
    ClassroomError,
    classroom_join,
    classroom_leave,
    invitation_accept,
    invitation_decline,
)
from quizapp.quizzes.models import Quiz
from quizapp.quizzes.selectors import quiz_item_analysis

TAGS = ["classes"]
TEACHING_TAGS = ["teaching"]

ROLE_STUDENT = "student"
ROLE_TEACHER = "teacher"
CLASS_ROLES = [ROLE_STUDENT, ROLE_TEACHER]


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


# --------------------------------------------------------------------------------------------
# The learner's classes
# --------------------------------------------------------------------------------------------


class AssignmentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["quiz", "deck"])
    quiz = serializers.IntegerField(allow_null=True, help_text="The quiz's id, for a quiz.")
    deck = serializers.CharField(allow_null=True, help_text="The deck's slug, for a deck.")
    title = serializers.CharField()
    due_at = serializers.DateTimeField()


class ClassSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.ChoiceField(
        choices=CLASS_ROLES, help_text="The signed-in user's place in it."
    )
    teachers = serializers.ListField(
        child=serializers.CharField(), help_text="Display names of the class's teachers."
    )
    assignments = AssignmentSerializer(many=True, help_text="Soonest due first.")
    joined_at = serializers.DateTimeField(allow_null=True, help_text="Students: when they joined.")
    join_code = serializers.CharField(
        allow_null=True, help_text="Teachers only (null for students): the code to hand out."
    )
    students = serializers.IntegerField(
        allow_null=True, help_text="Teachers only (null for students): how many are enrolled."
    )

    def to_representation(self, instance: Classroom | dict) -> dict[str, Any]:
        data = class_data(instance) if isinstance(instance, Classroom) else instance
        return super().to_representation(data)


def classes_for(user) -> QuerySet[Classroom]:
    """The classes a user teaches (a superuser: all) or is enrolled in, with what `class_data`
    reads: three queries for a page, whatever its size. Counts are subqueries, so the filter
    on who is in the class never narrows them."""
    taught = classes_taught_by(user).filter(pk=OuterRef("pk"))
    enrolment = Enrolment.objects.filter(classroom=OuterRef("pk"), student=user)
    students = (
        Enrolment.objects.filter(classroom=OuterRef("pk"))
        .order_by()
        .values("classroom")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Classroom.objects.annotate(
            taught=Exists(taught),
            joined_at=Subquery(enrolment.values("joined_at")[:1]),
            student_count=Coalesce(Subquery(students, output_field=IntegerField()), Value(0)),
        )
        .filter(Q(taught=True) | Q(joined_at__isnull=False))
        .prefetch_related(
            "teachers",
            Prefetch(
                "assignments",
                Assignment.objects.select_related("quiz", "deck").order_by("due_at", "pk"),
            ),
        )
        .order_by("name", "pk")
    )


def class_data(classroom: Classroom) -> dict[str, Any]:
    """One class as `ClassSerializer` shows it to the user `classes_for` annotated it for."""
    teaches = classroom.taught
    assignments = []
    for assignment in classroom.assignments.all():
        if assignment.quiz_id is not None:
            if not (teaches or assignment.quiz.published):
                continue  # unpublished since it was assigned: students cannot open it
            kind, title = "quiz", assignment.quiz.title
        else:
            kind, title = "deck", assignment.deck.title
        assignments.append(
            {
                "kind": kind,
                "quiz": assignment.quiz_id,
                "deck": assignment.deck.slug if assignment.deck_id else None,
                "title": title,
                "due_at": assignment.due_at,
            }
        )
    return {
        "id": classroom.pk,
        "name": classroom.name,
        "role": ROLE_TEACHER if teaches else ROLE_STUDENT,
        "teachers": sorted(display_name(t) for t in classroom.teachers.all()),
        "assignments": assignments,
        "joined_at": None if teaches else classroom.joined_at,
        "join_code": classroom.join_code if teaches else None,
        "students": classroom.student_count if teaches else None,
    }


class ClassListApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="classes_list",
        summary="The classes the user is in or teaches",
        description="`role` says which; a class someone both teaches and is enrolled in "
        "counts as taught.",
        parameters=PAGINATION_PARAMETERS,
        responses={200: page_serializer(ClassSerializer, "ClassPage"), **errors(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            items=classes_for(request.user), serializer_class=ClassSerializer, request=request
        )


class ClassJoinApi(APIView):
    class InputSerializer(StrictSerializer):
        code = serializers.CharField(
            max_length=32, help_text="The class's join code; case, spaces and dashes ignored."
        )

    @extend_schema(
        tags=TAGS,
        summary="Join a class with its code",
        description="400 `invalid_code` when no class has the code; 409 `already_enrolled`.",
        request=InputSerializer,
        responses={201: ClassSerializer, **errors(400, 401, 403, 409, 413, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            enrolment = classroom_join(user=request.user, code=data.validated_data["code"])
        except ClassroomError as error:
            if error.code == "already_enrolled":
                raise Conflict(error.message, code=error.code) from None
            raise exceptions.ValidationError(error.message, code=error.code) from None
        classroom = classes_for(request.user).get(pk=enrolment.classroom_id)
        return Response(ClassSerializer(classroom).data, status=status.HTTP_201_CREATED)


class ClassLeaveApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Leave a class",
        description="Only a class the learner is enrolled in (else 404). Their attempts stay.",
        request=None,
        responses={
            204: OpenApiResponse(description="Left the class."),
            **errors(400, 401, 403, 404, 413, 429),
        },
    )
    def post(self, request: Request, id: int) -> Response:
        refuse_body(request.data)
        classroom = get_object_or_404(classes_of(request.user), pk=id)
        try:
            classroom_leave(user=request.user, classroom=classroom)
        except ClassroomError:  # left concurrently
            raise exceptions.NotFound() from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    class_name = serializers.CharField()
    teachers = serializers.ListField(
        child=serializers.CharField(), help_text="Display names of the class's teachers."
    )
    invited_by = serializers.CharField(
        allow_null=True, help_text="Display name of the teacher who invited (null if gone)."
    )
    invited_at = serializers.DateTimeField()

    def to_representation(self, invitation) -> dict[str, Any]:
        return super().to_representation(
            {
                "id": invitation.pk,
                "class_name": invitation.classroom.name,
                "teachers": sorted(display_name(t) for t in invitation.classroom.teachers.all()),
                "invited_by": display_name(invitation.invited_by)
                if invitation.invited_by
                else None,
                "invited_at": invitation.invited_at,
            }
        )


class InvitationListApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="classes_invitations_list",
        summary="The learner's open invitations to classes",
        description="A teacher invited the learner by username; the learner joins the class "
        "only by accepting. Newest first.",
        parameters=PAGINATION_PARAMETERS,
        responses={
            200: page_serializer(InvitationSerializer, "InvitationPage"),
            **errors(400, 401, 429),
        },
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            items=invitations_for(request.user),
            serializer_class=InvitationSerializer,
            request=request,
        )


class InvitationAcceptApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Accept an invitation: join the class",
        description="Only the learner's own open invitation (else 404).",
        request=None,
        responses={201: ClassSerializer, **errors(400, 401, 403, 404, 413, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        refuse_body(request.data)
        invitation = get_object_or_404(invitations_for(request.user), pk=id)
        try:
            enrolment = invitation_accept(invitation=invitation, user=request.user)
        except ClassroomError:  # answered or withdrawn concurrently
            raise exceptions.NotFound() from None
        classroom = classes_for(request.user).get(pk=enrolment.classroom_id)
        return Response(ClassSerializer(classroom).data, status=status.HTTP_201_CREATED)


class InvitationDeclineApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Decline an invitation",
        description="Only the learner's own open invitation (else 404). Nobody is enrolled.",
        request=None,
        responses={
            204: OpenApiResponse(description="Declined."),
            **errors(400, 401, 403, 404, 413, 429),
        },
    )
    def post(self, request: Request, id: int) -> Response:
        refuse_body(request.data)
        invitation = get_object_or_404(invitations_for(request.user), pk=id)
        try:
            invitation_decline(invitation=invitation, user=request.user)
        except ClassroomError:
            raise exceptions.NotFound() from None
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------------------------
# Teachers' reports
# --------------------------------------------------------------------------------------------


class ResultAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The assignment's id, as `assignment` below.")
    quiz = serializers.IntegerField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField()


class ResultCellSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    attempts = serializers.IntegerField()
    best_percentage = serializers.FloatField(allow_null=True)
    submitted_at = serializers.DateTimeField(
        allow_null=True, help_text="First submission; null if none."
    )
    on_time = serializers.BooleanField(
        allow_null=True, help_text="First submission by the due date; null if none."
    )


class ResultStudentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="Display name.")
    results = ResultCellSerializer(many=True, help_text="One per assignment, in their order.")


class StudentMemorySerializer(serializers.Serializer):
    student = serializers.IntegerField()
    username = serializers.CharField()
    cards = serializers.IntegerField(help_text="Cards of the deck the student has studied.")
    average_recall = serializers.FloatField(allow_null=True)
    mastered = serializers.IntegerField()
    overdue = serializers.IntegerField()
    at_risk = serializers.BooleanField()


class DeckMemorySerializer(serializers.Serializer):
    deck = serializers.CharField(help_text="The deck's slug.")
    title = serializers.CharField()
    students_studying = serializers.IntegerField()
    average_recall = serializers.FloatField(allow_null=True)
    mastered_share = serializers.FloatField(allow_null=True)
    overdue_per_student = serializers.FloatField()
    students = StudentMemorySerializer(many=True, help_text="Lowest recall first.")


def _float(value) -> float | None:
    return None if value is None else float(value)


class ClassResultsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        assignments = ResultAssignmentSerializer(many=True, help_text="Quizzes, soonest due first.")
        students = ResultStudentSerializer(many=True)
        decks = DeckMemorySerializer(
            many=True, help_text="Memory per assigned deck (every deck if none is assigned)."
        )

    @extend_schema(
        tags=TEACHING_TAGS,
        summary="A class's results (teachers of the class only)",
        description="Students × assigned quizzes (attempts, best score, on time), and memory "
        "per deck with the students at risk. 404 for anyone but the class's teachers.",
        responses={200: OutputSerializer, **errors(401, 404, 429)},
    )
    def get(self, request: Request, id: int) -> Response:
        classroom = get_object_or_404(classes_taught_by(request.user), pk=id)
        results = class_results(classroom=classroom)
        data = {
            "id": classroom.pk,
            "name": classroom.name,
            "assignments": [
                {"id": a.pk, "quiz": a.quiz_id, "title": a.quiz.title, "due_at": a.due_at}
                for a in results.assignments
            ],
            "students": [
                {
                    "id": student.pk,
                    "username": student.get_username(),
                    "name": display_name(student),
                    "results": [
                        {
                            "assignment": assignment.pk,
                            "attempts": cell.attempts,
                            "best_percentage": _float(cell.best_percentage),
                            "submitted_at": cell.submitted_at,
                            "on_time": cell.on_time,
                        }
                        for assignment in results.assignments
                        for cell in [results.cell(student, assignment)]
                    ],
                }
                for student in results.students
            ],
            "decks": [
                {
                    "deck": memory.deck.slug,
                    "title": memory.deck.title,
                    "students_studying": memory.students_studying,
                    "average_recall": memory.average_recall,
                    "mastered_share": memory.mastered_share,
                    "overdue_per_student": memory.overdue_per_student,
                    "students": [
                        {
                            "student": s.student_id,
                            "username": s.username,
                            "cards": s.cards,
                            "average_recall": s.average_recall,
                            "mastered": s.mastered,
                            "overdue": s.overdue,
                            "at_risk": s.at_risk,
                        }
                        for s in memory.students
                    ],
                }
                for memory in class_deck_memory(classroom=classroom)
            ],
        }
        return Response(self.OutputSerializer(data).data)


class WrongChoiceSerializer(serializers.Serializer):
    text = serializers.CharField()
    picks = serializers.IntegerField()


class ItemStatisticsSerializer(serializers.Serializer):
    question = serializers.IntegerField(help_text="The question's id.")
    slug = serializers.CharField()
    prompt = serializers.CharField()
    responses = serializers.IntegerField()
    facility = serializers.FloatField(allow_null=True, help_text="Mean score, 0 to 1.")
    discrimination = serializers.FloatField(
        allow_null=True, help_text="Top 27% minus bottom 27% mean score."
    )
    average_seconds = serializers.FloatField(allow_null=True)
    wrong_choice_picks = WrongChoiceSerializer(many=True, help_text="Most picked first.")
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=["low discrimination", "too hard", "too easy"])
    )


def owned_quizzes(user) -> QuerySet[Quiz]:
    return Quiz.objects.all() if user.is_superuser else Quiz.objects.filter(owner=user)


class QuizItemAnalysisApi(APIView):
    class OutputSerializer(serializers.Serializer):
        quiz = serializers.IntegerField()
        title = serializers.CharField()
        attempts = serializers.IntegerField(help_text="Learners counted (first submissions).")
        items = ItemStatisticsSerializer(many=True)

    @extend_schema(
        tags=TEACHING_TAGS,
        operation_id="quizzes_item_analysis",
        summary="Item analysis of a quiz (its owner only)",
        description="Per question, over each learner's first submitted attempt: facility, "
        "discrimination, average time and wrong-choice picks; flags for likely broken items. "
        "404 for anyone but the quiz's owner.",
        responses={200: OutputSerializer, **errors(401, 404, 429)},
    )
    def get(self, request: Request, id: int) -> Response:
        quiz = get_object_or_404(owned_quizzes(request.user), pk=id)
        analysis = quiz_item_analysis(quiz=quiz)
        data = {
            "quiz": quiz.pk,
            "title": quiz.title,
            "attempts": analysis.attempts,
            "items": [
                {
                    "question": item.question_id,
                    "slug": item.question_slug,
                    "prompt": item.prompt,
                    "responses": item.responses,
                    "facility": item.facility,
                    "discrimination": item.discrimination,
                    "average_seconds": item.average_time.total_seconds()
                    if item.average_time is not None
                    else None,
                    "wrong_choice_picks": [
                        {"text": text, "picks": picks}
                        for text, picks in item.wrong_choice_picks.items()
                    ],
                    "flags": list(item.flags),
                }
                for item in analysis.items
            ],
        }
        return Response(self.OutputSerializer(data).data)
