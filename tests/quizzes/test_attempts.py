from datetime import timedelta
from decimal import Decimal

import pytest

from quizapp.bank import grading
from quizapp.bank.models import AcceptedAnswer
from quizapp.quizzes.models import Attempt, FeedbackMode, Response
from quizapp.quizzes.selectors import attempt_view, quizzes_open_to
from quizapp.quizzes.services import (
    DEADLINE_GRACE,
    QuizError,
    attempt_answer_save,
    attempt_expire_if_due,
    attempt_reviews_record,
    attempt_start,
    attempt_submit,
    question_regrade,
)
from quizapp.study.models import Review, ReviewSource
from tests.factories import ChoiceQuestionFactory, ClassroomFactory, QuestionFactory, QuizFactory
from tests.quizzes.conftest import NOW, right_answer


def answer_all(attempt, *, correct=True, now=NOW):
    for aq in attempt.questions.order_by("position"):
        answer = right_answer(aq)
        if not correct:
            answer = not answer if isinstance(answer, bool) else aq.display_order[-1]
            if answer == right_answer(aq):
                answer = aq.display_order[0]
        attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=answer, now=now)


def refusal(**kwargs) -> str:
    with pytest.raises(QuizError) as error:
        attempt_start(**kwargs)
    assert error.value.message
    return error.value.code


# Refusals -----------------------------------------------------------------------------------


def test_an_unpublished_quiz_is_refused(learner, quiz):
    quiz.published = False
    quiz.save()
    assert refusal(user=learner, quiz=quiz, now=NOW) == "not_available"


def test_an_assigned_quiz_is_refused_to_learners_outside_the_class(learner, quiz):
    from quizapp.classroom.models import Assignment, Enrolment

    quiz.visibility = "assigned"
    quiz.save()
    assert refusal(user=learner, quiz=quiz, now=NOW) == "not_available"
    classroom = ClassroomFactory(teachers=[quiz.owner])
    Assignment.objects.create(classroom=classroom, quiz=quiz, due_at=NOW + timedelta(days=3))
    Enrolment.objects.create(classroom=classroom, student=learner, joined_at=NOW)
    assert attempt_start(user=learner, quiz=quiz, now=NOW).number == 1


def test_a_quiz_that_has_not_opened_is_refused(learner, quiz):
    quiz.opens_at = NOW + timedelta(hours=1)
    quiz.save()
    assert refusal(user=learner, quiz=quiz, now=NOW) == "not_open"


def test_a_closed_quiz_is_refused(learner, quiz):
    quiz.closes_at = NOW - timedelta(minutes=1)
    quiz.save()
    assert refusal(user=learner, quiz=quiz, now=NOW) == "closed"


def test_attempts_are_limited(learner, quiz):
    quiz.attempts_allowed = 2
    quiz.save()
    for _ in range(2):
        attempt_submit(attempt=attempt_start(user=learner, quiz=quiz, now=NOW), now=NOW)
    assert refusal(user=learner, quiz=quiz, now=NOW) == "no_attempts_left"
    assert Attempt.objects.filter(user=learner).count() == 2


def test_a_quiz_without_questions_is_refused(learner):
    assert refusal(user=learner, quiz=QuizFactory(), now=NOW) == "empty"


def test_starting_again_resumes_the_attempt_in_progress(learner, quiz):
    first = attempt_start(user=learner, quiz=quiz, now=NOW)
    assert attempt_start(user=learner, quiz=quiz, now=NOW + timedelta(minutes=1)).pk == first.pk


def test_open_quizzes_lists_only_available_open_ones(learner, quiz):
    closed = QuizFactory(closes_at=NOW - timedelta(days=1))
    hidden = QuizFactory(published=False)
    open_ids = set(quizzes_open_to(learner, NOW).values_list("pk", flat=True))
    assert quiz.pk in open_ids and closed.pk not in open_ids and hidden.pk not in open_ids


# Answers, deadlines, grading ---------------------------------------------------------------


def test_the_last_answer_saved_counts_until_submission(learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    aq = attempt.questions.get(position=0)
    wrong = next(i for i in aq.display_order if i != right_answer(aq))
    attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=wrong, now=NOW)
    attempt_answer_save(
        attempt=attempt, question_id=aq.question_id, answer=right_answer(aq), now=NOW
    )
    attempt = attempt_submit(attempt=attempt, now=NOW)
    assert attempt.score == Decimal(1)
    with pytest.raises(QuizError, match="submitted"):
        attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=wrong, now=NOW)


def test_a_malformed_answer_is_refused_and_nothing_saved(learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    aq = attempt.questions.get(position=0)
    with pytest.raises(grading.MalformedAnswer):
        attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=[1, 2], now=NOW)
    assert not hasattr(attempt.questions.get(position=0), "response")


def test_a_question_outside_the_attempt_is_refused(learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    with pytest.raises(QuizError, match="not part of this attempt"):
        attempt_answer_save(attempt=attempt, question_id=QuestionFactory().pk, answer=True)


def test_scores_percentage_and_pass_mark(learner, quiz):
    quiz.pass_mark = Decimal(60)
    quiz.save()
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    aqs = list(attempt.questions.order_by("position"))
    attempt_answer_save(
        attempt=attempt, question_id=aqs[0].question_id, answer=right_answer(aqs[0]), now=NOW
    )
    attempt_answer_save(attempt=attempt, question_id=aqs[1].question_id, answer=False, now=NOW)
    attempt = attempt_submit(attempt=attempt, now=NOW)
    assert (attempt.score, attempt.max_score, attempt.percentage) == (1, 3, Decimal("33.33"))
    assert attempt.passed is False


def test_answers_after_the_deadline_plus_grace_are_refused(learner, quiz):
    quiz.time_limit = timedelta(minutes=10)
    quiz.save()
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    aq = attempt.questions.get(position=0)
    deadline = NOW + timedelta(minutes=10)
    assert attempt.deadline == deadline
    # Within the grace period the answer still counts.
    attempt_answer_save(
        attempt=attempt,
        question_id=aq.question_id,
        answer=right_answer(aq),
        now=deadline + DEADLINE_GRACE,
    )
    with pytest.raises(QuizError) as error:
        attempt_answer_save(
            attempt=attempt,
            question_id=aq.question_id,
            answer=right_answer(aq),
            now=deadline + DEADLINE_GRACE + timedelta(seconds=1),
        )
    assert error.value.code == "submitted"
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.submitted_at == deadline
    assert attempt.score == Decimal(1)


def test_an_expired_attempt_is_submitted_on_the_next_access(learner, quiz, time_machine):
    quiz.time_limit = timedelta(minutes=5)
    quiz.save()
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    assert attempt_expire_if_due(attempt=attempt, now=NOW + timedelta(minutes=4)).status == (
        Attempt.Status.IN_PROGRESS
    )
    expired = attempt_expire_if_due(attempt=attempt, now=NOW + timedelta(hours=1))
    assert expired.is_submitted and expired.auto_submitted
    # Starting again after expiry makes a new attempt instead of resuming.
    assert attempt_start(user=learner, quiz=quiz, now=NOW + timedelta(hours=1)).number == 2


def test_the_quiz_closing_time_caps_the_deadline(learner, quiz):
    quiz.time_limit = timedelta(hours=2)
    quiz.closes_at = NOW + timedelta(minutes=30)
    quiz.save()
    assert attempt_start(user=learner, quiz=quiz, now=NOW).deadline == quiz.closes_at


# Shuffling and snapshots --------------------------------------------------------------------


def test_shuffled_orders_are_stable_within_an_attempt_and_vary_across_attempts(learner):
    questions = [
        ChoiceQuestionFactory(choices=[(str(i), i == 0) for i in range(5)]) for _ in range(5)
    ]
    quiz = QuizFactory(questions=questions, shuffle_questions=True, shuffle_choices=True)
    seen = set()
    for _ in range(8):
        attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
        first = attempt_view(attempt=attempt, now=NOW)
        second = attempt_view(attempt=attempt, now=NOW)
        assert [(q.question_id, [c.id for c in q.choices]) for q in first.questions] == [
            (q.question_id, [c.id for c in q.choices]) for q in second.questions
        ]
        seen.add(tuple((q.question_id, tuple(c.id for c in q.choices)) for q in first.questions))
        attempt_submit(attempt=attempt, now=NOW)
    assert len(seen) > 1


def test_editing_a_question_never_changes_a_past_grade(learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    answer_all(attempt)
    attempt = attempt_submit(attempt=attempt, now=NOW)
    question = attempt.questions.get(position=1).question  # true/false, answer True
    question.answer_bool = False
    question.version += 1
    question.save()
    attempt.refresh_from_db()
    assert attempt.score == Decimal(3)
    assert attempt_view(attempt=attempt, now=NOW).questions[1].result.correct


def test_a_draw_rule_picks_questions_from_the_deck_at_each_attempt(learner):
    from tests.factories import DeckFactory

    deck = DeckFactory()
    pool = {QuestionFactory(deck=deck).pk for _ in range(6)}
    quiz = QuizFactory(draw_count=3, draw_deck=deck)
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    drawn = set(attempt.questions.values_list("question_id", flat=True))
    assert len(drawn) == 3 and drawn <= pool
    assert attempt.max_score == 3


# What a learner may see ---------------------------------------------------------------------


def revealed(view) -> list[bool]:
    return [q.result is not None for q in view.questions]


def assert_nothing_graded_visible(view):
    assert view.score is None and view.percentage is None and view.passed is None
    assert all(q.result is None for q in view.questions)


def test_after_submit_reveals_nothing_before_submission(learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    answer_all(attempt)
    assert_nothing_graded_visible(attempt_view(attempt=attempt, now=NOW))
    attempt = attempt_submit(attempt=attempt, now=NOW)
    view = attempt_view(attempt=attempt, now=NOW)
    assert revealed(view) == [True, True, True]
    assert view.score == 3 and view.questions[0].result.explanation


def test_immediate_feedback_reveals_each_answered_question_and_locks_it(learner, quiz):
    quiz.feedback_mode = FeedbackMode.IMMEDIATE
    quiz.save()
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    aq = attempt.questions.get(position=0)
    attempt_answer_save(
        attempt=attempt, question_id=aq.question_id, answer=right_answer(aq), now=NOW
    )
    view = attempt_view(attempt=attempt, now=NOW)
    assert revealed(view) == [True, False, False]
    assert view.score is None
    with pytest.raises(QuizError) as error:
        attempt_answer_save(
            attempt=attempt, question_id=aq.question_id, answer=right_answer(aq), now=NOW
        )
    assert error.value.code == "already_answered"


def test_after_close_reveals_only_once_the_quiz_has_closed(learner, quiz):
    quiz.feedback_mode = FeedbackMode.AFTER_CLOSE
    quiz.closes_at = NOW + timedelta(days=1)
    quiz.save()
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    answer_all(attempt)
    attempt = attempt_submit(attempt=attempt, now=NOW)
    assert_nothing_graded_visible(attempt_view(attempt=attempt, now=NOW))
    view = attempt_view(attempt=attempt, now=NOW + timedelta(days=1))
    assert revealed(view) == [True, True, True] and view.passed is True


# Quizzes feed memory ------------------------------------------------------------------------


def test_each_graded_response_is_recorded_once_in_the_review_log(learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    answer_all(attempt, correct=False)
    attempt_submit(attempt=attempt, now=NOW)
    attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=1))  # a retried submit
    reviews = Review.objects.filter(user=learner)
    assert reviews.count() == 3
    assert set(reviews.values_list("source", flat=True)) == {ReviewSource.QUIZ}
    assert set(reviews.values_list("rating", flat=True)) == {1}
    question_regrade(question=attempt.questions.first().question, by=quiz.owner, now=NOW)
    assert Review.objects.filter(user=learner).count() == 3


def test_after_close_answers_enter_the_review_log_only_once_the_quiz_has_closed(
    learner, quiz, django_capture_on_commit_callbacks
):
    """Card states, the queue and undo would otherwise show which answers were right."""
    from django_tasks_db.models import DBTaskResult

    quiz.feedback_mode = FeedbackMode.AFTER_CLOSE
    quiz.closes_at = NOW + timedelta(days=1)
    quiz.save()
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    answer_all(attempt, correct=False)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=attempt, now=NOW)
    assert not Review.objects.filter(user=learner).exists()
    queued = DBTaskResult.objects.get()
    assert queued.run_after == quiz.closes_at and queued.args_kwargs["kwargs"] == {
        "attempt_id": attempt.pk
    }
    # Run early (the teacher moved the closing time): nothing yet, scheduled again.
    assert not attempt_reviews_record(attempt=attempt, now=NOW + timedelta(hours=1))
    assert not Review.objects.filter(user=learner).exists()
    assert attempt_reviews_record(attempt=attempt, now=NOW + timedelta(days=1))
    answered = {r.answered_at for r in Response.objects.filter(attempt_question__attempt=attempt)}
    reviews = Review.objects.filter(user=learner)
    assert reviews.count() == 3 and set(reviews.values_list("rating", flat=True)) == {1}
    assert set(reviews.values_list("reviewed_at", flat=True)) == answered
    assert attempt_reviews_record(attempt=attempt, now=NOW + timedelta(days=2))
    assert Review.objects.filter(user=learner).count() == 3


def test_right_answers_are_recorded_as_good(learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    answer_all(attempt)
    attempt_submit(attempt=attempt, now=NOW)
    assert set(Review.objects.filter(user=learner).values_list("rating", flat=True)) == {3}


# Regrading ----------------------------------------------------------------------------------


def test_regrading_after_accepting_a_new_variant_reports_the_changed_scores(learner, teacher):
    question = QuestionFactory(type="short_text", answer_bool=None)
    AcceptedAnswer.objects.create(question=question, position=0, text="Yerevan")
    quiz = QuizFactory(questions=[question], owner=teacher)
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    attempt_answer_save(attempt=attempt, question_id=question.pk, answer="Erivan", now=NOW)
    attempt = attempt_submit(attempt=attempt, now=NOW)
    assert attempt.score == 0

    AcceptedAnswer.objects.create(question=question, position=1, text="Erivan")
    attempt.refresh_from_db()
    assert attempt.score == 0  # nothing changes until the teacher regrades

    regrade = question_regrade(question=question, by=teacher, now=NOW + timedelta(days=1))
    attempt.refresh_from_db()
    assert attempt.score == 1 and attempt.passed
    assert regrade.by == teacher and regrade.responses_checked == 1
    assert regrade.changes == [
        {"attempt": attempt.pk, "user": learner.username, "before": "0.000", "after": "1.000"}
    ]
    response = attempt.questions.get().response
    assert response.regraded_by == teacher and response.feedback.startswith("Accepted")


def test_two_item_questions_show_either_order_so_the_display_gives_nothing_away(learner):
    from quizapp.bank.answer_forms import answer_inputs
    from quizapp.bank.models import MatchPair, OrderItem

    matching = QuestionFactory(type="matching", answer_bool=None)
    pairs = [
        MatchPair.objects.create(question=matching, position=n, left=left, right=right)
        for n, (left, right) in enumerate([("Baku", "Azerbaijan"), ("Yerevan", "Armenia")])
    ]
    ordering = QuestionFactory(type="ordering", answer_bool=None)
    items = [
        OrderItem.objects.create(question=ordering, position=n, text=text)
        for n, text in enumerate(["The first war ends", "The second war starts"])
    ]
    both = {
        matching.pk: {tuple(p.pk for p in pairs), tuple(p.pk for p in reversed(pairs))},
        ordering.pk: {tuple(i.pk for i in items), tuple(i.pk for i in reversed(items))},
    }
    quiz = QuizFactory(questions=[matching, ordering])
    shown = {matching.pk: set(), ordering.pk: set()}
    for _ in range(40):  # both orders come up, each with probability 1/2 per attempt
        attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
        for aq in attempt.questions.all():
            shown[aq.question_id].add(tuple(aq.display_order))
        attempt_submit(attempt=attempt, now=NOW)
    assert shown == both
    # Practice and previews order by a seed (stable per learner and question): the same.
    practised = {
        tuple(
            option.text
            for option in answer_inputs(matching.answer_key(), seed=f"learner-{n}").rows[0].options
        )
        for n in range(40)
    }
    assert practised == {("Azerbaijan", "Armenia"), ("Armenia", "Azerbaijan")}
