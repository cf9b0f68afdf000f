"""Writes for classes: joining, leaving, rosters, join codes and assignments."""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from quizapp.bank.models import Deck
from quizapp.classroom.models import (
    JOIN_CODE_ALPHABET,
    Assignment,
    Classroom,
    Enrolment,
    Invitation,
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
    try:
        with transaction.atomic():  # the unique constraint tells whether they were in already
            enrolment = Enrolment.objects.create(
                classroom=classroom, student=user, joined_at=now or timezone.now()
            )
    except IntegrityError:
        raise ClassroomError("already_enrolled", f"You are already in {classroom.name}.") from None
    Invitation.objects.filter(classroom=classroom, student=user).delete()  # answered by joining
    return enrolment


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


# Invitations: a teacher names a student; the student joins only by accepting. -------------


def invitable_student(username: str):
    """The active student account with this username, or None. Staff (teachers and
    administrators) are never invitable, and are answered exactly as a name nobody has, so
    the invitation form tells nobody which accounts are staff."""
    students = get_user_model().objects.filter(is_active=True, is_staff=False, is_superuser=False)
    username = username.strip()
    if not username:
        return None
    exact = students.filter(username=username).first()
    if exact is not None:
        return exact
    # Usernames are case-sensitive, but a teacher copying one from a list may change its case:
    # accept that when it names one account only.
    alike = list(students.filter(username__iexact=username)[:2])
    return alike[0] if len(alike) == 1 else None


@transaction.atomic
def invitation_create(
    *, classroom: Classroom, username: str, by, now: datetime | None = None
) -> Invitation:
    _require_teacher(classroom, by)
    student = invitable_student(username)
    if student is None:
        raise ClassroomError(
            "no_such_student", f"No student has the username “{username.strip()}”."
        )
    if Enrolment.objects.filter(classroom=classroom, student=student).exists():
        raise ClassroomError(
            "already_enrolled", f"{student.get_username()} is already in {classroom.name}."
        )
    invitation, created = Invitation.objects.get_or_create(
        classroom=classroom,
        student=student,
        defaults={"invited_by": by, "invited_at": now or timezone.now()},
    )
    if not created:
        raise ClassroomError(
            "already_invited", f"{student.get_username()} is already invited to {classroom.name}."
        )
    return invitation


def _locked_invitation(*, invitation: Invitation, user) -> Invitation:
    locked = (
        Invitation.objects.select_for_update()
        .select_related("classroom")
        .filter(pk=invitation.pk, student=user)
        .first()
    )
    if locked is None:  # withdrawn, answered meanwhile, or someone else's
        raise ClassroomError("not_invited", "This invitation is no longer open.")
    return locked


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user, now: datetime | None = None) -> Enrolment:
    """The invited student joins the class (once: accepting when already in it just closes
    the invitation)."""
    invitation = _locked_invitation(invitation=invitation, user=user)
    enrolment, _ = Enrolment.objects.get_or_create(
        classroom=invitation.classroom,
        student=user,
        defaults={"joined_at": now or timezone.now()},
    )
    invitation.delete()
    return enrolment


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user) -> None:
    _locked_invitation(invitation=invitation, user=user).delete()


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, by) -> None:
    _require_teacher(invitation.classroom, by)
    Invitation.objects.filter(pk=invitation.pk).delete()
