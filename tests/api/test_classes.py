import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from quizapp.bank.grading import AnswerKey, correct_answer
from quizapp.classroom.models import Assignment, Classroom, Enrolment
from quizapp.classroom.services import classroom_create, classroom_join
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from quizapp.study.services import review_record
from tests.api.conftest import error_of, token_client
from tests.api.quiz_data import question_of_each_type
from tests.factories import DeckFactory, QuestionFactory, QuizFactory, TeacherFactory

CLASSES = "/api/v1/classes"


@pytest.fixture
def teacher(db):
    teacher = TeacherFactory(first_name="Anna", last_name="Petrosyan")
    return teacher


@pytest.fixture
def classroom(teacher, learner):
    classroom = classroom_create(name="9B history", teacher=teacher)
    classroom_join(user=learner, code=classroom.join_code)
    return classroom


@pytest.fixture
def teacher_api(teacher):
    return token_client(teacher)


def assign(classroom, *, quiz=None, deck=None, days=3):
    return Assignment.objects.create(
        classroom=classroom, quiz=quiz, deck=deck, due_at=timezone.now() + timedelta(days=days)
    )


# --------------------------------------------------------------------------- the list


def test_a_student_sees_their_classes_without_the_join_code(
    api, learner, teacher, classroom, django_assert_max_num_queries
):
    quiz = QuizFactory(owner=teacher, visibility="assigned", title="Kars treaty")
    deck = DeckFactory(slug="wars", title="Wars")
    quiz_due = assign(classroom, quiz=quiz, days=2)
    deck_due = assign(classroom, deck=deck, days=5)
    hidden = QuizFactory(owner=teacher, visibility="assigned", published=False)
    assign(classroom, quiz=hidden, days=1)
    second_teacher = TeacherFactory(username="zaven")
    classroom.teachers.add(second_teacher)
    classroom_create(name="Not mine", teacher=teacher)
    with django_assert_max_num_queries(12):
        response = api.get(CLASSES)
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 1
    assert page["results"] == [
        {
            "id": classroom.pk,
            "name": "9B history",
            "role": "student",
            "teachers": ["Anna Petrosyan", "zaven"],
            "assignments": [
                {
                    "kind": "quiz",
                    "quiz": quiz.pk,
                    "deck": None,
                    "title": "Kars treaty",
                    "due_at": quiz_due.due_at.isoformat().replace("+00:00", "Z"),
                },
                {
                    "kind": "deck",
                    "quiz": None,
                    "deck": "wars",
                    "title": "Wars",
                    "due_at": deck_due.due_at.isoformat().replace("+00:00", "Z"),
                },
            ],
            "joined_at": Enrolment.objects.get().joined_at.isoformat().replace("+00:00", "Z"),
            "join_code": None,
            "students": None,
        }
    ]
    assert classroom.join_code not in response.content.decode()


def test_a_teacher_sees_the_classes_they_teach_with_the_code(
    teacher_api, teacher, classroom, other_learner
):
    classroom_join(user=other_learner, code=classroom.join_code)
    hidden = QuizFactory(owner=teacher, visibility="assigned", published=False)
    assign(classroom, quiz=hidden)
    other = classroom_create(name="Another teacher's", teacher=TeacherFactory())
    data = teacher_api.get(CLASSES).json()
    assert [c["id"] for c in data["results"]] == [classroom.pk]
    mine = data["results"][0]
    assert mine["role"] == "teacher" and mine["join_code"] == classroom.join_code
    assert mine["students"] == 2 and mine["joined_at"] is None
    assert [a["quiz"] for a in mine["assignments"]] == [hidden.pk]
    assert other.pk not in [c["id"] for c in data["results"]]


def test_the_class_list_is_bounded_in_queries_whatever_the_number_of_classes(
    api, learner, teacher, django_assert_max_num_queries
):
    for n in range(6):
        classroom = classroom_create(name=f"Class {n}", teacher=teacher)
        classroom_join(user=learner, code=classroom.join_code)
        assign(classroom, quiz=QuizFactory(owner=teacher), days=n + 1)
    with django_assert_max_num_queries(12):
        response = api.get(f"{CLASSES}?limit=4")
    page = response.json()
    assert page["count"] == 6 and len(page["results"]) == 4


# --------------------------------------------------------------------------- join and leave


def test_joining_by_code_answers_with_the_class(api, learner, teacher):
    classroom = classroom_create(name="10A", teacher=teacher)
    typed = f" {classroom.join_code[:4].lower()}-{classroom.join_code[4:]} "
    response = api.post(f"{CLASSES}/join", {"code": typed})
    assert response.status_code == 201
    assert response.json()["id"] == classroom.pk and response.json()["role"] == "student"
    assert response.json()["join_code"] is None
    assert Enrolment.objects.filter(classroom=classroom, student=learner).exists()


def test_a_wrong_code_is_a_400_and_joining_twice_a_409(api, classroom):
    wrong = api.post(f"{CLASSES}/join", {"code": "NOPE2345"})
    assert wrong.status_code == 400 and error_of(wrong)["code"] == "invalid_code"
    twice = api.post(f"{CLASSES}/join", {"code": classroom.join_code})
    assert twice.status_code == 409 and error_of(twice)["code"] == "already_enrolled"
    assert Enrolment.objects.count() == 1


@pytest.mark.parametrize(
    "body", [{}, {"code": 12345678}, {"code": "A" * 33}, {"code": "X", "role": "teacher"}]
)
def test_a_malformed_join_is_a_400(api, learner, body):
    response = api.post(f"{CLASSES}/join", body)
    assert response.status_code == 400 and error_of(response)["code"] == "invalid"
    assert not Enrolment.objects.exists()


def test_leaving_a_class(api, learner, classroom):
    response = api.post(f"{CLASSES}/{classroom.pk}/leave")
    assert response.status_code == 204
    assert not Enrolment.objects.exists()
    again = api.post(f"{CLASSES}/{classroom.pk}/leave")
    assert again.status_code == 404 and error_of(again)["code"] == "not_found"


def test_a_class_the_learner_is_not_in_cannot_be_left(other_api, classroom, teacher_api):
    for client in (other_api, teacher_api):
        response = client.post(f"{CLASSES}/{classroom.pk}/leave")
        assert response.status_code == 404
    assert Enrolment.objects.count() == 1


# --------------------------------------------------------------------------- teachers' reports


@pytest.fixture
def graded_class(teacher, learner, classroom):
    """The learner took an assigned quiz (one right, one wrong, one not answered) and studied
    an assigned deck."""
    questions = question_of_each_type(owner=teacher)[:3]
    quiz = QuizFactory(owner=teacher, visibility="assigned", questions=questions)
    assignment = assign(classroom, quiz=quiz)
    deck = DeckFactory(slug="kars")
    studied = QuestionFactory(deck=deck)
    assign(classroom, deck=deck)
    attempt = attempt_start(user=learner, quiz=quiz)
    single, multiple, _ = attempt.questions.order_by("position")
    right = correct_answer(AnswerKey.from_json(single.answer_key))
    attempt_answer_save(attempt=attempt, question_id=single.question_id, answer=right)
    attempt_answer_save(attempt=attempt, question_id=multiple.question_id, answer=[])
    attempt_submit(attempt=attempt)
    review_record(
        user=learner,
        question=studied,
        rating=3,
        reviewed_at=timezone.now() - timedelta(days=1),
        review_id=uuid.uuid4(),
    )
    return quiz, assignment, deck


def test_a_teacher_reads_their_class_results(
    teacher_api, learner, classroom, graded_class, django_assert_max_num_queries
):
    quiz, assignment, deck = graded_class
    with django_assert_max_num_queries(16):
        response = teacher_api.get(f"{CLASSES}/{classroom.pk}/results")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == classroom.pk and data["name"] == "9B history"
    assert [a["quiz"] for a in data["assignments"]] == [quiz.pk]
    (student,) = data["students"]
    assert student["id"] == learner.pk and student["username"] == learner.username
    (cell,) = student["results"]
    assert cell["assignment"] == assignment.pk and cell["attempts"] == 1
    assert cell["on_time"] is True and cell["best_percentage"] is not None
    (memory,) = data["decks"]
    assert memory["deck"] == deck.slug and memory["students_studying"] == 1
    assert memory["students"][0]["student"] == learner.pk


def test_class_results_are_for_the_classes_teachers_only(
    api, other_api, classroom, graded_class, client_of
):
    outsider = client_of(TeacherFactory())
    for client in (api, other_api, outsider):
        response = client.get(f"{CLASSES}/{classroom.pk}/results")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_a_superuser_reads_any_class_results(classroom, client_of):
    from quizapp.accounts.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "pw-irrelevant-here")
    assert client_of(admin).get(f"{CLASSES}/{classroom.pk}/results").status_code == 200
    listed = client_of(admin).get(CLASSES).json()["results"]
    assert [(c["id"], c["role"]) for c in listed] == [(classroom.pk, "teacher")]


def test_the_quiz_owner_reads_its_item_analysis(
    teacher_api, graded_class, django_assert_max_num_queries
):
    quiz, _, _ = graded_class
    with django_assert_max_num_queries(12):
        response = teacher_api.get(f"/api/v1/quizzes/{quiz.pk}/item-analysis")
    assert response.status_code == 200
    data = response.json()
    assert data["quiz"] == quiz.pk and data["attempts"] == 1
    assert [item["responses"] for item in data["items"]] == [1, 1, 1]
    facilities = sorted(item["facility"] for item in data["items"])
    assert facilities == [0.0, 0.0, 1.0]
    single = next(item for item in data["items"] if item["slug"] == "single-choice")
    assert all(set(pick) == {"text", "picks"} for pick in single["wrong_choice_picks"])


def test_item_analysis_is_for_the_quizs_owner_only(api, graded_class, client_of, classroom):
    quiz, _, _ = graded_class
    another_teacher = TeacherFactory()
    Classroom.objects.get(pk=classroom.pk).teachers.add(another_teacher)
    for client in (api, client_of(another_teacher)):
        response = client.get(f"/api/v1/quizzes/{quiz.pk}/item-analysis")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_joining_and_leaving_cost_a_bounded_number_of_queries(
    api, learner, teacher, django_assert_max_num_queries
):
    classroom = classroom_create(name="10A", teacher=teacher)
    assign(classroom, quiz=QuizFactory(owner=teacher))
    with django_assert_max_num_queries(18):
        assert api.post(f"{CLASSES}/join", {"code": classroom.join_code}).status_code == 201
    with django_assert_max_num_queries(12):
        assert api.post(f"{CLASSES}/{classroom.pk}/leave").status_code == 204


def test_leaving_takes_no_body(api, learner, classroom):
    response = api.post(f"{CLASSES}/{classroom.pk}/leave", {"student": learner.pk})
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"student"}
    assert Enrolment.objects.filter(student=learner).exists()
