"""Item analysis sums in SQL: the same figures as a plain recount, in a fixed number of queries."""

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quizapp.quizzes.models import Attempt, AttemptQuestion
from quizapp.quizzes.selectors import quiz_item_analysis
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from tests.factories import ChoiceQuestionFactory, QuestionFactory, QuizFactory, StudentFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
MULTIPLE = [("A", True), ("B", True), ("C", False), ("D", False)]


def recount(quiz):
    """Item analysis the slow, obvious way: every snapshot and response in Python."""
    first = {}
    for attempt in Attempt.objects.filter(quiz=quiz, status="submitted").order_by(
        "user_id", "number"
    ):
        first.setdefault(attempt.user_id or ("anonymised", attempt.pk), attempt)
    chosen = list(first.values())
    ranked = sorted(chosen, key=lambda a: (a.percentage or Decimal(0), a.pk))
    group = max(1, round(len(ranked) * 0.27)) if ranked else 0
    bottom, top = {a.pk for a in ranked[:group]}, {a.pk for a in ranked[-group:]}
    scores, times, picks = defaultdict(dict), defaultdict(list), defaultdict(Counter)
    for aq in AttemptQuestion.objects.filter(attempt__in=[a.pk for a in chosen]).order_by(
        "position", "pk"
    ):
        response = getattr(aq, "response", None)
        scores[aq.question_id][aq.attempt_id] = (response.score or 0.0) if response else 0.0
        if response is None:
            continue
        times[aq.question_id].append(response.time_spent)
        if aq.answer_key["type"] in ("single_choice", "multiple_choice"):
            wrong = {cid: text for cid, text, right in aq.answer_key["choices"] if not right}
            answer = response.answer if isinstance(response.answer, list) else [response.answer]
            for choice in answer:
                if int(choice) in wrong:
                    picks[aq.question_id][wrong[int(choice)]] += 1
    expected = {}
    for question_id, by_attempt in scores.items():
        high = [s for a, s in by_attempt.items() if a in top]
        low = [s for a, s in by_attempt.items() if a in bottom]
        expected[question_id] = (
            len(by_attempt),
            sum(by_attempt.values()) / len(by_attempt),
            sum(high) / len(high) - sum(low) / len(low) if high and low else None,
            sum(times[question_id], timedelta()) / len(times[question_id])
            if times[question_id]
            else None,
            dict(picks[question_id]),
        )
    return len(chosen), expected


def learners(count):
    return StudentFactory.create_batch(count, date_joined=NOW - timedelta(days=30))


def sit(quiz, learner, rng, at):
    """An attempt with random answers, some left blank, at random speed."""
    attempt = attempt_start(user=learner, quiz=quiz, now=at)
    for aq in attempt.questions.all():
        if rng.random() < 0.15:
            continue
        at += timedelta(seconds=rng.randint(5, 90))
        key = aq.answer_key
        if key["type"] == "true_false":
            answer = rng.random() < 0.6
        elif key["type"] == "single_choice":
            answer = rng.choice(key["choices"])[0]
        else:
            answer = [cid for cid, _, _ in key["choices"] if rng.random() < 0.5]
            answer = answer or [key["choices"][0][0]]
        attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=answer, now=at)
    return attempt_submit(attempt=attempt, now=at)


@pytest.fixture
def mixed_quiz(db):
    questions = [
        QuestionFactory(),
        ChoiceQuestionFactory(),
        ChoiceQuestionFactory(type="multiple_choice", choices=MULTIPLE),
        QuestionFactory(answer_bool=False),
        ChoiceQuestionFactory(),
    ]
    return QuizFactory(questions=questions)


def test_item_analysis_equals_a_recount_of_every_response(mixed_quiz):
    rng = random.Random(7)
    students = learners(14)
    for n, learner in enumerate(students):
        sit(mixed_quiz, learner, rng, NOW + timedelta(hours=n))
        if n % 4 == 0:  # a second attempt, which must not count
            sit(mixed_quiz, learner, rng, NOW + timedelta(days=1, hours=n))
    # A learner who deleted their account: their first attempt stays, anonymised.
    Attempt.objects.filter(user=students[-1]).update(user=None)

    attempts, expected = recount(mixed_quiz)
    analysis = quiz_item_analysis(quiz=mixed_quiz)

    assert analysis.attempts == attempts == 14
    assert [item.question_id for item in analysis.items] == list(
        mixed_quiz.items.order_by("position").values_list("question_id", flat=True)
    )
    for item in analysis.items:
        responses, facility, discrimination, average_time, picks = expected[item.question_id]
        assert item.responses == responses
        assert item.facility == pytest.approx(facility)
        assert item.discrimination == pytest.approx(discrimination)
        assert item.average_time == average_time
        assert item.wrong_choice_picks == picks
    assert any(item.wrong_choice_picks for item in analysis.items)
    assert analysis.items[0].question_slug == mixed_quiz.items.first().question.slug


def test_item_analysis_of_a_quiz_nobody_submitted_is_empty(mixed_quiz):
    analysis = quiz_item_analysis(quiz=mixed_quiz)
    assert (analysis.attempts, analysis.items) == (0, [])


@pytest.mark.parametrize("class_size", [3, 12])
def test_item_analysis_takes_three_queries_whatever_the_class_size(
    mixed_quiz, class_size, django_assert_num_queries
):
    rng = random.Random(class_size)
    for learner in learners(class_size):
        sit(mixed_quiz, learner, rng, NOW)
    with django_assert_num_queries(3):
        analysis = quiz_item_analysis(quiz=mixed_quiz)
    assert analysis.attempts == class_size
