from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quizapp.classroom.models import Assignment, Enrolment
from quizapp.classroom.selectors import class_deck_memory, class_results, classes_of
from quizapp.classroom.services import (
    ClassroomError,
    assignment_create,
    classroom_create,
    classroom_join,
    classroom_leave,
    classroom_remove_student,
    join_code_regenerate,
)
from quizapp.quizzes import selectors as quiz_selectors
from quizapp.quizzes.models import Attempt
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from quizapp.study.services import review_record
from tests.factories import (
    ChoiceQuestionFactory,
    ClassroomFactory,
    DeckFactory,
    QuestionFactory,
    QuizFactory,
    StudentFactory,
)

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def code_error(**kwargs) -> str:
    with pytest.raises(ClassroomError) as error:
        classroom_join(**kwargs)
    return error.value.code


def test_joining_by_code_ignores_case_spaces_and_dashes(student, teacher):
    classroom = classroom_create(name="9B", teacher=teacher)
    typed = "-".join([classroom.join_code[:4].lower(), classroom.join_code[4:]])
    enrolment = classroom_join(user=student, code=f" {typed} ")
    assert enrolment.classroom == classroom
    assert list(classes_of(student)) == [classroom]


def test_a_wrong_code_is_refused(student, teacher):
    classroom_create(name="9B", teacher=teacher)
    assert code_error(user=student, code="NOPE2345") == "invalid_code"
    assert not Enrolment.objects.exists()


def test_joining_twice_is_refused(student, teacher):
    classroom = classroom_create(name="9B", teacher=teacher)
    classroom_join(user=student, code=classroom.join_code)
    assert code_error(user=student, code=classroom.join_code) == "already_enrolled"
    assert Enrolment.objects.count() == 1


def test_a_regenerated_code_replaces_the_old_one(student, other_student, teacher):
    classroom = classroom_create(name="9B", teacher=teacher)
    old = classroom.join_code
    new = join_code_regenerate(classroom=classroom, by=teacher)
    assert new != old
    assert code_error(user=student, code=old) == "invalid_code"
    assert classroom_join(user=other_student, code=new).classroom == classroom


def test_only_the_classes_teachers_regenerate_codes_or_remove_students(
    student, teacher, other_teacher
):
    classroom = classroom_create(name="9B", teacher=teacher)
    classroom_join(user=student, code=classroom.join_code)
    for action in (
        lambda: join_code_regenerate(classroom=classroom, by=other_teacher),
        lambda: classroom_remove_student(classroom=classroom, student=student, by=other_teacher),
        lambda: classroom_remove_student(classroom=classroom, student=student, by=student),
    ):
        with pytest.raises(ClassroomError, match="Only a teacher"):
            action()
    classroom_remove_student(classroom=classroom, student=student, by=teacher)
    assert not classes_of(student).exists()


def test_leaving_a_class(student, teacher):
    classroom = classroom_create(name="9B", teacher=teacher)
    classroom_join(user=student, code=classroom.join_code)
    classroom_leave(user=student, classroom=classroom)
    assert not classes_of(student).exists()
    with pytest.raises(ClassroomError, match="not in this class"):
        classroom_leave(user=student, classroom=classroom)


def test_assigning_needs_an_own_published_quiz(teacher, other_teacher):
    classroom = classroom_create(name="9B", teacher=teacher)
    due = NOW + timedelta(days=7)
    with pytest.raises(ClassroomError, match="your own"):
        assignment_create(
            classroom=classroom, quiz=QuizFactory(owner=other_teacher), due_at=due, by=teacher
        )
    with pytest.raises(ClassroomError, match="Publish"):
        assignment_create(
            classroom=classroom,
            quiz=QuizFactory(owner=teacher, published=False),
            due_at=due,
            by=teacher,
        )
    with pytest.raises(ClassroomError, match="either a quiz or a deck"):
        assignment_create(classroom=classroom, due_at=due, by=teacher)
    deck_assignment = assignment_create(
        classroom=classroom, deck=DeckFactory(), due_at=due, by=teacher
    )
    assert deck_assignment.deck is not None


def test_an_exam_date_belongs_to_a_deck_assignment(teacher):
    from django.core.exceptions import ValidationError

    from quizapp.classroom.models import Assignment

    classroom = classroom_create(name="9B", teacher=teacher)
    due, exam = NOW + timedelta(days=7), (NOW + timedelta(days=9)).date()
    quiz = QuizFactory(owner=teacher)
    with pytest.raises(ClassroomError, match="exam date needs a deck"):
        assignment_create(classroom=classroom, quiz=quiz, due_at=due, by=teacher, exam_date=exam)
    deck = DeckFactory()
    assignment = assignment_create(
        classroom=classroom, deck=deck, due_at=due, by=teacher, exam_date=exam
    )
    assert assignment.exam_date == exam
    # Assigning the deck again moves (or removes) the exam date.
    again = assignment_create(classroom=classroom, deck=deck, due_at=due, by=teacher)
    assert (again.pk, again.exam_date) == (assignment.pk, None)
    # The admin's form validates the model: the same rule, with the same message.
    with pytest.raises(ValidationError, match="An exam date needs a deck to prepare"):
        Assignment(classroom=classroom, quiz=quiz, due_at=due, exam_date=exam).full_clean()


# Reports ------------------------------------------------------------------------------------


def take(student, quiz, rights: list[bool], now=NOW) -> Attempt:
    attempt = attempt_start(user=student, quiz=quiz, now=now)
    by_question = {aq.question_id: aq for aq in attempt.questions.all()}
    for item, right in zip(quiz.items.order_by("position"), rights, strict=True):
        aq = by_question[item.question_id]
        choice = {text: cid for cid, text, _ in aq.answer_key["choices"]}["A" if right else "B"]
        attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=choice, now=now)
    return attempt_submit(attempt=attempt, now=now)


@pytest.fixture
def eight_learners(db):
    learners = StudentFactory.create_batch(8)
    for learner in learners:
        learner.date_joined = datetime(2025, 1, 1, tzinfo=UTC)
        learner.save()
    return learners


def test_item_analysis_matches_hand_computed_facility_and_discrimination(
    eight_learners, monkeypatch
):
    quiz = QuizFactory(questions=ChoiceQuestionFactory.create_batch(3))
    answers = [  # Q1, Q2, Q3 right?  → totals 100, 67, 67, 67, 33, 33, 33, 0
        [1, 1, 1],
        [1, 1, 0],
        [1, 0, 1],
        [0, 1, 1],
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [0, 0, 0],
    ]
    for learner, rights in zip(eight_learners, answers, strict=True):
        take(learner, quiz, [bool(r) for r in rights])
    take(eight_learners[7], quiz, [True, True, True])  # a second attempt is not counted

    analysis = quiz_selectors.quiz_item_analysis(quiz=quiz)

    # 27% of 8 rounds to 2: bottom = learners 8 and 5 (0%, first 33%), top = 4 and 1.
    assert analysis.attempts == 8
    q1, q2, q3 = analysis.items
    assert (q1.facility, q2.facility, q3.facility) == (0.5, 0.5, 0.5)
    assert q1.discrimination == pytest.approx(0.0)  # top: 0, 1 ; bottom: 0, 1
    assert q2.discrimination == pytest.approx(1.0)  # top: 1, 1 ; bottom: 0, 0
    assert q3.discrimination == pytest.approx(1.0)
    assert q1.wrong_choice_picks == {"B": 4}
    assert q1.responses == 8 and q1.average_time is not None
    assert q1.flags == ()  # fewer than 10 responses: no verdict yet
    monkeypatch.setattr(quiz_selectors, "MIN_RESPONSES_FOR_FLAGS", 8)
    flagged = quiz_selectors.quiz_item_analysis(quiz=quiz).items
    assert flagged[0].flags == ("low discrimination",) and flagged[1].flags == ()


def test_class_results_show_best_score_attempts_and_lateness(eight_learners, teacher):
    a, b, c = eight_learners[:3]
    classroom = ClassroomFactory(teachers=[teacher])
    for learner in (a, b, c):
        Enrolment.objects.create(classroom=classroom, student=learner, joined_at=NOW)
    quiz = QuizFactory(
        owner=teacher, questions=ChoiceQuestionFactory.create_batch(2), visibility="assigned"
    )
    assignment = assignment_create(
        classroom=classroom, quiz=quiz, due_at=NOW + timedelta(days=1), by=teacher
    )
    take(a, quiz, [True, False])
    take(a, quiz, [True, True], now=NOW + timedelta(hours=1))
    take(b, quiz, [False, False], now=NOW + timedelta(days=2))

    results = class_results(classroom=classroom)

    assert [s.username for s in results.students] == sorted(u.username for u in (a, b, c))
    cell_a, cell_b, cell_c = (results.cell(s, assignment) for s in (a, b, c))
    assert (cell_a.attempts, cell_a.best_percentage, cell_a.on_time) == (2, Decimal(100), True)
    assert (cell_b.attempts, cell_b.best_percentage, cell_b.on_time) == (1, Decimal(0), False)
    assert (cell_c.attempts, cell_c.on_time) == (0, None)


def test_memory_per_deck_finds_the_students_at_risk(eight_learners, teacher, time_machine):
    strong, weak = eight_learners[:2]
    classroom = ClassroomFactory(teachers=[teacher])
    deck = DeckFactory()
    Assignment.objects.create(classroom=classroom, deck=deck, due_at=NOW)
    questions = [QuestionFactory(deck=deck) for _ in range(4)]
    for learner in (strong, weak):
        Enrolment.objects.create(classroom=classroom, student=learner, joined_at=NOW)
    start = NOW - timedelta(days=200)
    for q in questions:
        review_record(user=strong, question=q, rating=4, reviewed_at=start, review_id=_id())
        review_record(user=weak, question=q, rating=4, reviewed_at=start, review_id=_id())
        for days in (8, 30, 90):
            review_record(
                user=strong,
                question=q,
                rating=3,
                reviewed_at=start + timedelta(days=days),
                review_id=_id(),
            )

    (memory,) = class_deck_memory(classroom=classroom, now=NOW)

    assert memory.deck == deck and memory.students_studying == 2
    by_name = {s.username: s for s in memory.students}
    assert by_name[strong.username].average_recall > by_name[weak.username].average_recall
    assert by_name[strong.username].mastered == 4 and by_name[weak.username].mastered == 0
    assert by_name[weak.username].overdue == 4
    assert [s.username for s in memory.at_risk] == [weak.username]
    assert memory.mastered_share == 0.5
    assert memory.overdue_per_student == 2.0


def _id():
    import uuid

    return uuid.uuid4()


def test_class_reports_cost_bounded_queries_for_30_students_and_10_quizzes(
    teacher, django_assert_max_num_queries
):
    classroom = ClassroomFactory(teachers=[teacher])
    students = StudentFactory.create_batch(30)
    Enrolment.objects.bulk_create(
        Enrolment(classroom=classroom, student=s, joined_at=NOW) for s in students
    )
    deck = DeckFactory()
    question = QuestionFactory(deck=deck)
    for i in range(10):
        quiz = QuizFactory(owner=teacher, questions=[question])
        Assignment.objects.create(classroom=classroom, quiz=quiz, due_at=NOW + timedelta(days=i))
        Attempt.objects.bulk_create(
            Attempt(
                quiz=quiz,
                user=s,
                number=1,
                started_at=NOW,
                submitted_at=NOW,
                status="submitted",
                percentage=Decimal(50 + i),
            )
            for s in students
        )
    Assignment.objects.create(classroom=classroom, deck=deck, due_at=NOW)
    with django_assert_max_num_queries(4):  # students, assignments, attempts, latest attempts
        results = class_results(classroom=classroom)
    assert len(results.cells) == 300
    assert {cell.latest.progress for cell in results.cells.values()} == {"submitted"}
    with django_assert_max_num_queries(4):
        class_deck_memory(classroom=classroom, now=NOW)
    with django_assert_max_num_queries(4):
        quiz_selectors.quiz_item_analysis(quiz=quiz, students=classroom.students.all())
