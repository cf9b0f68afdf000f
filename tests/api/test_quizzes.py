from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from quizapp.quizzes.models import Attempt, AttemptQuestion, Response
from quizapp.quizzes.selectors import attempt_view
from quizapp.quizzes.services import DEADLINE_GRACE, attempt_start, attempt_submit
from tests.api.conftest import error_of
from tests.api.quiz_data import (
    assigned_quiz,
    question_of_each_type,
    right_answer,
    wrong_answer,
)
from tests.factories import ChoiceQuestionFactory, QuestionFactory, QuizFactory, TeacherFactory

QUIZZES = "/api/v1/quizzes"


def attempts_url(quiz) -> str:
    return f"{QUIZZES}/{quiz.pk}/attempts"


def answer_url(attempt_id: int, question_id: int) -> str:
    return f"/api/v1/attempts/{attempt_id}/answers/{question_id}"


@pytest.fixture
def teacher(db):
    return TeacherFactory()


@pytest.fixture
def every_type(db, teacher):
    return question_of_each_type(owner=teacher)


@pytest.fixture
def quiz(every_type, teacher):
    """A public quiz of seven questions, one of each type, results after submission."""
    return QuizFactory(owner=teacher, questions=every_type, feedback_mode="after_submit")


def started(api, quiz) -> dict:
    response = api.post(attempts_url(quiz))
    assert response.status_code in (200, 201), response.content
    return response.json()


# --------------------------------------------------------------------------- quizzes


def test_the_quiz_list_shows_what_is_open_to_the_learner_with_their_attempts(
    api, learner, other_learner, teacher, every_type, django_assert_max_num_queries
):
    now = timezone.now()
    public = QuizFactory(owner=teacher, questions=every_type[:2], attempts_allowed=3)
    mine = assigned_quiz(
        teacher=teacher,
        learner=learner,
        questions=every_type[:3],
        due_at=now + timedelta(days=2),
        time_limit=timedelta(minutes=15),
        closes_at=now + timedelta(days=3),
    )
    assigned_quiz(teacher=teacher, learner=other_learner, questions=every_type, due_at=now)
    QuizFactory(questions=every_type, published=False)
    QuizFactory(questions=every_type, closes_at=now - timedelta(minutes=1))
    QuizFactory(questions=every_type, opens_at=now + timedelta(hours=1))
    QuizFactory(questions=every_type, draw_count=4, draw_deck=None)
    attempt_submit(attempt=attempt_start(user=learner, quiz=public))
    in_progress = attempt_start(user=learner, quiz=public)

    with django_assert_max_num_queries(10):  # 8 of them sign-in and throttle
        response = api.get(QUIZZES)
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3 and page["next"] is None
    by_id = {quiz["id"]: quiz for quiz in page["results"]}
    assert set(by_id) >= {public.pk, mine.pk}
    assert by_id[public.pk] == {
        "id": public.pk,
        "title": public.title,
        "description": "",
        "feedback_mode": "after_submit",
        "questions": 2,
        "time_limit_seconds": None,
        "opens_at": None,
        "closes_at": None,
        "pass_mark": 50.0,
        "attempts_allowed": 3,
        "attempts_used": 2,
        "attempt_in_progress": in_progress.pk,
    }
    assert by_id[mine.pk]["time_limit_seconds"] == 900
    assert by_id[mine.pk]["attempts_allowed"] is None  # unlimited
    assert by_id[mine.pk]["attempts_used"] == 0 and by_id[mine.pk]["attempt_in_progress"] is None
    drawn = next(q for q in page["results"] if q["id"] not in (public.pk, mine.pk))
    assert drawn["questions"] == 4


def test_the_quiz_list_is_paginated(api, every_type):
    for _ in range(3):
        QuizFactory(questions=every_type[:1])
    page = api.get(f"{QUIZZES}?limit=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and "offset=2" in page["next"]
    response = api.get(f"{QUIZZES}?limit=0")
    assert response.status_code == 400 and error_of(response)["code"] == "invalid"


def test_a_quiz_shows_whether_it_is_open_and_the_learners_attempts(
    api, learner, quiz, django_assert_max_num_queries
):
    first = attempt_submit(attempt=attempt_start(user=learner, quiz=quiz))
    with django_assert_max_num_queries(10):
        response = api.get(f"{QUIZZES}/{quiz.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["open"] is True and data["attempts_used"] == 1
    assert data["attempts"] == [
        {
            "id": first.pk,
            "number": 1,
            "status": "submitted",
            "started_at": first.started_at.isoformat().replace("+00:00", "Z"),
            "submitted_at": first.submitted_at.isoformat().replace("+00:00", "Z"),
        }
    ]


def test_a_closed_quiz_still_shows_to_whoever_may_take_it(api, quiz):
    quiz.closes_at = timezone.now() - timedelta(days=1)
    quiz.save()
    assert api.get(QUIZZES).json()["count"] == 0
    data = api.get(f"{QUIZZES}/{quiz.pk}").json()
    assert data["open"] is False


def test_a_quiz_the_learner_may_not_take_is_404(api, other_learner, teacher, every_type):
    theirs = assigned_quiz(
        teacher=teacher, learner=other_learner, questions=every_type, due_at=timezone.now()
    )
    draft = QuizFactory(questions=every_type, published=False)
    for quiz_id in (theirs.pk, draft.pk, 10**6, 2**63):
        for response in (
            api.get(f"{QUIZZES}/{quiz_id}"),
            api.post(f"{QUIZZES}/{quiz_id}/attempts"),
        ):
            assert response.status_code == 404, (quiz_id, response.content)
            assert error_of(response)["code"] == "not_found"
    assert not Attempt.objects.exists()


def test_quizzes_need_a_signed_in_learner(anonymous, quiz):
    for response in (anonymous.get(QUIZZES), anonymous.post(attempts_url(quiz))):
        assert response.status_code == 401
        assert error_of(response)["code"] == "not_authenticated"


# --------------------------------------------------------------------------- attempts


def test_starting_an_attempt_shows_the_questions_and_nothing_of_the_answers(
    api, learner, quiz, every_type, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        response = api.post(attempts_url(quiz))
    assert response.status_code == 201
    data = response.json()
    attempt = Attempt.objects.get(user=learner)
    assert data["id"] == attempt.pk and data["quiz"] == quiz.pk and data["number"] == 1
    assert data["status"] == "in_progress" and data["results_visible"] is False
    assert data["score"] is data["percentage"] is data["passed"] is None
    assert data["max_score"] == 7.0
    view = attempt_view(attempt=attempt)
    assert [q["id"] for q in data["questions"]] == [q.question_id for q in view.questions]
    for shown, question in zip(data["questions"], view.questions, strict=True):
        assert shown["result"] is None and shown["answer"] is None and not shown["answered"]
        assert shown["type"] == question.type and shown["prompt"] == question.prompt
        for name in ("choices", "items", "lefts", "rights"):
            options = getattr(question, name)
            # In the attempt's display order, numbered 1, 2, 3…: never the bank's ids.
            assert shown[name] == [
                {"id": n, "text": o.text} for n, o in enumerate(options, start=1)
            ]
    numeric = next(q for q in data["questions"] if q["type"] == "numeric")
    assert numeric["unit"] == "km"


def test_starting_again_returns_the_attempt_in_progress(api, learner, quiz):
    first = api.post(attempts_url(quiz))
    again = api.post(attempts_url(quiz))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["questions"] == first.json()["questions"]
    assert Attempt.objects.filter(user=learner).count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"closes_at": timedelta(minutes=-1)}, "closed"),
        ({"opens_at": timedelta(hours=1)}, "not_open"),
        ({"attempts_allowed": 1}, "no_attempts_left"),
    ],
)
def test_a_refused_start_says_why_with_409(api, learner, quiz, change, code):
    if code == "no_attempts_left":
        attempt_submit(attempt=attempt_start(user=learner, quiz=quiz))
    for name, value in change.items():
        setattr(quiz, name, timezone.now() + value if isinstance(value, timedelta) else value)
    quiz.save()
    before = Attempt.objects.count()
    response = api.post(attempts_url(quiz))
    assert response.status_code == 409
    assert error_of(response)["code"] == code
    assert Attempt.objects.count() == before


def test_a_quiz_without_questions_cannot_be_started(api, teacher):
    empty = QuizFactory(owner=teacher)
    response = api.post(attempts_url(empty))
    assert response.status_code == 409 and error_of(response)["code"] == "empty"


def test_an_attempt_is_its_learners_alone(api, other_api, learner, quiz):
    attempt = started(api, quiz)
    question = attempt["questions"][0]["id"]
    for response in (
        other_api.get(f"/api/v1/attempts/{attempt['id']}"),
        other_api.put(answer_url(attempt["id"], question), {"answer": 1}),
        other_api.post(f"/api/v1/attempts/{attempt['id']}/submit"),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert not Response.objects.exists()
    assert Attempt.objects.get().status == "in_progress"


def test_an_attempt_is_shown_with_a_bounded_number_of_queries(
    api, quiz, django_assert_max_num_queries
):
    attempt = started(api, quiz)
    with django_assert_max_num_queries(10):
        response = api.get(f"/api/v1/attempts/{attempt['id']}")
    assert response.status_code == 200
    assert response.json() == {**attempt, "seconds_left": None}


def test_an_attempt_whose_time_ran_out_is_submitted_when_opened(api, learner, quiz):
    quiz.time_limit = timedelta(minutes=10)
    quiz.save()
    with time_machine.travel(timezone.now(), tick=False):  # however slow the request
        attempt = started(api, quiz)
    assert attempt["seconds_left"] == 600
    question = attempt["questions"][0]
    api.put(answer_url(attempt["id"], question["id"]), {"answer": right_answer(question)})
    later = timezone.now() + timedelta(minutes=10) + DEADLINE_GRACE + timedelta(seconds=1)
    with time_machine.travel(later):
        late = api.put(
            answer_url(attempt["id"], attempt["questions"][1]["id"]),
            {"answer": right_answer(attempt["questions"][1])},
        )
        shown = api.get(f"/api/v1/attempts/{attempt['id']}").json()
    assert late.status_code == 409 and error_of(late)["code"] == "submitted"
    assert shown["status"] == "submitted" and shown["auto_submitted"] is True
    assert shown["results_visible"] is True and shown["score"] == 1.0
    assert Response.objects.count() == 1


# --------------------------------------------------------------------------- answers


def test_every_question_type_answered_right_scores_full_marks(api, learner, quiz):
    attempt = started(api, quiz)
    for question in attempt["questions"]:
        response = api.put(
            answer_url(attempt["id"], question["id"]), {"answer": right_answer(question)}
        )
        assert response.status_code == 200, (question["type"], response.content)
        saved = response.json()
        assert saved["answered"] is True and saved["result"] is None  # after_submit
        assert saved["answer"] == right_answer(question)
    submitted = api.post(f"/api/v1/attempts/{attempt['id']}/submit").json()
    assert submitted["score"] == 7.0 and submitted["percentage"] == 100.0
    assert submitted["passed"] is True
    for question in submitted["questions"]:
        result = question["result"]
        assert result["correct"] is True and result["score"] == 1.0, question["type"]
        expected = right_answer(question)
        if question["type"] == "numeric":
            assert result["correct_answer"] == "4711.25" and expected == 4711.25
        else:
            assert result["correct_answer"] == expected
        assert result["explanation"].startswith("Secret explanation")
    assert all(r.correct for r in Response.objects.all())


def test_wrong_answers_are_graded_wrong(api, quiz):
    attempt = started(api, quiz)
    for question in attempt["questions"]:
        response = api.put(
            answer_url(attempt["id"], question["id"]), {"answer": wrong_answer(question)}
        )
        assert response.status_code == 200, (question["type"], response.content)
    submitted = api.post(f"/api/v1/attempts/{attempt['id']}/submit").json()
    assert all(q["result"]["correct"] is False for q in submitted["questions"])
    assert submitted["passed"] is False


def test_the_last_answer_saved_counts(api, quiz):
    attempt = started(api, quiz)
    question = next(q for q in attempt["questions"] if q["type"] == "true_false")
    url = answer_url(attempt["id"], question["id"])
    api.put(url, {"answer": True})
    assert api.put(url, {"answer": False}).json()["answer"] is False
    assert Response.objects.get().answer is False


def test_in_immediate_mode_an_answer_comes_back_with_its_result_and_is_final(api, quiz):
    quiz.feedback_mode = "immediate"
    quiz.save()
    attempt = started(api, quiz)
    question, other = attempt["questions"][:2]
    url = answer_url(attempt["id"], question["id"])
    saved = api.put(url, {"answer": wrong_answer(question)}).json()
    assert saved["result"]["correct"] is False
    assert saved["result"]["correct_answer"] == right_answer(question)
    assert saved["result"]["explanation"]
    again = api.put(url, {"answer": right_answer(question)})
    assert again.status_code == 409 and error_of(again)["code"] == "already_answered"
    shown = api.get(f"/api/v1/attempts/{attempt['id']}").json()
    by_id = {q["id"]: q for q in shown["questions"]}
    assert by_id[question["id"]]["result"] == saved["result"]
    assert by_id[other["id"]]["result"] is None and shown["score"] is None


@pytest.mark.parametrize(
    ("kind", "answer", "message"),
    [
        ("single_choice", "1", "Give the id of the choice picked"),
        ("single_choice", 9, "There is no choice 9"),
        ("single_choice", True, "Give the id of the choice picked"),
        ("multiple_choice", [1, 1], "listed twice"),
        ("multiple_choice", 1, "Give a list"),
        ("true_false", "true", "Answer true or false"),
        ("short_text", 42, "Give the answer as text"),
        ("short_text", "x" * 501, "too long"),
        ("short_text", "", "The answer is empty"),
        ("short_text", " \t\n ", "The answer is empty"),
        ("numeric", "four", "is not a number"),
        ("numeric", 10**20, "too large"),
        ("numeric", [1], "Give a number"),
        ("ordering", [1, 2, 3], "item 4 is missing"),
        ("ordering", [1, 2, 3, 4, 5], "There is no item 5"),
        ("matching", {"1": 1, "2": 2}, "No match given for left 3"),
        ("matching", {"01": 1, "2": 2, "3": 3}, "is not a left id"),
        ("matching", {"1": "2", "2": 1, "3": 3}, "must be a right id"),
        ("matching", [1, 2, 3], "Map each left id"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_400_and_saves_nothing(api, quiz, kind, answer, message):
    attempt = started(api, quiz)
    question = next(q for q in attempt["questions"] if q["type"] == kind)
    response = api.put(answer_url(attempt["id"], question["id"]), {"answer": answer})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "malformed_answer"
    assert message in error["message"]
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"answer": None}, {"answer": True, "correct": True}, {"answer": True, "score": 1}, []],
)
def test_the_answer_body_is_exactly_one_answer(api, quiz, body):
    attempt = started(api, quiz)
    question = next(q for q in attempt["questions"] if q["type"] == "true_false")
    response = api.put(answer_url(attempt["id"], question["id"]), body, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"
    assert not Response.objects.exists()


def test_a_question_outside_the_attempt_is_404(api, quiz):
    attempt = started(api, quiz)
    elsewhere = ChoiceQuestionFactory()
    for question_id in (elsewhere.pk, 10**9):
        response = api.put(answer_url(attempt["id"], question_id), {"answer": 1})
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_a_submitted_attempt_takes_no_more_answers(api, quiz):
    attempt = started(api, quiz)
    question = attempt["questions"][0]
    api.post(f"/api/v1/attempts/{attempt['id']}/submit")
    response = api.put(answer_url(attempt["id"], question["id"]), {"answer": 1})
    assert response.status_code == 409 and error_of(response)["code"] == "submitted"
    assert not Response.objects.exists()


def test_saving_an_answer_costs_a_bounded_number_of_queries(
    api, quiz, django_assert_max_num_queries
):
    attempt = started(api, quiz)
    question = attempt["questions"][0]
    body = {"answer": right_answer(question)}
    with django_assert_max_num_queries(17):
        response = api.put(answer_url(attempt["id"], question["id"]), body)
    assert response.status_code == 200


# --------------------------------------------------------------------------- submitting


def test_submitting_is_idempotent_and_shows_results_as_the_mode_allows(
    api, learner, quiz, django_assert_max_num_queries
):
    attempt = started(api, quiz)
    url = f"/api/v1/attempts/{attempt['id']}/submit"
    with django_assert_max_num_queries(40):
        first = api.post(url)
    assert first.status_code == 200
    data = first.json()
    assert data["status"] == "submitted" and data["results_visible"] is True
    assert data["score"] == 0.0 and data["passed"] is False
    assert all(q["result"]["feedback"] == "Not answered." for q in data["questions"])
    again = api.post(url)
    assert again.status_code == 200 and again.json()["submitted_at"] == data["submitted_at"]


def test_after_close_results_wait_for_the_quiz_to_close(api, learner, quiz):
    closes = timezone.now() + timedelta(hours=2)
    quiz.feedback_mode = "after_close"
    quiz.closes_at = closes
    quiz.save()
    attempt = started(api, quiz)
    for question in attempt["questions"]:
        api.put(answer_url(attempt["id"], question["id"]), {"answer": right_answer(question)})
    data = api.post(f"/api/v1/attempts/{attempt['id']}/submit").json()
    assert data["status"] == "submitted" and data["results_visible"] is False
    assert data["score"] is None and all(q["result"] is None for q in data["questions"])
    with time_machine.travel(closes + timedelta(seconds=1)):
        after = api.get(f"/api/v1/attempts/{attempt['id']}").json()
    assert after["results_visible"] is True and after["score"] == 7.0


@pytest.mark.parametrize("path", ["submit", ""])
def test_fields_a_client_may_not_set_are_refused(api, learner, other_learner, quiz, path):
    """Mass assignment: nobody sets a score, a status, an owner or whose attempt it is."""
    attempt = started(api, quiz)
    body = {"score": 100, "status": "submitted", "user": other_learner.pk, "passed": True}
    url = f"/api/v1/attempts/{attempt['id']}/submit" if path else attempts_url(quiz)
    response = api.post(url, body)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(body)
    stored = Attempt.objects.get()
    assert stored.user == learner and stored.status == "in_progress" and stored.score is None


def test_an_unpublished_question_in_a_running_attempt_still_grades(api, quiz, every_type):
    """The attempt froze what it showed; the bank may change under it."""
    attempt = started(api, quiz)
    single = every_type[0]
    single.status = "retired"
    single.save()
    shown = next(q for q in attempt["questions"] if q["id"] == single.pk)
    response = api.put(answer_url(attempt["id"], single.pk), {"answer": right_answer(shown)})
    assert response.status_code == 200
    assert AttemptQuestion.objects.get(question=single).response.correct is True


def test_a_quiz_of_deck_questions_drawn_at_random_can_be_taken(api, deck, teacher):
    for _ in range(3):
        QuestionFactory(deck=deck)
    drawn = QuizFactory(owner=teacher, draw_count=2, draw_deck=deck)
    attempt = started(api, drawn)
    assert len(attempt["questions"]) == 2
