"""Class results tell where each latest attempt stands, and link to its review, question by
question; a teacher reviews only attempts of their own class's students."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from quizapp.accounts.services import learner_delete
from quizapp.classroom.models import Enrolment
from quizapp.classroom.services import assignment_create
from quizapp.quizzes.models import Attempt
from quizapp.quizzes.services import (
    attempt_answer_save,
    attempt_expire_if_due,
    attempt_start,
    attempt_submit,
)
from tests.factories import (
    AcceptedAnswerFactory,
    ChoiceQuestionFactory,
    ClassroomFactory,
    QuestionFactory,
    QuizFactory,
    StudentFactory,
)

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def students(db):
    return StudentFactory.create_batch(5, date_joined=NOW - timedelta(days=100))


@pytest.fixture
def classroom(teacher, students):
    classroom = ClassroomFactory(teachers=[teacher])
    for student in students:
        Enrolment.objects.create(classroom=classroom, student=student, joined_at=NOW)
    return classroom


def quiz_for(classroom, teacher, **options):
    quiz = QuizFactory(
        owner=teacher,
        visibility="assigned",
        questions=[ChoiceQuestionFactory(prompt="Capital of Armenia?"), QuestionFactory()],
        **options,
    )
    assignment_create(classroom=classroom, quiz=quiz, due_at=NOW + timedelta(days=7), by=teacher)
    return quiz


def answer_first(attempt, now):
    aq = attempt.questions.order_by("position").first()
    key = aq.answer_key
    answer = key["choices"][0][0] if key["type"] == "single_choice" else True
    attempt_answer_save(attempt=attempt, question_id=aq.question_id, answer=answer, now=now)


def latest_column(client, classroom, quiz) -> dict[str, str]:
    """The CSV's "latest attempt" column of `quiz`, by student."""
    url = reverse("admin:classroom_classroom_results", args=[classroom.pk]) + "?format=csv"
    table = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    column = next(i for i, h in enumerate(table[0]) if h.startswith(quiz.title)) + 3
    assert table[0][column] == "latest attempt"
    return {row[0]: row[column] for row in table[1:]}


def test_class_results_tell_where_each_latest_attempt_stands(client, teacher, classroom, students):
    timed = quiz_for(classroom, teacher, time_limit=timedelta(minutes=10))
    untimed = quiz_for(classroom, teacher)
    done, ran_out, left_running, working, gone = students
    started = NOW - timedelta(hours=2)
    attempt = attempt_start(user=done, quiz=timed, now=started)
    answer_first(attempt, started + timedelta(minutes=2))
    attempt_submit(attempt=attempt, now=started + timedelta(minutes=3))
    attempt = attempt_start(user=ran_out, quiz=timed, now=started)
    answer_first(attempt, started + timedelta(minutes=2))
    attempt_expire_if_due(attempt=attempt, now=started + timedelta(minutes=20))
    attempt_start(user=left_running, quiz=timed, now=started)  # time up, never reopened
    attempt = attempt_start(user=working, quiz=untimed, now=NOW - timedelta(days=3))
    answer_first(attempt, NOW - timedelta(minutes=5))  # started long ago, still at it
    attempt_start(user=gone, quiz=untimed, now=NOW - timedelta(days=3))
    client.force_login(teacher)

    assert latest_column(client, classroom, timed) == {
        done.username: "submitted",
        ran_out.username: "timed out, submitted automatically",
        left_running.username: "timed out, not submitted yet",
        working.username: "",
        gone.username: "",
    }
    assert latest_column(client, classroom, untimed) == {
        done.username: "",
        ran_out.username: "",
        left_running.username: "",
        working.username: "in progress",
        gone.username: "abandoned: no activity since 1 May 2026",
    }


def test_the_latest_attempt_links_to_its_review(client, teacher, classroom, students):
    quiz = quiz_for(classroom, teacher)
    first = attempt_start(user=students[0], quiz=quiz, now=NOW - timedelta(hours=1))
    attempt_submit(attempt=first, now=NOW - timedelta(hours=1))
    second = attempt_start(user=students[0], quiz=quiz, now=NOW)
    client.force_login(teacher)
    html = client.get(reverse("admin:classroom_classroom_results", args=[classroom.pk])).content
    review = reverse("admin:classroom_classroom_attempt", args=[classroom.pk, second.pk])
    assert f'<a href="{review}">in progress (attempt 2)</a>'.encode() in html


def review_url(classroom, attempt):
    return reverse("admin:classroom_classroom_attempt", args=[classroom.pk, attempt.pk])


def test_a_teacher_reviews_an_attempt_question_by_question(
    client, teacher, classroom, students, django_assert_max_num_queries
):
    typed = QuestionFactory(type="short_text", answer_bool=None, prompt="Which airport?")
    AcceptedAnswerFactory(question=typed, position=0, text="Zvartnots")
    choice = ChoiceQuestionFactory(
        prompt="Capital of Armenia?", choices=[("Yerevan", True), ("Baku", False)]
    )
    unanswered = QuestionFactory(prompt="The war ended in 1994.")
    quiz = QuizFactory(owner=teacher, visibility="assigned", questions=[choice, typed, unanswered])
    assignment_create(classroom=classroom, quiz=quiz, due_at=NOW, by=teacher)
    student = students[0]
    started = NOW - timedelta(minutes=30)
    attempt = attempt_start(user=student, quiz=quiz, now=started)
    baku = next(
        cid
        for cid, text, _ in attempt.questions.get(question=choice).answer_key["choices"]
        if text == "Baku"
    )
    attempt_answer_save(
        attempt=attempt, question_id=choice.pk, answer=baku, now=started + timedelta(seconds=40)
    )
    attempt_answer_save(
        attempt=attempt,
        question_id=typed.pk,
        answer="Zvartnotz",
        now=started + timedelta(seconds=100),
    )
    attempt_submit(attempt=attempt, now=started + timedelta(minutes=2))
    client.force_login(teacher)
    with django_assert_max_num_queries(12):
        response = client.get(review_url(classroom, attempt))
    assert response.status_code == 200
    html = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert f"{student.username}: {quiz.title}, attempt 1" in text
    assert "Status Submitted" in text
    assert "Question 1 · Single choice · 1 point" in text
    assert "Answer given Baku Correct answer Yerevan Score 0 of 1 (not correct)" in text
    assert "Time 40 s, answered 4 May 2026, 08:30" in text
    assert "Answer given Zvartnotz Correct answer Zvartnots" in text
    assert "Answer given Not answered. Correct answer True Score 0 of 1" in text
    bank = reverse("admin:bank_question_change", args=[choice.pk])
    assert f'<a href="{bank}">Open the question in the bank</a>' in html


def test_a_teacher_sees_the_answers_before_the_quiz_shows_them_to_students(
    client, teacher, classroom, students
):
    quiz = quiz_for(
        classroom, teacher, feedback_mode="after_close", closes_at=NOW + timedelta(days=30)
    )
    attempt = attempt_start(user=students[0], quiz=quiz, now=NOW)
    answer_first(attempt, NOW)
    client.force_login(teacher)
    text = client.get(review_url(classroom, attempt)).content.decode()
    assert "Correct answer" in text and "Status" in text and "In progress" in text


def test_attempt_reviews_are_404_outside_the_teachers_class(
    client, teacher, other_teacher, classroom, students
):
    quiz = quiz_for(classroom, teacher)
    mine = attempt_start(user=students[0], quiz=quiz, now=NOW)
    outsider = StudentFactory(date_joined=NOW - timedelta(days=100))
    public = QuizFactory(owner=teacher, questions=[QuestionFactory()])  # not assigned
    not_enrolled = attempt_start(user=outsider, quiz=public, now=NOW)
    theirs = QuizFactory(owner=other_teacher, questions=[QuestionFactory()])  # public, not ours
    elsewhere = attempt_start(user=students[1], quiz=theirs, now=NOW)
    their_class = ClassroomFactory(teachers=[other_teacher])
    Enrolment.objects.create(classroom=their_class, student=outsider, joined_at=NOW)
    client.force_login(teacher)
    assert client.get(review_url(classroom, mine)).status_code == 200
    for attempt in (not_enrolled, elsewhere):
        assert client.get(review_url(classroom, attempt)).status_code == 404
    # Another teacher: not through their own class, nor through ours.
    client.force_login(other_teacher)
    assert client.get(review_url(classroom, mine)).status_code == 404
    assert client.get(review_url(their_class, mine)).status_code == 404
    assert client.get(review_url(their_class, not_enrolled)).status_code == 404


def test_a_student_who_left_or_deleted_their_account_is_no_longer_reviewable(
    client, teacher, classroom, students
):
    quiz = quiz_for(classroom, teacher)
    left, deleted = students[:2]
    attempts = []
    for student in (left, deleted):
        attempt = attempt_start(user=student, quiz=quiz, now=NOW)
        attempts.append(attempt_submit(attempt=attempt, now=NOW))
    Enrolment.objects.filter(student=left).delete()
    learner_delete(user=deleted)
    assert Attempt.objects.filter(pk=attempts[1].pk, user=None).exists()  # kept, anonymised
    client.force_login(teacher)
    for attempt in attempts:
        assert client.get(review_url(classroom, attempt)).status_code == 404
    results = client.get(reverse("admin:classroom_classroom_results", args=[classroom.pk]))
    assert left.username not in results.content.decode()


def test_memory_per_deck_counts_a_student_only_once_they_accept_the_invitation(
    client, teacher, classroom
):
    import uuid

    from quizapp.classroom.models import Assignment
    from quizapp.classroom.services import invitation_accept, invitation_create
    from quizapp.study.services import review_record
    from tests.factories import DeckFactory

    deck = DeckFactory(title="Ceasefires")
    Assignment.objects.create(classroom=classroom, deck=deck, due_at=NOW)
    invited = StudentFactory(username="invited-student", date_joined=NOW - timedelta(days=100))
    review_record(
        user=invited,
        question=QuestionFactory(deck=deck),
        rating=3,
        reviewed_at=NOW - timedelta(days=2),
        review_id=uuid.uuid4(),
    )
    invitation = invitation_create(classroom=classroom, username=invited.username, by=teacher)
    client.force_login(teacher)
    url = reverse("admin:classroom_classroom_memory", args=[classroom.pk]) + "?format=csv"
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    assert rows[1][:2] == ["Ceasefires", "0"]  # invited is not enrolled: nobody studying
    invitation_accept(invitation=invitation, user=invited)
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    assert rows[1][:2] == ["Ceasefires", "1"]
