from quizapp.accounts.models import TEACHERS_GROUP, Role


def test_new_user_is_a_student_and_not_staff(student):
    assert student.role == Role.STUDENT
    assert not student.is_staff
    assert not student.is_teacher


def test_teacher_is_staff_in_the_teachers_group(teacher):
    assert teacher.role == Role.TEACHER
    assert teacher.is_staff
    assert teacher.groups.filter(name=TEACHERS_GROUP).exists()


def test_teachers_group_has_question_bank_permissions(teacher):
    assert teacher.has_perm("bank.add_question")
    assert teacher.has_perm("bank.change_question")
    assert teacher.has_perm("bank.view_source")
    assert not teacher.has_perm("bank.delete_source")
    assert not teacher.has_perm("accounts.change_user")


def test_student_is_sent_to_the_login_page_from_the_admin(client, student):
    client.force_login(student)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_teacher_can_open_the_admin(client, teacher):
    client.force_login(teacher)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"Teacher home" in response.content
    assert b"Your classes" in response.content


def test_demo_fixture_loads_idempotently_with_roles(db):
    from django.core.management import call_command

    from quizapp.accounts.models import User

    call_command("seed_demo", verbosity=0)
    first = {u.username: (u.role, u.password) for u in User.objects.all()}
    call_command("seed_demo", verbosity=0)
    second = {u.username: (u.role, u.password) for u in User.objects.all()}
    assert first == second
    assert first["teacher"][0] == Role.TEACHER
    assert first["ani"][0] == Role.STUDENT
    assert first["admin"][0] == Role.ADMIN


def test_demo_class_has_the_documented_join_code_and_an_assigned_quiz(db):
    from django.core.management import call_command

    from quizapp.classroom.models import Assignment, Classroom

    call_command("seed_content", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    classroom = Classroom.objects.get()
    assert classroom.join_code == "KARABAKH"
    assert [s.username for s in classroom.students.all()] == ["ani"]
    assignment = Assignment.objects.get(classroom=classroom)
    assert assignment.quiz.items.count() == 10
    assert assignment.quiz.owner.username == "teacher"


def test_demo_accounts_are_refused_in_production(db, settings):
    import pytest
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="never loaded"):
        call_command("seed_demo", verbosity=0)
