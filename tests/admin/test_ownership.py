"""Two teachers and a student in the admin: everyone sees only what they may."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from quizapp.bank.models import Question
from quizapp.classroom.models import Enrolment
from quizapp.quizzes.models import Quiz
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from tests.factories import ChoiceQuestionFactory, ClassroomFactory, QuizFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(teacher, other_teacher, student):
    mine = ChoiceQuestionFactory(owner=teacher, status="draft")
    theirs = ChoiceQuestionFactory(owner=other_teacher)
    shared = ChoiceQuestionFactory(owner=None)
    my_quiz = QuizFactory(owner=teacher, questions=[mine, shared])
    their_quiz = QuizFactory(owner=other_teacher, questions=[theirs])
    my_class = ClassroomFactory(teachers=[teacher])
    their_class = ClassroomFactory(teachers=[other_teacher])
    Enrolment.objects.create(classroom=my_class, student=student, joined_at=NOW)
    return {
        "mine": mine,
        "theirs": theirs,
        "shared": shared,
        "my_quiz": my_quiz,
        "their_quiz": their_quiz,
        "my_class": my_class,
        "their_class": their_class,
    }


def admin_urls(objects) -> dict[str, str]:
    return {
        "question change": reverse("admin:bank_question_change", args=[objects["theirs"].pk]),
        "question preview": reverse("admin:bank_question_preview", args=[objects["theirs"].pk]),
        "question regrade": reverse("admin:bank_question_regrade", args=[objects["theirs"].pk]),
        "question delete": reverse("admin:bank_question_delete", args=[objects["theirs"].pk]),
        "quiz change": reverse("admin:quizzes_quiz_change", args=[objects["their_quiz"].pk]),
        "quiz preview": reverse("admin:quizzes_quiz_preview", args=[objects["their_quiz"].pk]),
        "item analysis": reverse(
            "admin:quizzes_quiz_item_analysis", args=[objects["their_quiz"].pk]
        ),
        "item analysis csv": reverse(
            "admin:quizzes_quiz_item_analysis", args=[objects["their_quiz"].pk]
        )
        + "?format=csv",
        "class change": reverse(
            "admin:classroom_classroom_change", args=[objects["their_class"].pk]
        ),
        "class results": reverse(
            "admin:classroom_classroom_results", args=[objects["their_class"].pk]
        ),
        "class results csv": reverse(
            "admin:classroom_classroom_results", args=[objects["their_class"].pk]
        )
        + "?format=csv",
        "class memory": reverse(
            "admin:classroom_classroom_memory", args=[objects["their_class"].pk]
        ),
        "regenerate code": reverse(
            "admin:classroom_classroom_regenerate_code", args=[objects["their_class"].pk]
        ),
    }


def test_a_student_is_sent_to_the_login_page_everywhere(client, student, world):
    client.force_login(student)
    for name, url in {**admin_urls(world), "index": reverse("admin:index")}.items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/admin/login/"), name


def test_another_teachers_objects_are_404_in_every_view(client, teacher, world):
    client.force_login(teacher)
    for name, url in admin_urls(world).items():
        assert client.get(url).status_code == 404, name
    assert client.post(admin_urls(world)["regenerate code"]).status_code == 404
    assert client.post(admin_urls(world)["question regrade"]).status_code == 404


def test_changelists_show_own_and_shared_rows_only(client, teacher, world):
    client.force_login(teacher)
    questions = client.get(reverse("admin:bank_question_changelist"))
    shown = {q.pk for q in questions.context["cl"].result_list}
    assert shown == {world["mine"].pk, world["shared"].pk}
    quizzes = client.get(reverse("admin:quizzes_quiz_changelist")).context["cl"].result_list
    assert [q.pk for q in quizzes] == [world["my_quiz"].pk]
    classes = client.get(reverse("admin:classroom_classroom_changelist")).context["cl"]
    assert [c.pk for c in classes.result_list] == [world["my_class"].pk]


def test_shared_questions_are_read_only(client, teacher, world):
    client.force_login(teacher)
    url = reverse("admin:bank_question_change", args=[world["shared"].pk])
    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    before = Question.objects.get(pk=world["shared"].pk).prompt
    assert client.post(url, {"prompt": "hijacked"}).status_code == 403
    assert Question.objects.get(pk=world["shared"].pk).prompt == before


def test_actions_only_touch_own_rows(client, teacher, world):
    client.force_login(teacher)
    client.post(
        reverse("admin:bank_question_changelist"),
        {
            "action": "publish",
            "_selected_action": [world["mine"].pk, world["theirs"].pk, world["shared"].pk],
        },
    )
    assert Question.objects.get(pk=world["mine"].pk).status == "published"
    world["theirs"].refresh_from_db()
    assert world["theirs"].version == 1
    client.post(
        reverse("admin:quizzes_quiz_changelist"),
        {"action": "unpublish", "_selected_action": [world["their_quiz"].pk]},
    )
    assert Quiz.objects.get(pk=world["their_quiz"].pk).published


def test_own_report_pages_and_csv_exports_work(client, teacher, student, world):
    student.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
    student.save()
    attempt = attempt_start(user=student, quiz=world["my_quiz"], now=NOW)
    for aq in attempt.questions.all():
        choice = aq.answer_key["choices"][0][0]
        attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=choice, now=NOW)
    attempt_submit(attempt=attempt, now=NOW)
    from quizapp.classroom.services import assignment_create

    assignment_create(
        classroom=world["my_class"],
        quiz=world["my_quiz"],
        due_at=NOW + timedelta(days=1),
        by=teacher,
    )
    client.force_login(teacher)
    results = client.get(reverse("admin:classroom_classroom_results", args=[world["my_class"].pk]))
    assert results.status_code == 200
    assert student.username.encode() in results.content and b"100.0%" in results.content
    csv = client.get(
        reverse("admin:classroom_classroom_results", args=[world["my_class"].pk]) + "?format=csv"
    )
    assert csv["Content-Type"].startswith("text/csv")
    assert f"{student.username},100.0%,1,on time".encode() in csv.content
    analysis = client.get(
        reverse("admin:quizzes_quiz_item_analysis", args=[world["my_quiz"].pk]) + "?format=csv"
    )
    assert analysis.content.decode().splitlines()[0].startswith("Question,Type,Responses,Facility")
    memory = client.get(reverse("admin:classroom_classroom_memory", args=[world["my_class"].pk]))
    assert memory.status_code == 200
    home = client.get(reverse("admin:index"))
    assert home.status_code == 200
    assert world["my_class"].name.encode() in home.content
    assert world["their_class"].name.encode() not in home.content


def test_a_new_quiz_belongs_to_the_teacher_who_made_it(client, teacher, other_teacher):
    client.force_login(teacher)
    response = client.post(
        reverse("admin:quizzes_quiz_add"),
        {
            "title": "Mine",
            "description": "",
            "visibility": "assigned",
            "draw_count": 0,
            "attempts_allowed": 1,
            "feedback_mode": "after_submit",
            "pass_mark": "50",
            "items-TOTAL_FORMS": 0,
            "items-INITIAL_FORMS": 0,
            "owner": other_teacher.pk,
        },
    )
    assert response.status_code == 302, response.content
    assert Quiz.objects.get(title="Mine").owner == teacher


def test_regenerating_a_join_code_from_the_admin(client, teacher, world):
    client.force_login(teacher)
    old = world["my_class"].join_code
    url = reverse("admin:classroom_classroom_regenerate_code", args=[world["my_class"].pk])
    assert client.get(url).status_code == 200
    client.post(url)
    world["my_class"].refresh_from_db()
    assert world["my_class"].join_code != old


def test_class_results_show_a_page_of_students_and_the_csv_all_of_them(
    client, teacher, world, monkeypatch, django_assert_max_num_queries
):
    from quizapp.classroom import admin as classroom_admin
    from tests.factories import StudentFactory

    monkeypatch.setattr(classroom_admin, "RESULTS_PER_PAGE", 2)
    for _ in range(4):
        Enrolment.objects.create(
            classroom=world["my_class"], student=StudentFactory(), joined_at=NOW
        )
    client.force_login(teacher)
    url = reverse("admin:classroom_classroom_results", args=[world["my_class"].pk])
    everyone = [
        line.split(",")[0]
        for line in client.get(url + "?format=csv").content.decode().splitlines()[1:]
    ]
    assert len(everyone) == 5

    def shown(query):
        with django_assert_max_num_queries(12):
            page = client.get(url + query).content.decode()
        return [name for name in everyone if f"<td>{name}</td>" in page], page

    assert shown("")[0] == everyone[:2]
    second, html = shown("?page=2")
    assert second == everyone[2:4]
    assert "Rows 3–4 of 5" in html and 'aria-current="page">2<' in html
    assert shown("?page=3")[0] == everyone[4:]
    assert shown("?page=99")[0] == everyone[4:]  # past the end: the last page
    assert shown("?page=first")[0] == everyone[:2]  # not a number: the first


def test_filters_and_pickers_never_list_another_teachers_decks_or_quizzes(
    client, teacher, other_teacher, world
):
    from tests.factories import DeckFactory

    their_deck = DeckFactory(owner=other_teacher, title="Their private deck")
    DeckFactory(owner=None, title="The shared deck")
    world["theirs"].decks.add(their_deck)
    client.force_login(teacher)
    pages = {
        "question list": reverse("admin:bank_question_changelist"),
        "attempt list": reverse("admin:quizzes_attempt_changelist"),
        "quiz builder": reverse("admin:quizzes_quiz_add"),
        "class editor": reverse("admin:classroom_classroom_change", args=[world["my_class"].pk]),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert "Their private deck" not in html, name
        assert world["their_quiz"].title not in html, name
    builder = client.get(pages["quiz builder"]).content.decode()
    assert "The shared deck" in builder  # shared decks stay available to draw from
