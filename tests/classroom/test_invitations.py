"""Invitations: a teacher names a student by username; the student joins only by accepting."""

from datetime import UTC, datetime

import pytest

from quizapp.accounts.models import User
from quizapp.classroom.models import Enrolment, Invitation
from quizapp.classroom.selectors import classes_of, invitations_for
from quizapp.classroom.services import (
    ClassroomError,
    classroom_create,
    classroom_join,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_withdraw,
)
from tests.factories import PASSWORD, StudentFactory, TeacherFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def classroom(teacher):
    return classroom_create(name="9B", teacher=teacher)


def refusal(action) -> str:
    with pytest.raises(ClassroomError) as error:
        action()
    return error.value.code


def test_an_invited_student_is_not_in_the_class_until_they_accept(classroom, teacher, student):
    invitation = invitation_create(
        classroom=classroom, username=student.username, by=teacher, now=NOW
    )
    assert not classes_of(student).exists()
    assert list(invitations_for(student)) == [invitation]
    enrolment = invitation_accept(invitation=invitation, user=student, now=NOW)
    assert enrolment.classroom == classroom and enrolment.joined_at == NOW
    assert list(classes_of(student)) == [classroom]
    assert not invitations_for(student).exists()


def test_a_declined_invitation_enrols_nobody(classroom, teacher, student):
    invitation = invitation_create(classroom=classroom, username=student.username, by=teacher)
    invitation_decline(invitation=invitation, user=student)
    assert not Enrolment.objects.exists() and not Invitation.objects.exists()
    assert refusal(lambda: invitation_accept(invitation=invitation, user=student)) == "not_invited"


def test_only_the_invited_student_can_answer_an_invitation(classroom, teacher, student):
    intruder = StudentFactory()
    invitation = invitation_create(classroom=classroom, username=student.username, by=teacher)
    for action in (invitation_accept, invitation_decline):
        assert refusal(lambda a=action: a(invitation=invitation, user=intruder)) == "not_invited"
    assert not Enrolment.objects.exists()
    assert Invitation.objects.get() == invitation


def test_staff_and_unknown_names_get_the_same_refusal(classroom, teacher):
    colleague = TeacherFactory()
    administrator = User.objects.create_superuser("head", "head@example.com", PASSWORD)
    inactive = StudentFactory(is_active=False)
    messages = set()
    for username in (colleague.username, administrator.username, inactive.username, "nobody"):
        with pytest.raises(ClassroomError) as error:
            invitation_create(classroom=classroom, username=username, by=teacher)
        assert error.value.code == "no_such_student"
        messages.add(error.value.message.replace(username, "NAME"))
    assert messages == {"No student has the username “NAME”."}
    assert not Invitation.objects.exists()


def test_a_username_is_found_whatever_its_case_when_it_names_one_account(classroom, teacher):
    student = StudentFactory(username="Ani")
    assert invitation_create(classroom=classroom, username=" ani ", by=teacher).student == student
    StudentFactory(username="ELVIN")
    StudentFactory(username="elvin")
    other = classroom_create(name="9C", teacher=teacher)
    assert invitation_create(classroom=other, username="ELVIN", by=teacher).student.username == (
        "ELVIN"
    )
    assert refusal(lambda: invitation_create(classroom=other, username="Elvin", by=teacher)) == (
        "no_such_student"
    )


def test_inviting_twice_or_someone_already_in_the_class_is_refused(classroom, teacher, student):
    invitation_create(classroom=classroom, username=student.username, by=teacher)
    assert (
        refusal(
            lambda: invitation_create(classroom=classroom, username=student.username, by=teacher)
        )
        == "already_invited"
    )
    classroom_join(user=student, code=classroom.join_code)
    assert not Invitation.objects.exists()  # joining by code answers the invitation
    assert (
        refusal(
            lambda: invitation_create(classroom=classroom, username=student.username, by=teacher)
        )
        == "already_enrolled"
    )


def test_only_the_classes_teachers_invite_or_withdraw(classroom, teacher, other_teacher, student):
    assert (
        refusal(
            lambda: invitation_create(
                classroom=classroom, username=student.username, by=other_teacher
            )
        )
        == "not_teacher"
    )
    invitation = invitation_create(classroom=classroom, username=student.username, by=teacher)
    assert refusal(lambda: invitation_withdraw(invitation=invitation, by=other_teacher)) == (
        "not_teacher"
    )
    invitation_withdraw(invitation=invitation, by=teacher)
    assert not invitations_for(student).exists()
    assert refusal(lambda: invitation_accept(invitation=invitation, user=student)) == "not_invited"


def test_an_open_invitation_is_in_the_learners_export_and_goes_with_the_account(
    classroom, teacher, student
):
    from quizapp.accounts.data import learner_data_export
    from quizapp.accounts.services import learner_delete

    invitation_create(classroom=classroom, username=student.username, by=teacher, now=NOW)
    data = learner_data_export(user=student)
    assert data["class_invitations"] == [
        {"class_name": "9B", "invited_by": teacher.username, "invited_at": "2026-05-04T09:00:00Z"}
    ]
    learner_delete(user=student)
    assert not Invitation.objects.exists()
