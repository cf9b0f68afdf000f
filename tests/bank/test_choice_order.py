"""Where the right choice stands says nothing: the loader stores choices in an order derived from
the question's slug and each choice's text, never the order an author wrote them in (right
answer first, as authors tend to). Re-seeding an existing bank reorders in place: question rows,
choice ids, learners' progress and attempts' snapshots stay as they were."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from quizapp.bank.content import load_content
from quizapp.bank.models import Choice, Question
from quizapp.bank.services import content_seed, question_content_fingerprint
from quizapp.quizzes.models import AttemptQuestion
from quizapp.quizzes.services import (
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    question_regrade,
)
from quizapp.study.models import CardState
from tests.api.conftest import token_client
from tests.bank.conftest import read_questions, write_questions
from tests.factories import QuizFactory, StudentFactory, TeacherFactory
from tests.study.test_queue import review


def seeded_single_choice() -> list[Question]:
    call_command("seed_content", verbosity=0)
    return list(
        Question.objects.published()
        .filter(type="single_choice")
        .prefetch_related("choices")
        .order_by("slug")
    )


def right_position(question: Question) -> int:
    choices = list(question.choices.all())  # in stored order
    return next(n for n, choice in enumerate(choices) if choice.is_correct)


def test_the_seeded_banks_right_choices_are_spread_over_the_positions(db):
    questions = seeded_single_choice()
    positions = Counter(right_position(q) for q in questions)
    assert len(questions) == 24
    assert positions[0] < len(questions) / 2, positions
    assert max(positions.values()) <= len(questions) / 2, positions
    assert len(positions) >= 3, positions


def test_with_shuffling_off_the_right_options_number_varies(db):
    """What a learner sees: a quiz that does not shuffle shows the stored order, numbered."""
    questions = seeded_single_choice()
    quiz = QuizFactory(questions=questions, shuffle_choices=False, shuffle_questions=False)
    api = token_client(StudentFactory())
    attempt = api.post(f"/api/v1/quizzes/{quiz.pk}/attempts").json()
    right = {q.pk: next(c.text for c in q.choices.all() if c.is_correct) for q in questions}
    numbers = Counter(
        next(c["id"] for c in shown["choices"] if c["text"] == right[shown["id"]])
        for shown in attempt["questions"]
    )
    assert sum(numbers.values()) == 24
    assert max(numbers.values()) <= 12, numbers
    assert len(numbers) >= 3, numbers


def test_the_stored_order_does_not_follow_the_files_order(db, content_dir):
    content_seed(bundle=load_content(content_dir))
    questions = read_questions(content_dir, "russia-role")
    choice_questions = [q for q in questions if "choices" in q]
    stored = {
        q["slug"]: list(
            Choice.objects.filter(question__slug=q["slug"]).values_list("id", "text", "position")
        )
        for q in choice_questions
    }
    for question in choice_questions:
        question["choices"].reverse()
    write_questions(content_dir, "russia-role", questions)

    report = content_seed(bundle=load_content(content_dir))

    assert report.updated == 0
    for slug, choices in stored.items():
        assert (
            list(Choice.objects.filter(question__slug=slug).values_list("id", "text", "position"))
            == choices
        )


def test_a_question_that_is_not_shuffled_keeps_the_authors_order(db, content_dir):
    questions = read_questions(content_dir, "russia-role")
    fixed = next(q for q in questions if q["type"] == "single_choice")
    fixed["shuffle"] = False
    write_questions(content_dir, "russia-role", questions)
    content_seed(bundle=load_content(content_dir))
    texts = list(
        Choice.objects.filter(question__slug=fixed["slug"])
        .order_by("position")
        .values_list("text", flat=True)
    )
    assert texts == [c["text"] for c in fixed["choices"]]


@pytest.fixture
def authored_bank(db, content_dir):
    """A bank seeded before choices were reordered: stored as written, right answer first."""
    content_seed(bundle=load_content(content_dir))
    for question in Question.objects.filter(type__in=["single_choice", "multiple_choice"]):
        choices = sorted(question.choices.all(), key=lambda c: (not c.is_correct, c.pk))
        for position, choice in enumerate(choices):
            Choice.objects.filter(pk=choice.pk).update(position=position)
        question.content_hash = question_content_fingerprint(question)
        question.save(update_fields=["content_hash"])
    return content_dir


def test_reseeding_reorders_in_place_keeping_ids_progress_and_snapshots(authored_bank):
    question = Question.objects.get(slug="russia-sees-itself-as-arbiter")
    learner = StudentFactory(date_joined=timezone.now() - timedelta(days=30))
    review(learner, question, 3, timezone.now() - timedelta(days=1))
    quiz = QuizFactory(questions=[question], shuffle_choices=False)
    attempt = attempt_start(user=learner, quiz=quiz)
    right = question.choices.get(is_correct=True)
    attempt_answer_save(attempt=attempt, question_id=question.pk, answer=right.pk)
    attempt = attempt_submit(attempt=attempt)
    snapshot = AttemptQuestion.objects.get(attempt=attempt)
    card = CardState.objects.get(user=learner, question=question)  # the review and the quiz's
    choices_before = {c.pk: (c.text, c.is_correct) for c in question.choices.all()}
    assert right_position(question) == 0

    report = content_seed(bundle=load_content(authored_bank))

    reordered = Question.objects.get(slug="russia-sees-itself-as-arbiter")
    assert report.created == 0 and report.updated >= 20
    assert (reordered.pk, reordered.version) == (question.pk, question.version + 1)
    assert {c.pk: (c.text, c.is_correct) for c in reordered.choices.all()} == choices_before
    assert right_position(reordered) != 0
    assert CardState.objects.get(pk=card.pk).stability == card.stability
    assert card.reps == 2
    assert AttemptQuestion.objects.get(pk=snapshot.pk).answer_key == snapshot.answer_key
    # A regrade against the current key still finds the learner's pick right.
    question_regrade(question=reordered, by=TeacherFactory())
    attempt.refresh_from_db()
    assert attempt.score == Decimal(1)
    assert content_seed(bundle=load_content(authored_bank)).updated == 0
