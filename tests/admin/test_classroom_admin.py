"""Classes in the teacher admin: creating one, its roster, and who may be on it."""

from datetime import UTC, datetime

from django.urls import reverse

from quizapp.accounts.models import User
from quizapp.classroom.models import Classroom, Enrolment, Invitation
from tests.factories import PASSWORD, ClassroomFactory, StudentFactory, TeacherFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

EMPTY_INLINES = {
    "enrolments-TOTAL_FORMS": 0,
    "enrolments-INITIAL_FORMS": 0,
    "assignments-TOTAL_FORMS": 0,
    "assignments-INITIAL_FORMS": 0,
}


def test_a_teacher_adds_a_class_by_its_name_alone_and_teaches_it(client, teacher):
    client.force_login(teacher)
    response = client.post(reverse("admin:classroom_classroom_add"), {"name": "9B"} | EMPTY_INLINES)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    classroom = Classroom.objects.get(name="9B")
    assert list(classroom.teachers.all()) == [teacher]


def test_the_add_class_form_lists_no_other_staff(client, teacher):
    colleague = TeacherFactory(username="colleague-zara")
    client.force_login(teacher)
    page = client.get(reverse("admin:classroom_classroom_add")).content.decode()
    assert colleague.username not in page
    assert 'name="teachers"' not in page


def test_a_teacher_cannot_make_another_staff_member_teach_their_class(client, teacher):
    colleague = TeacherFactory()
    client.force_login(teacher)
    client.post(
        reverse("admin:classroom_classroom_add"),
        {"name": "9B", "teachers": [colleague.pk]} | EMPTY_INLINES,
    )
    assert list(Classroom.objects.get(name="9B").teachers.all()) == [teacher]


def test_an_administrator_names_the_teachers_or_teaches_the_class(client, teacher):
    administrator = User.objects.create_superuser("head", "head@example.com", PASSWORD)
    client.force_login(administrator)
    url = reverse("admin:classroom_classroom_add")
    client.post(url, {"name": "9B", "teachers": [teacher.pk]} | EMPTY_INLINES)
    client.post(url, {"name": "9C"} | EMPTY_INLINES)
    assert list(Classroom.objects.get(name="9B").teachers.all()) == [teacher]
    assert list(Classroom.objects.get(name="9C").teachers.all()) == [administrator]


# The roster: students join by code or by accepting an invitation, never by a teacher's pick.


def change_form(classroom, **inlines) -> dict:
    """The class change form as the browser posts it, with `inlines` rows added."""
    data = {"name": classroom.name} | EMPTY_INLINES
    enrolments = [
        {"id": e.pk, "classroom": classroom.pk} for e in classroom.enrolments.order_by("pk")
    ]
    data["enrolments-INITIAL_FORMS"] = len(enrolments)
    rows = enrolments + inlines.get("enrolments", [])
    data["enrolments-TOTAL_FORMS"] = len(rows)
    for i, row in enumerate(rows):
        data |= {f"enrolments-{i}-{field}": value for field, value in row.items()}
    return data


def test_a_teacher_cannot_enrol_an_account_through_the_roster(client, teacher, student):
    classroom = ClassroomFactory(teachers=[teacher])
    victim = StudentFactory()
    administrator = User.objects.create_superuser("head", "head@example.com", PASSWORD)
    client.force_login(teacher)
    url = reverse("admin:classroom_classroom_change", args=[classroom.pk])
    for account in (victim, administrator):
        client.post(
            url,
            change_form(classroom, enrolments=[{"classroom": classroom.pk, "student": account.pk}]),
        )
    assert not classroom.enrolments.exists()
    results = client.get(reverse("admin:classroom_classroom_results", args=[classroom.pk]))
    assert victim.username not in results.content.decode()


def test_the_roster_lists_the_class_and_offers_no_account_picker(client, teacher, student):
    classroom = ClassroomFactory(teachers=[teacher])
    Enrolment.objects.create(classroom=classroom, student=student, joined_at=NOW)
    outsider = StudentFactory()
    client.force_login(teacher)
    page = client.get(reverse("admin:classroom_classroom_change", args=[classroom.pk]))
    html = page.content.decode()
    assert student.username in html
    assert outsider.username not in html
    assert 'name="enrolments-__prefix__-student"' not in html
    assert 'name="enrolments-0-student"' not in html
    assert "Invite a student by username" in html


def test_a_teacher_removes_a_student_from_the_roster(client, teacher, student):
    classroom = ClassroomFactory(teachers=[teacher])
    Enrolment.objects.create(classroom=classroom, student=student, joined_at=NOW)
    client.force_login(teacher)
    data = change_form(classroom)
    data["enrolments-0-DELETE"] = "on"
    response = client.post(reverse("admin:classroom_classroom_change", args=[classroom.pk]), data)
    assert response.status_code == 302
    assert not classroom.enrolments.exists()


def invite(client, classroom, **data):
    url = reverse("admin:classroom_classroom_invite", args=[classroom.pk])
    return client.post(url, data)


def test_a_teacher_invites_a_student_who_then_appears_on_the_invite_page(
    client, teacher, student, django_assert_max_num_queries
):
    classroom = ClassroomFactory(teachers=[teacher])
    client.force_login(teacher)
    response = invite(client, classroom, username=student.username)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.classroom, invitation.student, invitation.invited_by) == (
        classroom,
        student,
        teacher,
    )
    assert not classroom.enrolments.exists()  # not before the student accepts
    others = StudentFactory.create_batch(3)
    for other in others:
        invite(client, classroom, username=other.username)
    with django_assert_max_num_queries(10):
        page = client.get(response["Location"])
    html = page.content.decode()
    assert f"Invitation sent to {student.username}" in html
    for invited in [student, *others]:
        assert (
            f'aria-label="Withdraw the invitation to {invited.username}">Withdraw</button>' in html
        )


def test_an_unknown_or_staff_username_is_a_422_naming_it(client, teacher):
    classroom = ClassroomFactory(teachers=[teacher])
    colleague = TeacherFactory()
    client.force_login(teacher)
    for username in ("nobody-here", colleague.username):
        response = invite(client, classroom, username=username)
        assert response.status_code == 422
        assert f"No student has the username “{username}”." in response.content.decode()
    response = invite(client, classroom, username="")
    assert response.status_code == 422
    assert not Invitation.objects.exists()


def test_a_teacher_withdraws_an_invitation(client, teacher, student):
    classroom = ClassroomFactory(teachers=[teacher])
    client.force_login(teacher)
    invite(client, classroom, username=student.username)
    invitation = Invitation.objects.get()
    response = invite(client, classroom, withdraw=invitation.pk)
    assert response.status_code == 302
    assert not Invitation.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert f"Invitation to {student.username} withdrawn." in page


def test_another_teachers_class_invitations_are_404(client, teacher, other_teacher, student):
    theirs = ClassroomFactory(teachers=[other_teacher])
    mine = ClassroomFactory(teachers=[teacher])
    client.force_login(other_teacher)
    invite(client, theirs, username=student.username)
    their_invitation = Invitation.objects.get()
    client.force_login(teacher)
    url = reverse("admin:classroom_classroom_invite", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert invite(client, theirs, username=student.username).status_code == 404
    assert invite(client, mine, withdraw=their_invitation.pk).status_code == 404
    assert Invitation.objects.get() == their_invitation
