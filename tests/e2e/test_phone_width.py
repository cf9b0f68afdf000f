"""Pages that held more than a phone's width: the teacher's reports (class results with several
assigned quizzes, item analysis, memory per deck) and the teacher home, in the admin; and the
student home's deck table, whose Study and Practise links were cut off."""

import uuid
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from quizapp.bank.grading import correct_answer
from quizapp.bank.models import Question
from quizapp.classroom.management.commands.seed_demo import DEMO_CLASS, DEMO_QUIZ
from quizapp.classroom.models import Assignment, Classroom
from quizapp.quizzes.models import Quiz
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from quizapp.study.services import review_record
from tests.e2e.conftest import PHONE, admin_log_in, assert_no_sideways_scroll, log_in
from tests.factories import QuizFactory, StudentFactory

LINKS_CUT_OFF = """(table) => [...table.querySelectorAll("a")]
  .filter((a) => a.getBoundingClientRect().right > table.closest(".table-scroll")
    .getBoundingClientRect().right + 0.5)
  .map((a) => a.textContent.trim())"""


def test_the_home_decks_show_their_study_and_practise_links_whole_on_a_phone(new_page, seeded):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, "ani", "quizapp-student")
    rows = page.locator("table.decks tbody tr")
    expect(rows).to_have_count(5)
    assert page.locator("table.decks").evaluate(LINKS_CUT_OFF) == []
    for index in range(rows.count()):
        for name in ("Study", "Practise"):
            link = rows.nth(index).get_by_role("link", name=name)
            expect(link).to_be_visible()
    assert_no_sideways_scroll(page)


def a_class_with_results() -> Classroom:
    """The demo class with three assigned quizzes, long titles, and learners who took them."""
    classroom = Classroom.objects.get(name=DEMO_CLASS)
    teacher = classroom.teachers.get()
    questions = list(Question.objects.published().order_by("slug")[:6])
    quizzes = [Quiz.objects.get(title=DEMO_QUIZ)] + [
        QuizFactory(
            title=f"Checkpoint {n}: the corridor, the ceasefire and the peacekeepers",
            owner=teacher,
            visibility="assigned",
            questions=questions[n : n + 3],
        )
        for n in (1, 2)
    ]
    due = timezone.now() + timedelta(days=3)
    for quiz in quizzes[1:]:
        Assignment.objects.create(classroom=classroom, quiz=quiz, due_at=due, created_by=teacher)
    for number in range(4):
        student = StudentFactory(username=f"learner-with-a-long-name-{number}")
        classroom.students.add(student, through_defaults={"joined_at": timezone.now()})
        for quiz in quizzes:
            attempt = attempt_start(user=student, quiz=quiz)
            for shown in attempt.questions.all()[:2]:
                right = correct_answer(shown.question.answer_key())
                attempt_answer_save(attempt=attempt, question_id=shown.question_id, answer=right)
            attempt_submit(attempt=attempt)
        review_record(
            user=student,
            question=questions[0],
            rating=3,
            reviewed_at=timezone.now(),
            review_id=uuid.uuid4(),
        )
    return classroom


def test_the_teachers_home_and_reports_fit_a_phone(new_page, seeded, axe_check):
    classroom = a_class_with_results()
    page: Page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    admin_log_in(page, "teacher", "quizapp-teacher")
    axe_check(page, "phone-admin-home")
    page.get_by_role("link", name="results").click()
    expect(page.get_by_role("heading", name=f"Results: {classroom.name}")).to_be_visible()
    table = page.get_by_role("region", name=f"Results: {classroom.name}")
    expect(table.get_by_role("row")).to_have_count(6)  # the header and five learners
    axe_check(page, "phone-admin-class-results")
    page.get_by_role("link", name="Back").click()
    page.get_by_role("link", name="memory per deck").click()
    expect(page.get_by_role("heading", name=f"Memory per deck: {classroom.name}")).to_be_visible()
    axe_check(page, "phone-admin-memory")
    quiz = Quiz.objects.get(title=DEMO_QUIZ)
    page.goto("/admin/quizzes/quiz/")
    page.get_by_role("row", name=quiz.title).get_by_role("link", name="item analysis").click()
    expect(page.get_by_role("heading", name=f"Item analysis: {quiz.title}")).to_be_visible()
    axe_check(page, "phone-admin-item-analysis")
