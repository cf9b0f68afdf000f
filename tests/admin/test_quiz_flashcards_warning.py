"""The quiz builder warns a teacher when a quiz's questions are also flashcards in decks, whose
backs show their answers: which decks, and how many."""

import pytest
from django.urls import reverse

from quizapp.bank.models import DeckQuestion
from tests.factories import DeckFactory, QuestionFactory, QuizFactory


def warnings_on(client, quiz) -> list[str]:
    response = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk]))
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"] if m.level_tag == "warning"]


@pytest.fixture
def decks(db):
    return DeckFactory(title="Capitals"), DeckFactory(title="Wars")


def test_the_builder_names_the_decks_holding_the_quizs_questions(
    client, teacher, decks, django_assert_max_num_queries
):
    capitals, wars = decks
    both = QuestionFactory(deck=capitals)
    DeckQuestion.objects.create(deck=wars, question=both, position=1)
    only_capitals = QuestionFactory(deck=capitals)
    quiz_only = QuestionFactory()
    quiz = QuizFactory(owner=teacher, questions=[both, only_capitals, quiz_only])
    client.force_login(teacher)
    client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk]))  # sessions, permissions
    with django_assert_max_num_queries(40):
        (warning,) = warnings_on(client, quiz)
    assert warning.startswith(
        "2 of this quiz's 3 questions are also flashcards in decks (Capitals: 2, Wars: 1)"
    )
    assert "withheld" in warning


def test_a_quiz_of_its_own_questions_gets_no_warning(client, teacher, decks):
    QuestionFactory(deck=decks[0])
    quiz = QuizFactory(owner=teacher, questions=[QuestionFactory(), QuestionFactory()])
    client.force_login(teacher)
    assert warnings_on(client, quiz) == []


def test_a_quiz_drawing_from_a_deck_is_warned_about_its_whole_pool(client, teacher, decks):
    capitals, _ = decks
    for _ in range(4):
        QuestionFactory(deck=capitals)
    QuestionFactory(deck=capitals, status="draft")  # never drawn
    quiz = QuizFactory(owner=teacher, draw_count=2, draw_deck=capitals)
    client.force_login(teacher)
    (warning,) = warnings_on(client, quiz)
    assert warning.startswith(
        "4 of the 4 questions this quiz draws from are also flashcards in decks (Capitals: 4)"
    )
