"""Classes in the teacher admin: creating one, its roster, and who may be on it."""

from django.urls import reverse

from quizapp.accounts.models import User
from quizapp.classroom.models import Classroom
from tests.factories import PASSWORD, TeacherFactory

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
