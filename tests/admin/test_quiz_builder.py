"""The quiz builder and item analysis name questions by their text and type, not their slug."""

from datetime import UTC, datetime

from django.urls import reverse

from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from tests.factories import ChoiceQuestionFactory, QuestionFactory, QuizFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_the_question_picker_searches_and_shows_question_text_and_type(client, teacher):
    ChoiceQuestionFactory(
        owner=teacher, slug="capital-am", prompt="What is the capital of Armenia?"
    )
    QuestionFactory(owner=None, slug="war-1994", prompt="The first war ended in 1994.")
    client.force_login(teacher)
    found = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "quizzes",
            "model_name": "quizitem",
            "field_name": "question",
            "term": "capital",
        },
    ).json()["results"]
    assert [r["text"] for r in found] == [
        "What is the capital of Armenia? (Single choice · capital-am)"
    ]


def test_a_quiz_shows_its_questions_by_text_and_type(client, teacher):
    question = QuestionFactory(
        owner=teacher, slug="war-1994", prompt="The first war ended in 1994."
    )
    quiz = QuizFactory(owner=teacher, questions=[question])
    client.force_login(teacher)
    html = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk])).content.decode()
    assert (
        f'<option value="{question.pk}" selected>The first war ended in 1994. '
        "(True/false · war-1994)</option>" in html
    )


def test_item_analysis_names_each_question_by_its_text_linked_to_it(
    client, teacher, student, django_assert_max_num_queries
):
    student.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
    student.save()
    questions = [
        ChoiceQuestionFactory(owner=teacher, slug="capital-am", prompt="Capital of Armenia?"),
        QuestionFactory(owner=teacher, slug="war-1994", prompt="The first war ended in 1994."),
    ]
    quiz = QuizFactory(owner=teacher, questions=questions)
    attempt = attempt_start(user=student, quiz=quiz, now=NOW)
    attempt_answer_save(attempt=attempt, question_id=questions[1].pk, answer=True, now=NOW)
    attempt_submit(attempt=attempt, now=NOW)
    client.force_login(teacher)
    url = reverse("admin:quizzes_quiz_item_analysis", args=[quiz.pk])
    with django_assert_max_num_queries(10):
        html = client.get(url).content.decode()
    for question, kind in zip(questions, ("Single choice", "True/false"), strict=True):
        link = reverse("admin:bank_question_change", args=[question.pk])
        assert f'<td><a href="{link}">{question.prompt}</a></td><td>{kind}</td>' in html
    assert "<td>capital-am</td>" not in html
    rows = client.get(url + "?format=csv").content.decode().splitlines()
    assert rows[0].startswith("Question,Type,Responses,Facility")
    assert rows[1].startswith("Capital of Armenia?,Single choice,1,")
