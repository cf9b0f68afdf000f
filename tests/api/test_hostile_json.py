"""JSON that parses in Python but is no text a client could mean: lone UTF-16 surrogates and
NUL characters are refused when the body is parsed (400 `parse_error` naming where), so they
never reach a serializer, an error message that echoes them, or the database."""

import pytest

from quizapp.quizzes.models import Response
from tests.api.conftest import error_of
from tests.api.quiz_data import question_of_each_type
from tests.factories import QuizFactory, TeacherFactory

REVIEWS = "/api/v1/reviews"


def post_json(client, url, text, method="post"):
    return getattr(client, method)(url, text, content_type="application/json")


@pytest.fixture
def short_text_attempt(api, db):
    """The learner's attempt at a quiz of one short-text question: (attempt id, question id)."""
    questions = question_of_each_type(owner=TeacherFactory())
    short = next(q for q in questions if q.type == "short_text")
    quiz = QuizFactory(questions=[short], feedback_mode="after_submit")
    attempt = api.post(f"/api/v1/quizzes/{quiz.pk}/attempts").json()
    return attempt["id"], short.pk


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"\\ud800": 1}', "a name"),
        ('{"reviews": [{"id": "\\ud800"}]}', "reviews.0.id"),
        ('{"reviews": [{"question": "a\\udc00b"}]}', "reviews.0.question"),
        ('{"reviews": [{"question": "\\ude00\\ud83d"}]}', "reviews.0.question"),  # pair reversed
        ('{"reviews": [{"x\\ud800": 1}]}', "reviews.0"),
    ],
)
def test_a_lone_surrogate_anywhere_in_the_body_is_a_parse_error_naming_where(api, text, where):
    response = post_json(api, REVIEWS, text)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert "surrogate" in error["message"] and where in error["message"]


@pytest.mark.parametrize(
    "text", ['{"a\\u0000": 1}', '{"reviews": [{"question": "x\\u0000y"}]}', '"\\u0000"']
)
def test_a_nul_character_anywhere_in_the_body_is_a_parse_error(api, text):
    response = post_json(api, REVIEWS, text)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert "NUL" in error["message"]


@pytest.mark.parametrize("text", ['"\\ud800"', '"Zvart\\u0000nots"'])
def test_a_short_text_answer_that_is_no_text_is_refused_and_the_attempt_stays_readable(
    api, short_text_attempt, text
):
    attempt, question = short_text_attempt
    url = f"/api/v1/attempts/{attempt}/answers/{question}"
    response = post_json(api, url, f'{{"answer": {text}}}', method="put")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"
    assert not Response.objects.exists()
    shown = api.get(f"/api/v1/attempts/{attempt}")
    assert shown.status_code == 200
    assert shown.json()["questions"][0]["answer"] is None
    submitted = api.post(f"/api/v1/attempts/{attempt}/submit")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"


def test_a_surrogate_pair_is_text_like_any_other(api, short_text_attempt):
    attempt, question = short_text_attempt
    url = f"/api/v1/attempts/{attempt}/answers/{question}"
    response = post_json(api, url, '{"answer": "Zvartnots \\ud83d\\ude00"}', method="put")
    assert response.status_code == 200
    assert response.json()["answer"] == "Zvartnots \U0001f600"
    assert api.get(f"/api/v1/attempts/{attempt}").json()["questions"][0]["answer"] == (
        "Zvartnots \U0001f600"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"reviews": [{"rating": 1e400}]}', "out of range"),
        ('{"reviews": [{"rating": -1e400}]}', "out of range"),
        ('{"reviews": [{"rating": 1' + "0" * 5000 + "}]}", "too many digits"),
    ],
)
def test_numbers_no_client_could_mean_are_a_parse_error_saying_why(api, text, problem):
    response = post_json(api, REVIEWS, text)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert problem in error["message"] and "sys." not in error["message"]
