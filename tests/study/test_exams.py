"""Exam mode: a class assignment with an exam date brings forward the cards of its deck that
would be below the learner's desired retention on the exam day, spread over the days left."""

import math
from datetime import timedelta

import pytest

from quizapp.classroom.services import assignment_create, classroom_join
from quizapp.study.exams import at_risk_after, daily_share, exam_threshold
from quizapp.study.fitting import DEFAULT_PARAMETERS
from quizapp.study.models import CardState
from quizapp.study.scheduling import forgetting_curve
from quizapp.study.selectors import exam_outlook, study_queue
from quizapp.study.services import review_record
from tests.factories import ClassroomFactory, DeckFactory, QuestionFactory, TeacherFactory
from tests.study.conftest import START, new_id

DECAY = DEFAULT_PARAMETERS[20]


def review(user, question, rating, at):
    return review_record(
        user=user, question=question, rating=rating, reviewed_at=at, review_id=new_id()
    )


class TestRule:
    @pytest.mark.parametrize("target", [0.7, 0.9, 0.97])
    def test_the_threshold_is_where_recall_meets_the_target(self, target) -> None:
        stability = 7.3
        elapsed = exam_threshold(target, DECAY) * stability
        assert forgetting_curve(elapsed, stability, DECAY) == pytest.approx(target)

    def test_a_card_is_at_risk_when_recall_on_the_exam_day_is_below_target(self) -> None:
        # Stability 10 days at the default decay: recall 0.9 after exactly 10 days.
        assert not at_risk_after(20, last_review_day=10, stability=10, target=0.9, decay=DECAY)
        assert at_risk_after(21, last_review_day=10, stability=10, target=0.9, decay=DECAY)
        assert at_risk_after(5, last_review_day=None, stability=None, target=0.9, decay=DECAY)

    @pytest.mark.parametrize(
        ("at_risk", "done_today", "days_left", "share"),
        [
            (10, 0, 10, 1),
            (9, 1, 10, 0),  # today's one is done
            (10, 0, 3, 4),
            (7, 3, 3, 1),  # ceil(10 / 3) = 4, three done
            (5, 0, 0, 5),  # the exam day itself: all that are left
            (0, 0, 5, 0),
        ],
    )
    def test_the_at_risk_cards_are_spread_over_the_days_left(
        self, at_risk, done_today, days_left, share
    ) -> None:
        assert daily_share(at_risk=at_risk, done_today=done_today, days_left=days_left) == share


@pytest.fixture
def exam_class(learner):
    """The learner's class, with the deck "Biology" (ten questions) assigned."""
    teacher = TeacherFactory()
    classroom = ClassroomFactory(teachers=[teacher], name="Year 9")
    classroom_join(user=learner, code=classroom.join_code)
    deck = DeckFactory(title="Biology", slug="biology", position=5)
    questions = [QuestionFactory(deck=deck) for _ in range(10)]
    return classroom, teacher, deck, questions


def assign(exam_class, *, exam_in_days: int | None):
    classroom, teacher, deck, _ = exam_class
    return assignment_create(
        classroom=classroom,
        by=teacher,
        deck=deck,
        due_at=START + timedelta(days=20),
        exam_date=None if exam_in_days is None else (START + timedelta(days=exam_in_days)).date(),
    )


def learn_all(learner, questions):
    """Every card learnt with Easy the day before START: due a week later, after which recall
    drops below 0.9."""
    for question in questions:
        review(learner, question, 4, START - timedelta(days=1))


def kinds(queue):
    return [(entry.kind, entry.question.pk) for entry in queue]


def test_cards_below_target_on_the_exam_day_come_early_spread_over_the_days_left(
    learner, exam_class, time_machine
):
    _, _, _, questions = exam_class
    learn_all(learner, questions)
    time_machine.move_to(START, tick=False)
    assert [kind for kind, _ in kinds(study_queue(user=learner))] == []  # nothing due yet

    assign(exam_class, exam_in_days=10)
    stability = CardState.objects.filter(user=learner).first().stability
    assert math.ceil(stability) < 11  # by the exam, recall would be below 0.9
    queue = study_queue(user=learner)
    assert [kind for kind, _ in kinds(queue)] == ["review"]  # 10 cards over 10 days
    (plan,) = exam_outlook(user=learner)
    assert (plan.started_at_risk, plan.unstarted, plan.share_today) == (10, 0, 1)

    review(learner, queue[0].question, 3, START)
    assert study_queue(user=learner) == []  # today's share is done
    (plan,) = exam_outlook(user=learner)
    assert plan.started_at_risk == 9

    time_machine.move_to(START + timedelta(days=1), tick=False)
    assert len(study_queue(user=learner)) == 1  # 9 left over 9 days
    time_machine.move_to(START + timedelta(days=5), tick=False)
    assert len(study_queue(user=learner)) == 2  # the days skipped: 9 left over 5 days


def test_a_question_in_several_decks_counts_once(learner, exam_class, time_machine):
    from quizapp.bank.models import DeckQuestion

    _, _, _, questions = exam_class
    other = DeckFactory()
    for question in questions:
        DeckQuestion.objects.create(deck=other, question=question, position=question.pk)
    assign(exam_class, exam_in_days=10)
    time_machine.move_to(START, tick=False)
    (plan,) = exam_outlook(user=learner)
    assert (plan.started_at_risk, plan.unstarted) == (0, 10)


def test_on_the_exam_day_every_card_left_comes(learner, exam_class, time_machine):
    _, _, _, questions = exam_class
    learn_all(learner, questions[:3])
    assign(exam_class, exam_in_days=14)
    time_machine.move_to(START + timedelta(days=14), tick=False)
    queue = study_queue(user=learner, limit=50)
    # The three were due a week ago anyway; the seven unstarted come first among new cards.
    assert [kind for kind, _ in kinds(queue)].count("review") == 3
    assert {pk for kind, pk in kinds(queue) if kind == "new"} == {q.pk for q in questions[3:]}


def test_the_exam_decks_new_cards_come_before_other_new_cards(learner, exam_class, time_machine):
    _, _, _, questions = exam_class
    first = DeckFactory(position=1)  # before Biology in study order
    elsewhere = [QuestionFactory(deck=first) for _ in range(3)]
    time_machine.move_to(START, tick=False)
    assert kinds(study_queue(user=learner, limit=3)) == [("new", q.pk) for q in elsewhere]
    assign(exam_class, exam_in_days=10)
    assert kinds(study_queue(user=learner, limit=3)) == [("new", q.pk) for q in questions[:3]]


def test_cards_on_track_for_the_exam_stay_where_they_are(learner, exam_class, time_machine):
    _, _, _, questions = exam_class
    learn_all(learner, questions)
    assign(exam_class, exam_in_days=3)  # recall after four days is still above 0.9
    time_machine.move_to(START, tick=False)
    assert study_queue(user=learner) == []
    (plan,) = exam_outlook(user=learner)
    assert plan.cards_to_review == 0


def test_past_exams_and_other_classes_exams_change_nothing(
    learner, other_student, exam_class, time_machine
):
    _, _, _, questions = exam_class
    learn_all(learner, questions)
    assign(exam_class, exam_in_days=10)
    time_machine.move_to(START + timedelta(days=11), tick=False)
    assert exam_outlook(user=learner) == []
    time_machine.move_to(START, tick=False)
    assert exam_outlook(user=other_student) == []
    assign(exam_class, exam_in_days=None)  # the teacher takes the exam date away
    assert exam_outlook(user=learner) == []


def test_the_queue_with_an_exam_takes_few_queries(
    learner, exam_class, time_machine, django_assert_max_num_queries
):
    _, _, _, questions = exam_class
    learn_all(learner, questions)
    assign(exam_class, exam_in_days=10)
    time_machine.move_to(START, tick=False)
    study_queue(user=learner)
    # Seven, two for the exam's counts and one for its cards brought forward.
    with django_assert_max_num_queries(10):
        assert len(study_queue(user=learner, limit=50)) == 1
