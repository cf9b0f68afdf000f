from datetime import UTC, datetime

import pytest

from tests.factories import ChoiceQuestionFactory, QuestionFactory, QuizFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def learner(student):
    student.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
    student.save(update_fields=["date_joined"])
    return student


@pytest.fixture
def quiz(db):
    """Three questions: single choice (A right), true/false (true), single choice."""
    return QuizFactory(
        questions=[ChoiceQuestionFactory(), QuestionFactory(), ChoiceQuestionFactory()]
    )


def right_answer(attempt_question):
    from quizapp.bank import grading

    return grading.correct_answer(grading.AnswerKey.from_json(attempt_question.answer_key))
