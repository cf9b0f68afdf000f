"""The demo quiz's ten questions are flashcards in the seeded decks too, in a real browser: the
teacher is warned in the quiz builder, and a student who starts the quiz finds none of them on
the study page, by link or in practice until they submit it."""

import os

from playwright.sync_api import expect

from quizapp.bank.models import Question
from quizapp.classroom.management.commands.seed_demo import DEMO_QUIZ
from quizapp.quizzes.models import Attempt, Quiz
from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE, admin_log_in, log_in


def screenshot(page, name: str) -> None:
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "pages" / f"{name}.png", full_page=True)
        page.screenshot(path=ARTIFACTS / "pages" / f"{name}-first-screen.png")


def test_the_demo_quizs_flashcards_wait_until_it_is_submitted(new_page, seeded, axe_check):
    quiz = Quiz.objects.get(title=DEMO_QUIZ)
    in_quiz = list(Question.objects.filter(quiz_items__quiz=quiz))

    for viewport in (DESKTOP, PHONE):
        teacher = new_page(viewport=viewport, is_mobile=viewport is PHONE)
        admin_log_in(teacher, "teacher", "quizapp-teacher")
        teacher.goto(f"/admin/quizzes/quiz/{quiz.pk}/change/")
        warning = teacher.locator(".messagelist .warning")
        expect(warning).to_contain_text("10 of this quiz's 10 questions are also flashcards")
        expect(warning).to_contain_text("withheld from that learner's study")
        # Not axe-checked: the builder's empty extra question picker has no accessible name
        # (the quiz builder's own matter); the warning itself is a plain admin message.
        screenshot(teacher, f"admin-quiz-flashcards-warning-{viewport['width']}")

    student = new_page(viewport=PHONE, is_mobile=True)
    log_in(student, "ani", "quizapp-student")
    student.goto(f"/quizzes/{quiz.pk}/")
    student.get_by_role("button", name="Start").click()
    expect(student.locator("li.attempt-question")).to_have_count(10)

    for url in ("/study/", "/practice/"):
        student.goto(url)
        expect(student.locator(".card-front")).to_be_visible()
        shown = student.locator("main").inner_text()
        assert not [q.slug for q in in_quiz if q.prompt in shown], url
        axe_check(student, f"study-during-quiz{url.replace('/', '-')}390")
    response = student.goto(f"/practice/?card={in_quiz[0].pk}")
    assert response.status == 404

    attempt = Attempt.objects.get(quiz=quiz, user__username="ani")
    student.goto(f"/attempts/{attempt.pk}/")
    student.get_by_role("link", name="Finish and submit…").click()
    student.get_by_role("button", name="Submit my answers").click()
    expect(student.get_by_role("status").first).to_contain_text("Your quiz was submitted.")
    response = student.goto(f"/practice/?card={in_quiz[0].pk}")
    assert response.status == 200
    expect(student.locator("main")).to_contain_text(in_quiz[0].prompt)
