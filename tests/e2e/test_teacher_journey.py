"""The teacher's loop in the admin, in a real browser: build a quiz from bank questions, assign
it to the demo class, and find a student's submission in the class results and their CSV."""

import csv
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from quizapp.bank.models import Question
from quizapp.classroom.management.commands.seed_demo import DEMO_CLASS
from quizapp.quizzes.models import Quiz
from tests.e2e.conftest import admin_log_in, log_in
from tests.factories import PASSWORD, StudentFactory

TITLE = "Capitals check (e2e)"


def test_teacher_builds_assigns_and_sees_a_students_submission(new_page, seeded, axe_check):
    questions = list(Question.objects.published().filter(type="true_false").order_by("slug")[:3])
    teacher = new_page()
    admin_log_in(teacher, "teacher", "quizapp-teacher")
    axe_check(teacher, "admin-home")

    build_quiz(teacher, questions, axe_check)
    quiz = Quiz.objects.get(title=TITLE)
    # The third question was moved up with the arrow: positions follow the screen.
    assert [item.question for item in quiz.items.order_by("position")] == [
        questions[0],
        questions[2],
        questions[1],
    ]
    assert quiz.published and quiz.feedback_mode == "immediate"
    assert quiz.owner.username == "teacher"

    assign_to_demo_class(teacher, axe_check)
    assert quiz.assignments.get().classroom.name == DEMO_CLASS

    student = StudentFactory(username="davit", first_name="Davit")
    take_the_quiz_as_a_student(new_page(), student.username, questions)

    see_the_submission_in_the_class_results(teacher, student.username, axe_check)


def build_quiz(teacher: Page, questions: list[Question], axe_check) -> None:
    teacher.goto("/admin/quizzes/quiz/")
    teacher.get_by_role("link", name=re.compile(r"^Add quiz")).click()
    expect(teacher.get_by_role("heading", name="Add quiz")).to_be_visible()
    teacher.get_by_label("Title").fill(TITLE)
    teacher.get_by_label("Published").check()
    teacher.get_by_label("Feedback mode").select_option(label="Immediately, question by question")
    rows = teacher.locator("#items-group tbody tr.form-row:not(.empty-form)")
    for index, question in enumerate(questions):
        if index:
            teacher.locator("#items-group .add-row a").click()  # the inline's "Add another"
        row = rows.nth(index)
        # The question autocomplete (select2): open it, search the bank, pick the match.
        row.locator(".select2-selection").click()
        teacher.locator(".select2-search__field").fill(question.slug)
        teacher.locator(".select2-results__option", has_text=question.slug).click()
        expect(row.locator(".select2-selection__rendered")).to_contain_text(question.slug)
    expect(rows).to_have_count(3)
    rows.nth(2).get_by_role("button", name="Move up").click()
    expect(rows.nth(1).locator(".select2-selection__rendered")).to_contain_text(questions[2].slug)
    expect(rows.nth(1).get_by_role("button", name="Move up")).to_be_focused()
    axe_check(teacher, "admin-quiz-add")
    teacher.get_by_role("button", name="Save", exact=True).click()
    expect(teacher.locator(".messagelist")).to_contain_text("was added successfully")


def assign_to_demo_class(teacher: Page, axe_check) -> None:
    teacher.get_by_role("checkbox", name=f"Select this object for an action - {TITLE}").check()
    teacher.get_by_role("combobox", name=re.compile(r"^Action")).select_option(
        label="Assign the selected quizzes to a class"
    )
    teacher.get_by_role("button", name="Run").click()
    expect(teacher.get_by_text(f"Assign 1 quiz(zes): {TITLE}")).to_be_visible()
    axe_check(teacher, "admin-assign")
    teacher.get_by_label("Class").select_option(label=DEMO_CLASS)
    due = timezone.localtime(timezone.now() + timedelta(days=7))
    teacher.get_by_label("Due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    teacher.get_by_role("button", name="Assign").click()
    expect(teacher.locator(".messagelist")).to_contain_text("1 quiz(zes) assigned.")


def take_the_quiz_as_a_student(page: Page, username: str, questions: list[Question]) -> None:
    log_in(page, username, PASSWORD)
    page.goto("/classes/")
    page.get_by_label("Join code from your teacher").fill("KARABAKH")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quizzes").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="Start").click()
    for question in questions:
        block = page.locator("li.attempt-question", has_text=question.prompt)
        block.get_by_label("True" if question.answer_bool else "False").check()
        # Immediate feedback: the first answer saved is final, so it is saved on request, and
        # the graded question comes back locked, with its verdict.
        block.get_by_role("button", name="Save and check").click()
        expect(block.locator(".verdict-title")).to_have_text("Correct — 1 point")
    page.get_by_role("link", name="Finish and submit…").click()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", name="Passed: 100.0%")).to_be_visible()


def see_the_submission_in_the_class_results(teacher: Page, username: str, axe_check) -> None:
    teacher.goto("/admin/")
    teacher.get_by_role("region", name="Your classes").get_by_role("link", name=DEMO_CLASS).click()
    expect(teacher.get_by_text("KARABAKH")).to_be_visible()
    teacher.get_by_role("link", name="results", exact=True).click()
    expect(teacher.get_by_role("heading", name=f"Results: {DEMO_CLASS}")).to_be_visible()
    header = teacher.locator("#result_list thead th")
    expect(header.filter(has_text=TITLE)).to_have_count(1)
    columns = [text.strip() for text in header.all_text_contents()]
    quiz_column = next(i for i, text in enumerate(columns) if text.startswith(TITLE))
    row = teacher.locator("#result_list tbody tr", has_text=username)
    cells = row.locator("td")
    expect(cells.nth(quiz_column)).to_have_text("100.0%")
    expect(cells.nth(quiz_column + 1)).to_have_text("1")
    expect(cells.nth(quiz_column + 2)).to_have_text("on time")
    axe_check(teacher, "admin-class-results")

    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    with open(download.value.path(), newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert table[0] == columns  # the CSV has the page's columns
    by_student = {line[0]: line for line in table[1:]}
    assert by_student[username][quiz_column : quiz_column + 3] == ["100.0%", "1", "on time"]
    # Enrolled, nothing submitted yet.
    assert by_student["ani"][quiz_column : quiz_column + 3] == ["", "0", "not submitted"]
