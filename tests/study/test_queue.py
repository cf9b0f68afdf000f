from datetime import UTC, datetime, timedelta

import pytest

from quizapp.study.models import CardState, LearnerSettings
from quizapp.study.selectors import deck_counts, study_queue
from quizapp.study.services import card_bury, card_suspend, review_record
from tests.factories import DeckFactory, QuestionFactory
from tests.study.conftest import START, new_id


def review(user, question, rating, at):
    return review_record(
        user=user, question=question, rating=rating, reviewed_at=at, review_id=new_id()
    )


def kinds(entries):
    return [(e.kind, e.question.pk) for e in entries]


def test_new_cards_come_in_deck_order(learner, questions, time_machine):
    time_machine.move_to(START)
    queue = study_queue(user=learner, limit=3)
    assert kinds(queue) == [("new", q.pk) for q in questions[:3]]
    assert queue[0].intervals[1] < queue[0].intervals[4]


def test_queue_orders_learning_then_due_reviews_then_new(learner, questions, time_machine):
    a, b, c, d, _ = questions
    review(learner, a, 4, START - timedelta(days=30))  # review card, long overdue
    review(learner, b, 4, START - timedelta(days=10))  # review card, due
    review(learner, c, 1, START - timedelta(minutes=20))  # learning, due now
    time_machine.move_to(START)
    queue = study_queue(user=learner, limit=10)
    order = kinds(queue)
    assert order[0] == ("learning", c.pk)
    assert order[1:3] == [("review", a.pk), ("review", b.pk)]
    assert [k for k, _ in order[3:]] == ["new", "new"]
    assert order[3][1] == d.pk
    # lowest predicted recall first
    assert queue[1].predicted_recall < queue[2].predicted_recall


@pytest.mark.parametrize(
    ("zone", "now", "included"),
    [
        # Due 10 March 21:00 UTC = 11 March 01:00 in Yerevan (UTC+4): before the 04:00
        # boundary, so it belongs to Yerevan's study day of 10 March.
        ("Asia/Yerevan", datetime(2026, 3, 10, 1, 0, tzinfo=UTC), True),
        ("Asia/Yerevan", datetime(2026, 3, 9, 23, 0, tzinfo=UTC), False),
        # At 01:00 UTC a learner on UTC is still in the study day of 9 March.
        ("UTC", datetime(2026, 3, 10, 1, 0, tzinfo=UTC), False),
        ("UTC", datetime(2026, 3, 10, 4, 0, tzinfo=UTC), True),
    ],
)
def test_reviews_due_by_the_end_of_the_learners_study_day_are_included(
    learner, questions, zone, now, included
):
    LearnerSettings.objects.create(user=learner, time_zone=zone, day_start_hour=4)
    q = questions[0]
    review(learner, q, 4, datetime(2026, 3, 2, 21, 0, tzinfo=UTC))
    assert CardState.objects.get(user=learner, question=q).due == datetime(
        2026, 3, 10, 21, 0, tzinfo=UTC
    )
    assert (("review", q.pk) in kinds(study_queue(user=learner, limit=10, now=now))) is included


def test_day_boundary_follows_the_learners_time_zone_and_start_hour(learner, questions):
    LearnerSettings.objects.create(
        user=learner, time_zone="America/New_York", day_start_hour=4, new_cards_per_day=2
    )
    # 07:30 UTC on 3 March = 02:30 in New York: still the study day of 2 March.
    review(learner, questions[0], 3, datetime(2026, 3, 2, 20, 0, tzinfo=UTC))
    review(learner, questions[1], 3, datetime(2026, 3, 3, 7, 30, tzinfo=UTC))
    same_day = study_queue(user=learner, limit=10, now=datetime(2026, 3, 3, 8, 30, tzinfo=UTC))
    assert [k for k, _ in kinds(same_day)].count("new") == 0
    next_day = study_queue(user=learner, limit=10, now=datetime(2026, 3, 3, 9, 30, tzinfo=UTC))
    assert [k for k, _ in kinds(next_day)].count("new") == 2


def test_the_daily_new_card_limit_counts_cards_started_today(learner, deck, time_machine):
    LearnerSettings.objects.create(user=learner, new_cards_per_day=3)
    questions = [QuestionFactory(deck=deck) for _ in range(6)]
    time_machine.move_to(START)
    assert len(study_queue(user=learner, limit=20)) == 3
    review(learner, questions[0], 3, START)
    review(learner, questions[1], 3, START)
    new = [e for e in study_queue(user=learner, limit=20) if e.kind == "new"]
    assert len(new) == 1
    time_machine.move_to(START + timedelta(days=1))
    new = [e for e in study_queue(user=learner, limit=20) if e.kind == "new"]
    assert len(new) == 3


def test_suspended_and_buried_cards_are_left_out(learner, questions, time_machine):
    time_machine.move_to(START)
    card_suspend(user=learner, question=questions[0])
    card_bury(user=learner, question=questions[1])
    pks = {e.question.pk for e in study_queue(user=learner, limit=20)}
    assert questions[0].pk not in pks and questions[1].pk not in pks
    time_machine.move_to(START + timedelta(days=1))
    pks = {e.question.pk for e in study_queue(user=learner, limit=20)}
    assert questions[1].pk in pks and questions[0].pk not in pks


def test_queue_for_one_deck_only_has_that_decks_cards(learner, questions, time_machine):
    other = DeckFactory()
    elsewhere = QuestionFactory(deck=other)
    time_machine.move_to(START)
    assert {e.question.pk for e in study_queue(user=learner, deck=other)} == {elsewhere.pk}


def test_deck_counts(learner, questions, time_machine):
    review(learner, questions[0], 1, START - timedelta(minutes=30))  # learning, due
    review(learner, questions[1], 4, START - timedelta(days=30))  # review, due
    time_machine.move_to(START)
    (counts,) = deck_counts(user=learner)
    assert (counts.new, counts.learning, counts.due, counts.total) == (3, 1, 1, 5)


def make_collection(user, deck, cards: int):
    questions = [QuestionFactory(deck=deck) for _ in range(cards)]
    for i, q in enumerate(questions[: cards // 2]):
        review(user, q, 1 + i % 4, START - timedelta(days=40 - i % 30))
    return questions


@pytest.mark.parametrize("cards", [4, 40])
def test_queue_and_counts_cost_constant_queries(
    learner, deck, django_assert_max_num_queries, cards, time_machine
):
    make_collection(learner, deck, cards)
    time_machine.move_to(START)
    study_queue(user=learner)  # settings row exists from here on
    # Settings, today's counts, learning, due reviews, the exams coming, new cards.
    with django_assert_max_num_queries(7):
        study_queue(user=learner, limit=50)
    with django_assert_max_num_queries(7):
        study_queue(user=learner, deck=deck, limit=50)
    with django_assert_max_num_queries(5):
        deck_counts(user=learner)
