"""A new student's first day, in a real browser: sign up, join the demo class, study with the
keyboard, undo, practise with a typed answer, take the demo quiz, then see it all on the
progress page and in the source article, and leave the class. axe-core checks every page on
the way, in light and dark, and that it fits a phone's width.

Then a quiz with a question of every type: what the page shows is what was saved, at once,
after reload and on the results page; and on a slow network, picks made while saves are on
their way are neither lost from the page nor from what is saved."""

import re
import time
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import Page, expect

from quizapp.accounts.models import User
from quizapp.bank.grading import QuestionType
from quizapp.bank.models import Question
from quizapp.classroom.management.commands.seed_demo import DEMO_CLASS
from quizapp.quizzes.models import Quiz
from quizapp.study.days import day_bounds, study_day
from quizapp.study.models import LearnerSettings, Review
from tests.e2e.conftest import (
    PHONE,
    htmx_settle,
    log_in,
    wait_for_autosave,
    wait_for_shortcuts,
)
from tests.factories import QuizFactory

USERNAME, PASSWORD = "nare", "a long passphrase 42"
DECK = "Places and capitals"
# Ten cards rated with the keys, all new; Again last, so no card comes due again mid-session.
KEYS = ["3", "4", "3", "2", "3", "4", "3", "3", "4", "1"]
LABELS = {"1": "Again", "2": "Hard", "3": "Good", "4": "Easy"}


# Longer than the journey takes, so that it never runs across a study-day boundary.
JOURNEY_MINUTES = 5


def test_student_journey_from_sign_up_to_the_quoted_source(page: Page, seeded, axe_check):
    not_near_the_start_of_a_study_day()
    page.goto("/")
    axe_check(page, "home-anonymous")
    sign_up(page, axe_check)
    join_demo_class(page, axe_check)
    previous_prompt = study_ten_cards_with_the_keyboard(page, axe_check)
    undo_the_last_review(page, previous_prompt)
    source_link = practise_a_typed_answer(page, axe_check)
    answered = take_and_submit_the_demo_quiz(page, axe_check)
    progress_shows_the_reviews(page, answered, axe_check)
    source_highlights_the_quote(page, source_link, axe_check)
    settings_and_log_in_again(page, axe_check)
    leave_the_demo_class(page, axe_check)


def not_near_the_start_of_a_study_day() -> None:
    """The progress page is checked for all the journey's reviews "today" and "on 1 day": a
    journey running across the new account's day start (04:00 UTC by default) would split them
    over two study days. So if the next day starts within the journey's time, wait for it."""
    zone = LearnerSettings._meta.get_field("time_zone").default
    hour = LearnerSettings._meta.get_field("day_start_hour").default
    now = timezone.now()
    _, next_start = day_bounds(
        study_day(now, tz=zone, day_start_hour=hour), tz=zone, day_start_hour=hour
    )
    left = (next_start - now).total_seconds()
    if left < JOURNEY_MINUTES * 60:
        time.sleep(left + 1)


def sign_up(page: Page, axe_check) -> None:
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_role("button", name="Sign up").click()  # empty: the errors are announced
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    axe_check(page, "signup-errors")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Email").fill(f"{USERNAME}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status").first).to_contain_text("Your account is ready")
    expect(page.get_by_role("heading", name=f"Welcome back, {USERNAME}")).to_be_visible()
    axe_check(page, "home")


def join_demo_class(page: Page, axe_check) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Classes").click()
    expect(page.get_by_text("You are not in a class yet.")).to_be_visible()
    page.get_by_label("Join code from your teacher").fill("nope")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("alert")).to_contain_text("No class has that join code")
    axe_check(page, "classes-error")
    page.get_by_label("Join code from your teacher").fill("karabakh")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("status").first).to_contain_text("You joined")
    expect(page.get_by_role("link", name=re.compile("demo quiz"))).to_be_visible()
    axe_check(page, "classes")


def counts(page: Page) -> tuple[int, int]:
    new = page.locator(".queue-counts .count-new").inner_text()
    due = page.locator(".queue-counts .count-due").inner_text()
    return int(new.split()[-1]), int(due.split()[-1])


def study_ten_cards_with_the_keyboard(page: Page, axe_check) -> str:
    """Returns the prompt of the last card rated."""
    page.get_by_role("link", name="quizapp", exact=True).click()
    page.get_by_role("link", name=f"Study {DECK}").click()
    expect(page.get_by_role("heading", name=f"Study: {DECK}")).to_be_visible()
    wait_for_shortcuts(page)
    new, due = counts(page)
    assert new >= len(KEYS) and due == 0
    axe_check(page, "study")
    prompt = ""
    for number, key in enumerate(KEYS, start=1):
        card = page.locator("article.card")
        expect(card.locator(".badge")).to_have_text("New card")
        prompt = card.locator("#card-prompt").inner_text()
        answer = card.locator("[data-answer]")
        expect(answer).to_be_hidden()
        page.keyboard.press("Space")
        expect(answer).to_be_visible()
        expect(answer).to_be_focused()
        if number == 1:
            expect(card.get_by_role("button", name=re.compile(r"^Again \d+[mhd]"))).to_be_visible()
            expect(card.get_by_role("button", name=re.compile(r"^Good \d+[mhd]"))).to_be_visible()
            axe_check(page, "study-answer")
        page.keyboard.press(key)
        # One request: the next card arrives, the counts drop, the live region announces.
        announcement = re.compile(rf"^{LABELS[key]}\. Next review in \d+ ?\w+\.$")
        expect(page.locator("#announcer")).to_have_text(announcement)
        expect(page.locator(".queue-counts .count-new")).to_have_text(f"New {new - number}")
        expect(page.locator("#card-prompt")).not_to_have_text(prompt)
        expect(page.locator("#card-prompt")).to_be_focused()
        htmx_settle(page)
    assert Review.objects.filter(user__username=USERNAME).count() == len(KEYS)
    return prompt


def undo_the_last_review(page: Page, previous_prompt: str) -> None:
    new_before, _ = counts(page)
    page.keyboard.press("u")
    expect(page.locator("#announcer")).to_have_text("Undone: your Again rating. The card is back.")
    expect(page.locator("#card-prompt")).to_have_text(previous_prompt)
    expect(page.locator(".queue-counts .count-new")).to_have_text(f"New {new_before + 1}")
    assert Review.objects.filter(user__username=USERNAME).count() == len(KEYS) - 1
    htmx_settle(page)


def practise_a_typed_answer(page: Page, axe_check) -> str:
    """Returns the card's link to its quote in the source."""
    question = (
        Question.objects.published()
        .filter(type="short_text")
        .exclude(reviews__user__username=USERNAME)
        .order_by("slug")
        .first()
    )
    answer = question.accepted_answers.order_by("position").first().text
    page.goto(f"/practice/?card={question.pk}")
    expect(page.get_by_role("heading", name=re.compile(r"^Practice"))).to_be_visible()
    expect(page.locator("#card-prompt")).to_have_text(question.prompt)
    wait_for_shortcuts(page)
    field = page.get_by_label("Your answer")
    expect(field).to_be_focused()
    axe_check(page, "practice")
    field.press_sequentially(answer.lower())
    field.press("Enter")
    expect(page.locator(".verdict-title")).to_have_text("Correct")
    expect(page.locator("#announcer")).to_contain_text("Proposed rating: Good.")
    expect(page.get_by_role("group", name="Rate your recall (proposed: Good)")).to_be_visible()
    proposed = page.locator("button.rating.proposed")
    expect(proposed).to_have_attribute("data-rating", "3")
    expect(proposed).to_be_focused()
    axe_check(page, "practice-graded")
    source_link = page.locator("figure.quote figcaption a").first.get_attribute("href")
    assert f"?q={question.slug}" in source_link
    htmx_settle(page)
    page.keyboard.press("3")  # accept the proposal
    expect(page.locator("#announcer")).to_have_text(re.compile(r"^Good\. Next review in"))
    practised = Review.objects.filter(user__username=USERNAME, question=question)
    assert list(practised.values_list("source", "rating")) == [("practice", 3)]
    return source_link


def take_and_submit_the_demo_quiz(page: Page, axe_check) -> int:
    """Returns how many questions were answered."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quizzes").click()
    axe_check(page, "quizzes")
    page.get_by_role("link", name=re.compile("demo quiz")).click()
    expect(page.get_by_text("Attempts left")).to_be_visible()
    axe_check(page, "quiz")
    page.get_by_role("button", name="Start").click()
    wait_for_autosave(page)
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"Time left: 1[45]:\d\d"))
    questions = page.locator("li.attempt-question")
    expect(questions).to_have_count(10)
    answered = 0
    for index in range(questions.count()):
        question = questions.nth(index)
        choice = question.locator("input[type=radio], input[type=checkbox]")
        text = question.locator("input[type=text]")
        if choice.count():
            choice.first.check()
        elif text.count():
            numeric = text.get_attribute("inputmode") == "decimal"
            text.fill("2020" if numeric else "Stepanakert")
            text.press("Enter")
        else:
            continue  # ordering and matching: left unanswered on purpose
        answered += 1
        # Saved as it is given: htmx swaps the question back in with its state.
        expect(questions.nth(index).get_by_text("Saved.")).to_be_visible()
        expect(page.locator("#announcer")).to_have_text("Answer saved.")
    assert answered >= 5
    axe_check(page, "attempt")
    page.get_by_role("link", name="Finish and submit…").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Submit “"))).to_be_visible()
    expect(page.get_by_text(f"You answered {answered} of 10 questions.")).to_be_visible()
    axe_check(page, "submit-confirmation")
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("status").first).to_contain_text("Your quiz was submitted.")
    expect(page.get_by_role("heading", name=re.compile(r"^(Passed|Not passed): "))).to_be_visible()
    expect(page.locator(".attempt-question .verdict")).to_have_count(10)
    axe_check(page, "results")
    return answered


def progress_shows_the_reviews(page: Page, answered_in_quiz: int, axe_check) -> None:
    # Ten cards rated and one undone, one practised, and each quiz answer counts as a review.
    by_source = dict(
        Review.objects.filter(user__username=USERNAME)
        .values_list("source")
        .annotate(n=Count("pk"))
        .order_by()
    )
    assert by_source == {"flashcard": len(KEYS) - 1, "practice": 1, "quiz": answered_in_quiz}
    reviews = sum(by_source.values())
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress").click()
    stats = page.locator("dl.stats")
    expect(stats.locator("div", has_text="Reviews today").locator("dd")).to_have_text(str(reviews))
    expect(page.locator("#heatmap-summary")).to_contain_text(f"{reviews} reviews on 1 day")
    expect(page.locator("svg.heatmap rect")).to_have_count(1)
    expect(page.locator("svg.heatmap rect title")).to_contain_text(f"{reviews} reviews")
    axe_check(page, "progress")


def source_highlights_the_quote(page: Page, source_link: str, axe_check) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sources").click()
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    axe_check(page, "sources")
    page.goto(source_link)
    mark = page.locator("mark").first
    expect(mark).to_be_visible()
    expect(mark).to_be_in_viewport()  # the link's #p-N anchor scrolled to the quote
    expect(page.locator(".paragraph.cited")).to_have_count(1)
    expect(page.get_by_text("Highlighted: what the question")).to_be_visible()
    axe_check(page, "source-detail")


def settings_and_log_in_again(page: Page, axe_check) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Desired retention")).to_have_value("0.9")
    axe_check(page, "settings")
    page.get_by_label("New cards per day").fill("900")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields.")
    axe_check(page, "settings-errors")
    page.get_by_role("button", name=f"Log out {USERNAME}").click()
    page.get_by_role("link", name="Log in").first.click()
    axe_check(page, "login")
    log_in(page, USERNAME, PASSWORD)


def leave_the_demo_class(page: Page, axe_check) -> None:
    classes = page.get_by_role("navigation", name="Main").get_by_role("link", name="Classes")
    classes.click()
    page.get_by_role("link", name=f"Leave {DEMO_CLASS}…").click()
    expect(page.get_by_role("heading", name=f"Leave “{DEMO_CLASS}”?")).to_be_visible()
    axe_check(page, "class-leave")
    page.get_by_role("link", name="Stay in the class").click()
    expect(page.get_by_role("heading", name=DEMO_CLASS)).to_be_visible()
    page.get_by_role("link", name=f"Leave {DEMO_CLASS}…").click()
    page.get_by_role("button", name="Leave the class").click()
    expect(page.get_by_role("status").first).to_contain_text(f"You left {DEMO_CLASS}.")
    expect(page.get_by_text("You are not in a class yet.")).to_be_visible()


def test_pages_pass_axe_on_a_dark_phone_screen(new_page, seeded, axe_check):
    """The colour scheme as a context option, on a phone-sized screen."""
    page = new_page(color_scheme="dark", viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, "ani", "quizapp-student")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)", "the dark stylesheet is not applied"
    for url, name in [
        ("/", "home"),
        ("/study/", "study"),
        ("/practice/", "practice"),
        ("/quizzes/", "quizzes"),
        ("/classes/", "classes"),
        ("/progress/", "progress"),
        ("/settings/", "settings"),
        ("/sources/", "sources"),
    ]:
        page.goto(url)
        axe_check(page, f"phone-{name}", schemes=None)  # which checks for sideways scroll too
    page.locator(".source-list a").first.click()
    axe_check(page, "phone-source-detail", schemes=None)
    page.goto("/quizzes/")
    page.get_by_role("link", name=re.compile("demo quiz")).click()
    axe_check(page, "phone-quiz", schemes=None)
    page.goto("/classes/")
    page.get_by_role("link", name=f"Leave {DEMO_CLASS}…").click()
    axe_check(page, "phone-class-leave", schemes=None)


# --------------------------------------------------------------------------- every type


TYPES = [qtype.value for qtype in QuestionType]


def quiz_of_every_type() -> tuple[Quiz, dict[str, Question]]:
    """A public quiz of one seeded question of each type, choices shuffled."""
    questions = {
        qtype: Question.objects.published().filter(type=qtype).order_by("slug").first()
        for qtype in TYPES
    }
    quiz = QuizFactory(
        title="Every kind of question",
        owner=User.objects.get(username="teacher"),
        questions=list(questions.values()),
        shuffle_choices=True,
    )
    return quiz, questions


@dataclass
class Given:
    """An answer as a learner gives it (by the texts shown) and as the page then says it."""

    picks: object  # choice texts to tick, text to type, or row label → option text
    words: str
    verdict: str


def answers_to(questions: dict[str, Question]) -> dict[str, Given]:
    keys = {qtype: question.answer_key() for qtype, question in questions.items()}
    single = [c.text for c in keys["single_choice"].choices]
    wrong = next(c.text for c in keys["single_choice"].choices if not c.correct)
    multiple = [c.text for c in keys["multiple_choice"].choices][:2]
    items = [item.text for item in keys["ordering"].items]
    pairs = keys["matching"].pairs
    assert len(single) > 1 and len(pairs) >= 3
    return {
        "single_choice": Given(wrong, wrong, "Not right"),
        "multiple_choice": Given(multiple, "; ".join(multiple), ""),
        "true_false": Given("False" if keys["true_false"].answer_bool else "True", "", "Not right"),
        "short_text": Given("Stepanakert", "Stepanakert", ""),
        "numeric": Given("1994", "1994", ""),
        # Every item, last first.
        "ordering": Given(
            {text: str(len(items) - n) for n, text in enumerate(items)},
            "  ".join(f"{n}. {text}" for n, text in enumerate(reversed(items), start=1)),
            "Not right",
        ),
        # The first left right, the second wrong, the rest not matched yet.
        "matching": Given(
            {pairs[0].left: pairs[0].right, pairs[1].left: pairs[2].right},
            "; ".join(
                [f"{pairs[0].left} → {pairs[0].right}", f"{pairs[1].left} → {pairs[2].right}"]
                + [f"{pair.left} → (not matched)" for pair in pairs[2:]]
            ),
            "Partly right",
        ),
    }


def question_block(page: Page, question: Question):
    return page.locator("li.attempt-question", has_text=question.prompt)


def give(block, qtype: str, picks) -> None:
    if qtype in ("single_choice", "true_false"):
        block.get_by_label(picks, exact=True).check()
    elif qtype == "multiple_choice":
        for text in picks:
            block.get_by_label(text, exact=True).check()
    elif qtype in ("short_text", "numeric"):
        field = block.get_by_label("Your answer")
        field.fill(picks)
        field.press("Enter")
    else:
        for label, option in picks.items():
            block.get_by_label(label, exact=True).select_option(label=option)


def expect_shown(block, qtype: str, question: Question, picks) -> None:
    """The controls show exactly `picks`: nothing more, nothing less."""
    key = question.answer_key()
    if qtype in ("single_choice", "multiple_choice", "true_false"):
        ticked = {picks} if isinstance(picks, str) else set(picks)
        texts = [c.text for c in key.choices] or ["True", "False"]
        for text in texts:
            option = block.get_by_label(text, exact=True)
            expect(option).to_be_checked(checked=text in ticked)
    elif qtype in ("short_text", "numeric"):
        expect(block.get_by_label("Your answer")).to_have_value(picks)
    else:
        rows = [i.text for i in key.items] or [p.left for p in key.pairs]
        empty = "Position…" if qtype == "ordering" else "Choose…"
        for label in rows:
            chosen = block.get_by_label(label, exact=True).locator("option:checked")
            expect(chosen).to_have_text(picks.get(label, empty))


def test_every_type_of_answer_shows_as_saved_at_once_after_reload_and_in_the_results(
    new_page, seeded, axe_check
):
    quiz, questions = quiz_of_every_type()
    given = answers_to(questions)
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, "ani", "quizapp-student")
    page.goto(f"/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Start").click()
    wait_for_autosave(page)
    expect(page.locator("li.attempt-question")).to_have_count(len(TYPES))
    for qtype, question in questions.items():
        block = question_block(page, question)
        give(block, qtype, given[qtype].picks)
        expect_shown(block, qtype, question, given[qtype].picks)  # at once
        expect(block.locator(".save-status")).to_have_text("Saved.")
    expect(page.locator("#answered-count")).to_have_text(f"{len(TYPES)} of {len(TYPES)} answered.")
    axe_check(page, "attempt-every-type")

    page.reload()
    for qtype, question in questions.items():
        expect_shown(question_block(page, question), qtype, question, given[qtype].picks)

    page.get_by_role("link", name="Finish and submit…").click()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", name=re.compile(r"^(Passed|Not passed): "))).to_be_visible()
    for qtype, question in questions.items():
        block = question_block(page, question)
        expect_shown(block, qtype, question, given[qtype].picks)
        words = given[qtype].words or given[qtype].picks
        expect(block.locator(".answers dd").first).to_have_text(words)
        if given[qtype].verdict:
            expect(block.locator(".verdict-title")).to_contain_text(given[qtype].verdict)
    axe_check(page, "results-every-type")


SLOW_NETWORK = {"offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1}
PICK_EVERY_MS = 800


def test_picks_made_while_slow_saves_are_on_their_way_are_all_kept(new_page, seeded):
    """1.5 s for every request, a pick every 0.8 s: a save's reply comes back while the learner
    is picking the next rows. It must neither undo a pick on the page nor leave one unsaved."""
    quiz, questions = quiz_of_every_type()
    rows = {
        "ordering": {
            item.text: str(n) for n, item in enumerate(questions["ordering"].answer_key().items, 1)
        },
        "matching": {
            pair.left: pair.right for pair in reversed(questions["matching"].answer_key().pairs)
        },
    }
    page = new_page()
    log_in(page, "ani", "quizapp-student")
    page.goto(f"/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Start").click()
    wait_for_autosave(page)
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", SLOW_NETWORK)
    for qtype, picks in rows.items():
        block = question_block(page, questions[qtype])
        for number, (label, option) in enumerate(picks.items(), start=1):
            block.get_by_label(label, exact=True).select_option(label=option)
            if number == 1:
                expect(block.locator(".save-status")).to_have_text("Saving…")
            page.wait_for_timeout(PICK_EVERY_MS)  # the learner's pace, not a wait for the page
        expect_shown(block, qtype, questions[qtype], picks)  # no reply undid a pick
    # Leaving now would lose the picks not saved yet: the browser asks first.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Finish and submit…").click()
    assert asked == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))  # stayed
    for qtype, picks in rows.items():
        block = question_block(page, questions[qtype])
        expect(block.locator(".save-status")).to_have_text("Saved.", timeout=20_000)
        expect_shown(block, qtype, questions[qtype], picks)
    network.send("Network.emulateNetworkConditions", {**SLOW_NETWORK, "latency": 0})
    page.reload()
    for qtype, picks in rows.items():
        expect_shown(question_block(page, questions[qtype]), qtype, questions[qtype], picks)
