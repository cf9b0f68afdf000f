"""Writes for classes: joining, leaving, rosters, join codes and assignments."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from quizapp.bank.models import Deck
from quizapp.classroom.models import (
    JOIN_CODE_ALPHABET,
    Assignment,
    Classroom,
    Enrolment,
    new_join_code,
)
from quizapp.quizzes.models import Quiz


class ClassroomError(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


def _require_teacher(classroom: Classroom, user) -> None:
    if not (user.is_superuser or classroom.teachers.filter(pk=user.pk).exists()):
        raise ClassroomError("not_teacher", "Only a teacher of this class can do that.")


def normalize_join_code(code: str) -> str:
    """Codes are typed from a board: ignore case, spaces and dashes."""
    return "".join(ch for ch in str(code).upper() if ch in JOIN_CODE_ALPHABET)


@transaction.atomic
def classroom_create(*, name: str, teacher) -> Classroom:
    classroom = Classroom.objects.create(name=name)
    classroom.teachers.add(teacher)
    return classroom


@transaction.atomic
def classroom_join(*, user, code: str, now: datetime | None = None) -> Enrolment:
    classroom = Classroom.objects.filter(join_code=normalize_join_code(code)).first()
    if classroom is None:
        raise ClassroomError("invalid_code", "No class has that join code. Check it and retry.")
    if Enrolment.objects.filter(classroom=classroom, student=user).exists():
        raise ClassroomError("already_enrolled", f"You are already in {classroom.name}.")
    try:
        with transaction.atomic():
            return Enrolment.objects.create(
                classroom=classroom, student=user, joined_at=now or timezone.now()
            )
    except IntegrityError:
        raise ClassroomError("already_enrolled", f"You are already in {classroom.name}.") from None


@transaction.atomic
def classroom_leave(*, user, classroom: Classroom) -> None:
    deleted, _ = Enrolment.objects.filter(classroom=classroom, student=user).delete()
    if not deleted:
        raise ClassroomError("not_enrolled", "You are not in this class.")


@transaction.atomic
def classroom_remove_student(*, classroom: Classroom, student, by) -> None:
    _require_teacher(classroom, by)
    deleted, _ = Enrolment.objects.filter(classroom=classroom, student=student).delete()
    if not deleted:
        raise ClassroomError("not_enrolled", f"{student} is not in this class.")


@transaction.atomic
def join_code_regenerate(*, classroom: Classroom, by) -> str:
    """A new code; the old one stops working at once (e.g. after it was shared too widely)."""
    _require_teacher(classroom, by)
    for _ in range(10):
        code = new_join_code()
        if not Classroom.objects.filter(join_code=code).exists():
            break
    classroom.join_code = code
    classroom.save(update_fields=["join_code"])
    return code


@transaction.atomic
def assignment_create(
    *,
    classroom: Classroom,
    due_at: datetime,
    by,
    quiz: Quiz | None = None,
    deck: Deck | None = None,
    exam_date: date | None = None,
) -> Assignment:
    _require_teacher(classroom, by)
    if (quiz is None) == (deck is None):
        raise ClassroomError("invalid_assignment", "Assign either a quiz or a deck.")
    if exam_date is not None and deck is None:
        raise ClassroomError("invalid_assignment", "An exam date needs a deck to prepare.")
    if quiz is not None and not (by.is_superuser or quiz.owner_id == by.pk):
        raise ClassroomError("not_owner", "You can only assign your own quizzes.")
    if quiz is not None and not quiz.published:
        raise ClassroomError("unpublished", "Publish the quiz before assigning it.")
    existing = Assignment.objects.filter(classroom=classroom, quiz=quiz, deck=deck).first()
    if existing:
        existing.due_at, existing.exam_date = due_at, exam_date
        existing.save(update_fields=["due_at", "exam_date"])
        return existing
    return Assignment.objects.create(
        classroom=classroom,
        quiz=quiz,
        deck=deck,
        due_at=due_at,
        exam_date=exam_date,
        created_by=by,
    )
