"""Every page of the teacher admin, in a real browser: each shows what it is for, passes axe
with no serious or critical finding in light and dark, and does not scroll sideways on a
390 px phone. And two journeys through the new pages: inviting a student, who accepts on the
web Classes page, and reviewing a student's attempt question by question from the results."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from quizapp.accounts.models import User
from quizapp.bank.grading import AnswerKey, correct_answer
from quizapp.bank.models import Question, Source
from quizapp.classroom.management.commands.seed_demo import DEMO_CLASS, DEMO_QUIZ
from quizapp.classroom.models import Classroom
from quizapp.quizzes.models import Quiz
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from tests.e2e.conftest import ARTIFACTS, PHONE, admin_log_in, log_in
from tests.factories import ChoiceQuestionFactory

BROKEN_GIFT = """::capital-e2e:: What is the capital of Armenia? {=Yerevan ~Baku}

::essay-e2e:: Discuss the conflict. {}
"""


def phone_screenshot(page: Page, name: str) -> None:
    """With `E2E_SCREENSHOTS=1`, the page as a 390 px phone shows it (`axe_check` has already
    made sure it does not scroll sideways there)."""
    if os.environ.get("E2E_SCREENSHOTS") != "1":
        return
    viewport = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        folder = ARTIFACTS / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}-phone.png", full_page=True)
    finally:
        page.set_viewport_size(viewport)


def run_action(page: Page, changelist: str, row: str, action: str) -> None:
    """Tick one row of a changelist and run one of its actions on it."""
    page.goto(changelist)
    page.get_by_role("checkbox", name=re.compile(f"^Select this object.*{re.escape(row)}")).check()
    page.get_by_role("combobox", name=re.compile("^Action")).select_option(label=action)
    page.get_by_role("button", name="Run").click()


def check(page: Page, name: str, axe_check) -> None:
    axe_check(page, name)  # light and dark, and no sideways scroll at 390 px
    phone_screenshot(page, name)


@pytest.fixture
def classroom(seeded) -> Classroom:
    """The demo class, where ani has answered two questions of the demo quiz and submitted."""
    ani = User.objects.get(username="ani")
    quiz = Quiz.objects.get(title=DEMO_QUIZ)
    started = timezone.now() - timedelta(minutes=20)
    attempt = attempt_start(user=ani, quiz=quiz, now=started)
    for number, shown in enumerate(attempt.questions.order_by("position")[:2]):
        attempt_answer_save(
            attempt=attempt,
            question_id=shown.question_id,
            answer=correct_answer(AnswerKey.from_json(shown.answer_key)),
            now=started + timedelta(minutes=number + 1),
        )
    attempt_submit(attempt=attempt, now=started + timedelta(minutes=5))
    return Classroom.objects.get(name=DEMO_CLASS)


def test_every_teacher_page_passes_axe_and_fits_a_phone(new_page, classroom, axe_check):
    teacher = User.objects.get(username="teacher")
    own = ChoiceQuestionFactory(owner=teacher, slug="own-e2e", prompt="Which city is the capital?")
    quiz = Quiz.objects.get(title=DEMO_QUIZ)
    source = Source.objects.get()
    typed = Question.objects.published().filter(type="short_text").order_by("slug").first()
    attempt = quiz.attempts.get()
    page = new_page()
    admin_log_in(page, "teacher", "quizapp-teacher")

    def visit(name: str, url: str, heading: str) -> None:
        page.goto(url)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        check(page, name, axe_check)

    visit("admin-home", "/admin/", "Teacher home")
    # The question bank.
    visit("admin-questions", "/admin/bank/question/", "Select question to change")
    visit("admin-question-type", "/admin/bank/question/add/", "Add question: choose its type")
    page.get_by_label("Numeric").check()
    page.get_by_label("Source").select_option(label=source.title)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Numeric value")).to_be_visible()
    expect(page.get_by_role("region", name=f"Paragraphs of {source.title}")).to_be_visible()
    check(page, "admin-question-add", axe_check)
    visit("admin-question-change", f"/admin/bank/question/{typed.pk}/change/", "View question")
    expect(page.get_by_role("heading", name=re.compile("^Accepted answers"))).to_be_visible()
    visit("admin-question-own", f"/admin/bank/question/{own.pk}/change/", "Change question")
    visit(
        "admin-question-preview",
        f"/admin/bank/question/{typed.pk}/preview/",
        "Preview: " + typed.slug,
    )
    visit(
        "admin-question-regrade",
        f"/admin/bank/question/{own.pk}/regrade/",
        "Regrade answers to own-e2e",
    )
    visit("admin-import", "/admin/bank/question/import/", "Import questions")
    page.get_by_label("Format").select_option(label="Moodle GIFT")
    page.get_by_label("…or paste the text").fill(BROKEN_GIFT)
    page.get_by_role("button", name="Preview").click()
    expect(
        page.get_by_role(
            "button",
            name="Import the 1 valid question(s) as drafts and skip 1 line with problems",
        )
    ).to_be_visible()
    check(page, "admin-import-preview", axe_check)
    run_action(
        page,
        "/admin/bank/question/?q=own-e2e",
        "own-e2e",
        "Add the selected questions to one of your quizzes",
    )
    expect(page.get_by_role("heading", name="Add questions to a quiz")).to_be_visible()
    check(page, "admin-add-to-quiz", axe_check)
    visit("admin-decks", "/admin/bank/deck/", "Select deck to change")
    visit("admin-deck-add", "/admin/bank/deck/add/", "Add deck")
    visit("admin-source", f"/admin/bank/source/{source.pk}/change/", "View source")
    visit("admin-coverage", f"/admin/bank/source/{source.pk}/coverage/", f"Coverage of “{source}”")
    # Quizzes.
    visit("admin-quizzes", "/admin/quizzes/quiz/", "Select quiz to change")
    visit("admin-quiz-builder", "/admin/quizzes/quiz/add/", "Add quiz")
    # The picker finds a question by words of its text, and shows it by its text and type.
    row = page.locator("#items-group tbody tr.form-row:not(.empty-form)").first
    row.get_by_role("combobox", name="Question, row 1").click()
    page.locator(".select2-search__field").fill("capital")
    page.get_by_role("option", name=re.compile(r"^Which city is the capital\? \(Single")).click()
    expect(row.get_by_role("combobox", name="Question, row 1")).to_contain_text(
        "Which city is the capital? (Single choice · own-e2e)"
    )
    check(page, "admin-quiz-builder-picked", axe_check)
    visit("admin-quiz-change", f"/admin/quizzes/quiz/{quiz.pk}/change/", "Change quiz")
    visit("admin-quiz-preview", f"/admin/quizzes/quiz/{quiz.pk}/preview/", f"Preview: {quiz}")
    visit(
        "admin-item-analysis",
        f"/admin/quizzes/quiz/{quiz.pk}/item-analysis/",
        f"Item analysis: {quiz}",
    )
    run_action(page, "/admin/quizzes/quiz/", quiz.title, "Assign the selected quizzes to a class")
    expect(page.get_by_role("heading", name="Assign to a class")).to_be_visible()
    check(page, "admin-assign", axe_check)
    visit("admin-attempts", "/admin/quizzes/attempt/", "Select attempt to view")
    # Classes.
    visit("admin-classes", "/admin/classroom/classroom/", "Select classroom to change")
    visit("admin-class-add", "/admin/classroom/classroom/add/", "Add classroom")
    visit(
        "admin-class-change",
        f"/admin/classroom/classroom/{classroom.pk}/change/",
        "Change classroom",
    )
    visit(
        "admin-class-invite",
        f"/admin/classroom/classroom/{classroom.pk}/invite/",
        f"Invite students to {classroom}",
    )
    visit(
        "admin-class-regenerate",
        f"/admin/classroom/classroom/{classroom.pk}/regenerate-code/",
        f"Regenerate the join code of {classroom}",
    )
    visit(
        "admin-class-results",
        f"/admin/classroom/classroom/{classroom.pk}/results/",
        f"Results: {classroom}",
    )
    visit(
        "admin-class-memory",
        f"/admin/classroom/classroom/{classroom.pk}/memory/",
        f"Memory per deck: {classroom}",
    )
    visit(
        "admin-attempt-review",
        f"/admin/classroom/classroom/{classroom.pk}/attempts/{attempt.pk}/",
        f"Ani Petrosyan (ani): {quiz}, attempt 1",
    )
    visit("admin-assignments", "/admin/classroom/assignment/", "Select assignment to change")
    # The API's documentation, closed and with an operation open to try.
    page.goto("/api/docs/")
    expect(page.get_by_role("heading", name=re.compile("^quizapp API"))).to_be_visible()
    check(page, "api-docs", axe_check)
    page.locator(".opblock-summary-control").first.click()
    page.get_by_role("button", name="Try it out").click()
    expect(page.get_by_role("button", name="Execute")).to_be_visible()
    check(page, "api-docs-operation", axe_check)


def test_a_teacher_invites_a_student_who_accepts_on_the_classes_page(
    new_page, classroom, axe_check
):
    teacher = new_page()
    admin_log_in(teacher, "teacher", "quizapp-teacher")
    teacher.goto(f"/admin/classroom/classroom/{classroom.pk}/change/")
    roster = teacher.locator("#enrolments-group")
    expect(roster).to_contain_text("ani")
    expect(roster).not_to_contain_text("elvin")
    teacher.get_by_role("link", name="Invite a student by username…").click()
    teacher.get_by_label("Student's username").fill("admin")  # staff: never invitable
    teacher.get_by_role("button", name="Invite", exact=True).click()
    expect(teacher.get_by_text("No student has the username “admin”.")).to_be_visible()
    teacher.get_by_label("Student's username").fill("elvin")
    teacher.get_by_role("button", name="Invite", exact=True).click()
    expect(teacher.locator(".messagelist")).to_contain_text("Invitation sent to elvin")
    waiting = teacher.get_by_role("region", name="Waiting for an answer")
    expect(waiting.get_by_role("row", name=re.compile("elvin"))).to_be_visible()
    check(teacher, "admin-class-invite-sent", axe_check)

    student = new_page()
    log_in(student, "elvin", "quizapp-student")
    student.goto("/classes/")
    invitations = student.get_by_role("region", name="Invitations")
    expect(invitations).to_contain_text(f"invited you to {DEMO_CLASS}")
    expect(student.get_by_role("heading", name=DEMO_CLASS)).to_have_count(0)
    check(student, "classes-invitation", axe_check)
    invitations.get_by_role("button", name="Accept").click()
    expect(student.get_by_text(f"You joined {DEMO_CLASS}.")).to_be_visible()
    expect(student.get_by_role("heading", name=DEMO_CLASS)).to_be_visible()
    expect(student.get_by_role("region", name="Invitations")).to_have_count(0)

    teacher.reload()
    expect(teacher.get_by_text("No invitation is waiting for an answer.")).to_be_visible()
    teacher.goto(f"/admin/classroom/classroom/{classroom.pk}/change/")
    expect(roster).to_contain_text("elvin")


def test_a_teacher_reviews_a_students_attempt_from_the_class_results(
    new_page, classroom, axe_check
):
    attempt = Quiz.objects.get(title=DEMO_QUIZ).attempts.get()
    first = attempt.questions.order_by("position").first()
    page = new_page()
    admin_log_in(page, "teacher", "quizapp-teacher")
    page.goto(f"/admin/classroom/classroom/{classroom.pk}/results/")
    row = page.locator("#result_list tbody tr", has_text="ani")
    row.get_by_role("link", name="submitted").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Ani Petrosyan \(ani\)"))).to_be_visible()
    question = page.locator(".quizapp-review-questions > li").first
    expect(question).to_contain_text(first.prompt)
    expect(question.locator("dt", has_text="Answer given")).to_be_visible()
    expect(question.locator("dt", has_text="Correct answer")).to_be_visible()
    expect(question).to_contain_text("answered")  # its time and when it was answered
    expect(page.locator(".quizapp-review-questions > li")).to_have_count(attempt.questions.count())
    check(page, "admin-attempt-review-from-results", axe_check)
    page.get_by_role("link", name="Back to the class results").click()
    expect(page.get_by_role("heading", name=f"Results: {classroom}")).to_be_visible()
