"""Deck presets and the workload simulation in a real browser, on a desktop and a phone: what
the learner sees after each action, and axe on every state."""

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, log_in


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways ({overflow}px)"


def test_a_preset_for_a_deck_and_the_workload_simulation(page: Page, seeded, axe_check):
    log_in(page, "ani", "quizapp-student")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    axe_check(page, "settings-presets")

    page.get_by_role("link", name="New preset…").click()
    expect(page.get_by_label("Learning steps", exact=True)).to_have_value("1m 10m")
    page.get_by_label("Name").fill("Exam")
    page.get_by_label("Desired retention").fill("0.95")
    page.get_by_label("Learning steps", exact=True).fill("5m 1h")
    axe_check(page, "preset-new")
    page.get_by_role("button", name="Save preset").click()
    expect(page.locator(".messages")).to_contain_text("The preset “Exam” is saved.")

    page.get_by_label("Places and capitals").select_option(label="Exam")
    page.get_by_role("button", name="Save decks’ presets").click()
    expect(page.locator(".messages")).to_contain_text("Your decks’ presets are saved.")
    expect(page.get_by_label("Places and capitals")).to_have_value(
        page.get_by_label("Places and capitals")
        .locator("option", has_text="Exam")
        .get_attribute("value")
    )
    exam = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Exam"))
    expect(exam.locator("dd").first).to_have_text("0.95")
    expect(exam.locator("dd").nth(3)).to_have_text("5m 1h")
    expect(exam).to_contain_text("Decks: Places and capitals")

    # The deck's cards now come back after the preset's first step.
    page.goto("/study/places-and-capitals/")
    expect(page.locator('[data-rating="1"] .rating-interval')).to_have_text("5m")

    page.goto("/settings/")
    page.get_by_role("button", name="Simulate my workload").click()
    expect(page.locator("svg.workload-chart")).to_be_visible()
    expect(page.locator("#workload-summary")).to_contain_text("costs the least work per card")
    year = page.get_by_role("region", name="The next year: workload per desired retention")
    expect(year.get_by_role("row")).to_have_count(9)  # header + 8 retentions
    axe_check(page, "settings-workload")


def test_preset_and_workload_pages_fit_a_phone(new_page, seeded, axe_check):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, "ani", "quizapp-student")
    page.goto("/settings/")
    page.get_by_role("button", name="Simulate my workload").click()
    expect(page.locator("svg.workload-chart")).to_be_visible()
    no_sideways_scroll(page)
    axe_check(page, "phone-settings-workload", schemes=None)
    page.get_by_role("link", name="New preset…").click()
    no_sideways_scroll(page)
    axe_check(page, "phone-preset-new", schemes=None)


def test_the_home_page_says_how_many_cards_to_review_before_an_exam(new_page, seeded, axe_check):
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from quizapp.bank.models import Deck
    from quizapp.classroom.models import Classroom
    from quizapp.classroom.services import assignment_create

    teacher = get_user_model().objects.get(username="teacher")
    classroom = Classroom.objects.get(teachers=teacher)
    deck = Deck.objects.get(slug="russia-role")
    exam = (timezone.now() + timedelta(days=10)).date()
    assignment_create(
        classroom=classroom,
        by=teacher,
        deck=deck,
        due_at=timezone.now() + timedelta(days=9),
        exam_date=exam,
    )
    total = deck.memberships.filter(question__status="published").count()
    for viewport, name in ((None, "home-exam"), (PHONE, "phone-home-exam")):
        page = new_page(viewport=viewport) if viewport else new_page()
        log_in(page, "ani", "quizapp-student")
        notice = page.locator(".notice.exam")
        expect(notice).to_contain_text(
            f"{total} cards to review before the exam on {exam:%a} {exam.day} {exam:%b}"
        )
        expect(notice).to_contain_text(f"{deck.title} ({classroom.name})")
        no_sideways_scroll(page)
        axe_check(page, name, schemes=("light", "dark") if viewport is None else None)
        notice.get_by_role("link", name=f"Study {deck.title} for the exam").click()
        expect(page.locator(".badge-new")).to_be_visible()  # the exam deck's new cards
