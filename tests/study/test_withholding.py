"""A quiz's questions that are also flashcards leave a learner's study while the quiz keeps its
answers secret from them: during an open attempt, and for `after_close` quizzes until they
close. They come back, with the learner's progress, once the quiz shows its answers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizapp.bank.models import DeckQuestion, Question
from quizapp.quizzes.selectors import DEADLINE_GRACE
from quizapp.quizzes.services import attempt_start, attempt_submit
from quizapp.study.selectors import deck_counts, study_queue
from quizapp.study.sync import reviewable_questions, studyable_questions
from tests.factories import DeckFactory, QuestionFactory, QuizFactory, StudentFactory
from tests.study.conftest import START
from tests.study.test_queue import make_collection, review


@pytest.fixture
def now(time_machine):
    time_machine.move_to(START, tick=False)
    return START


def queued(user, **kwargs) -> set[int]:
    return {entry.question.pk for entry in study_queue(user=user, limit=100, **kwargs)}


def test_new_cards_of_an_open_attempt_leave_the_queue_until_it_is_submitted(
    learner, deck, questions, now
):
    quiz = QuizFactory(questions=questions[:2], feedback_mode="after_submit")
    assert queued(learner) == {q.pk for q in questions}

    attempt = attempt_start(user=learner, quiz=quiz, now=now)
    assert queued(learner) == {q.pk for q in questions[2:]}
    assert queued(learner, deck=deck) == {q.pk for q in questions[2:]}
    (counts,) = deck_counts(user=learner, now=now)
    assert (counts.new, counts.total) == (3, 5)

    attempt_submit(attempt=attempt, now=now)
    assert queued(learner) == {q.pk for q in questions}


def test_due_cards_of_an_open_attempt_leave_the_queue_and_keep_their_progress(
    learner, deck, questions, now
):
    review(learner, questions[0], 1, now - timedelta(minutes=30))  # learning, due now
    review(learner, questions[1], 4, now - timedelta(days=30))  # review, due
    quiz = QuizFactory(questions=questions[:2])
    assert {"learning", "review"} <= {e.kind for e in study_queue(user=learner, limit=100)}
    (before,) = deck_counts(user=learner, now=now)
    assert (before.learning, before.due) == (1, 1)

    attempt = attempt_start(user=learner, quiz=quiz, now=now)
    assert {e.kind for e in study_queue(user=learner, limit=100)} == {"new"}
    (during,) = deck_counts(user=learner, now=now)
    assert (during.learning, during.due) == (0, 0)

    # Submitted with no answers: no quiz review changes the cards.
    attempt_submit(attempt=attempt, now=now)
    entries = {e.question.pk: e.kind for e in study_queue(user=learner, limit=100)}
    assert (entries[questions[0].pk], entries[questions[1].pk]) == ("learning", "review")


def test_an_attempt_past_its_deadline_and_grace_withholds_nothing(
    learner, questions, now, time_machine
):
    quiz = QuizFactory(questions=questions[:1], time_limit=timedelta(minutes=10))
    attempt_start(user=learner, quiz=quiz, now=now)
    deadline = now + timedelta(minutes=10)
    time_machine.move_to(deadline + DEADLINE_GRACE, tick=False)
    assert questions[0].pk not in queued(learner)  # answers still count until here
    time_machine.move_to(deadline + DEADLINE_GRACE + timedelta(seconds=1), tick=False)
    assert questions[0].pk in queued(learner)


def test_an_after_close_quiz_withholds_its_questions_until_it_closes(
    learner, questions, now, time_machine
):
    closes = now + timedelta(days=2)
    quiz = QuizFactory(questions=questions[:2], feedback_mode="after_close", closes_at=closes)
    attempt = attempt_start(user=learner, quiz=quiz, now=now)
    attempt_submit(attempt=attempt, now=now + timedelta(minutes=5))
    time_machine.move_to(closes - timedelta(seconds=1), tick=False)
    assert queued(learner) == {q.pk for q in questions[2:]}
    time_machine.move_to(closes, tick=False)
    assert queued(learner) == {q.pk for q in questions}


def test_a_submitted_after_submit_quiz_withholds_nothing(learner, questions, now):
    quiz = QuizFactory(
        questions=questions[:2], feedback_mode="after_submit", closes_at=now + timedelta(days=2)
    )
    attempt_submit(attempt=attempt_start(user=learner, quiz=quiz, now=now), now=now)
    assert queued(learner) == {q.pk for q in questions}


def test_another_learners_attempt_withholds_nothing_from_me(learner, questions, now):
    other = StudentFactory()
    attempt_start(user=other, quiz=QuizFactory(questions=questions[:2]), now=now)
    assert queued(learner) == {q.pk for q in questions}
    assert queued(other) == {q.pk for q in questions[2:]}


def test_a_drawn_quiz_withholds_the_questions_its_attempt_drew(learner, deck, questions, now):
    quiz = QuizFactory(draw_count=2, draw_deck=deck)
    attempt = attempt_start(user=learner, quiz=quiz, now=now)
    drawn = set(attempt.questions.values_list("question_id", flat=True))
    assert len(drawn) == 2
    assert queued(learner) == {q.pk for q in questions} - drawn


def test_withheld_questions_may_be_reviewed_but_not_shown(learner, questions, now):
    """Rating a card shows nothing of its answer (a device may upload one rated offline);
    showing it, grading a practice answer or highlighting its quotes would."""
    attempt_start(user=learner, quiz=QuizFactory(questions=questions[:1]), now=now)
    assert questions[0] in reviewable_questions(user=learner)
    assert questions[0] not in studyable_questions(user=learner)
    assert questions[1] in studyable_questions(user=learner)


@pytest.mark.parametrize("cards", [4, 40])
def test_withholding_costs_no_query_per_card(learner, deck, cards, now):
    make_collection(learner, deck, cards)
    in_quiz = Question.objects.filter(memberships__deck=deck).order_by("pk")[: cards // 2]
    attempt = attempt_start(user=learner, quiz=QuizFactory(questions=list(in_quiz)), now=now)
    study_queue(user=learner, now=now)  # settings row exists from here on
    with CaptureQueriesContext(connection) as queries:
        entries = study_queue(user=learner, limit=50, now=now)
    assert len(queries) <= 7
    # An anti-join inside each query that picks cards (learning, review, new): no more.
    assert 1 <= sum("quizzes_attemptquestion" in q["sql"] for q in queries) <= 3
    withheld = set(attempt.questions.values_list("question_id", flat=True))
    assert entries and not withheld & {e.question.pk for e in entries}
    with CaptureQueriesContext(connection) as queries:
        deck_counts(user=learner, now=now)
    assert len(queries) <= 5


def test_a_question_in_two_decks_is_withheld_from_both(learner, deck, questions, now):
    second = DeckFactory()
    shared = QuestionFactory(deck=second)
    DeckQuestion.objects.create(deck=deck, question=shared, position=99)
    attempt_start(user=learner, quiz=QuizFactory(questions=[shared]), now=now)
    assert shared.pk not in queued(learner)
    assert shared.pk not in queued(learner, deck=second)
