import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from frontend.templatetags.quizapp_text import duration_words
from quizapp.classroom.models import Assignment, Enrolment
from quizapp.quizzes.models import Attempt, FeedbackMode, Response
from quizapp.quizzes.services import attempt_start
from tests.factories import (
    AcceptedAnswerFactory,
    ChoiceQuestionFactory,
    ClassroomFactory,
    QuestionFactory,
    QuizFactory,
)
from tests.frontend.answer_controls import controls_in, pick_and_save
from tests.frontend.conftest import NOW, page_weight

SECRET = "Zvartnots"  # the accepted answer of the typed question: must not leak early


@pytest.fixture
def quiz(db):
    typed = QuestionFactory(type="short_text", answer_bool=None, prompt="Which airport?")
    AcceptedAnswerFactory(question=typed, position=0, text=SECRET)
    return QuizFactory(
        title="Corridor quiz",
        questions=[ChoiceQuestionFactory(prompt="Pick A."), typed],
        feedback_mode=FeedbackMode.AFTER_SUBMIT,
    )


def start(client, quiz) -> Attempt:
    response = client.post(reverse("quiz_start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    assert response["Location"] == reverse("attempt_detail", args=[attempt.pk])
    return attempt


def answer_url(attempt, question):
    return reverse("attempt_answer", args=[attempt.pk, question.pk])


@pytest.mark.parametrize(
    "name",
    ["quiz_list", "class_list"],
)
def test_anonymous_visitors_are_sent_to_log_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_quiz_list_shows_open_quizzes_only(signed_in, quiz, django_assert_max_num_queries):
    QuizFactory(title="Closed quiz", closes_at=NOW - timedelta(days=1))
    QuizFactory(title="Hidden quiz", visibility="assigned")
    with django_assert_max_num_queries(8):
        page = signed_in.get(reverse("quiz_list"))
    html = page.content.decode()
    assert "Corridor quiz" in html and "Closed quiz" not in html and "Hidden quiz" not in html
    assert page_weight(page) < 100_000


def test_a_quiz_not_open_to_the_learner_is_404(signed_in, db):
    hidden = QuizFactory(visibility="assigned")
    assert signed_in.get(reverse("quiz_detail", args=[hidden.pk])).status_code == 404
    assert signed_in.post(reverse("quiz_start", args=[hidden.pk])).status_code == 404


def test_taking_a_quiz_without_javascript(signed_in, quiz, django_assert_max_num_queries):
    attempt = start(signed_in, quiz)
    choice_q, typed_q = [item.question for item in quiz.items.order_by("position")]
    with django_assert_max_num_queries(14):
        page = signed_in.get(reverse("attempt_detail", args=[attempt.pk]))
    html = page.content.decode()
    assert "Pick A." in html and "Which airport?" in html
    assert SECRET not in html and "Correct answer" not in html
    right = choice_q.choices.get(is_correct=True)
    shown = attempt.questions.get(question=choice_q).display_order
    saved = signed_in.post(answer_url(attempt, choice_q), {"answer": shown.index(right.pk) + 1})
    assert saved["Location"].endswith(f"#q-{choice_q.pk}")
    signed_in.post(answer_url(attempt, typed_q), {"answer": "zvartnots"})
    page = signed_in.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
    assert "2 of 2 answered" in page
    assert SECRET not in page and "verdict" not in page  # graded, but not shown yet

    confirm = signed_in.get(reverse("attempt_submit", args=[attempt.pk])).content.decode()
    assert "You answered 2 of 2" in confirm
    signed_in.post(reverse("attempt_submit", args=[attempt.pk]))
    result = signed_in.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
    assert "Passed: 100.0%" in result and SECRET in result and "Correct answer" in result


HX = {"HX-Request": "true"}


def test_an_htmx_save_answers_with_the_status_line_only_never_the_controls(
    signed_in, quiz, django_assert_max_num_queries
):
    attempt = start(signed_in, quiz)
    choice_q = quiz.items.order_by("position").first().question
    with django_assert_max_num_queries(20):
        response = signed_in.post(answer_url(attempt, choice_q), {"answer": 1}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    status = f'<span id="q-status-{choice_q.pk}" class="save-status">Saved.</span>'
    assert html.lstrip().startswith(status)
    assert not re.search(r"<(input|select|form|fieldset|li)\b", html)  # the controls stay
    assert re.search(r'id="answered-count"[^>]*hx-swap-oob="true"[^>]*>1 of 2 answered\.<', html)
    assert re.search(r'id="announcer"[^>]*hx-swap-oob="true"[^>]*>Answer saved\.<', html)
    assert "<html" not in html


def test_a_matching_saved_row_by_row_says_saved_after_every_row(signed_in, bank):
    quiz = QuizFactory(questions=[bank.matching])
    attempt = start(signed_in, quiz)
    url = reverse("attempt_detail", args=[attempt.pk])
    controls = controls_in(signed_in.get(url).content.decode(), f"q-{bank.matching.pk}")
    rows = {}
    for left, right in [("Baku", "Azerbaijan"), ("Tbilisi", "Georgia"), ("Yerevan", "Armenia")]:
        rows[left] = right
        data = controls.form_data(rows)
        response = signed_in.post(answer_url(attempt, bank.matching), data, headers=HX)
        html = response.content.decode()
        assert response.status_code == 200 and ">Saved.<" in html, html
        assert "Not saved" not in html and "Match every item" not in html
        assert shown(signed_in.get(url).content.decode(), bank.matching) == {
            left: rows.get(left, "Choose…") for left in ("Yerevan", "Baku", "Tbilisi")
        }


def test_a_refused_htmx_save_says_why_in_the_status_line_and_saves_nothing(signed_in, bank):
    quiz = QuizFactory(questions=[bank.ordering])
    attempt = start(signed_in, quiz)
    url = reverse("attempt_detail", args=[attempt.pk])
    controls = controls_in(signed_in.get(url).content.decode(), f"q-{bank.ordering.pk}")
    data = controls.form_data({"Baku": "1", "Yerevan": "1"})
    response = signed_in.post(answer_url(attempt, bank.ordering), data, headers=HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith(f'<span id="q-status-{bank.ordering.pk}"')
    assert "Not saved: Position 1 is given to two items" in html
    assert not re.search(r"<(input|select|form)\b", html)
    assert re.search(r'id="announcer"[^>]*>Position 1 is given to two items', html)
    assert not Response.objects.exists()


def test_a_quiz_that_checks_answers_at_once_saves_only_when_the_learner_says_so(signed_in, quiz):
    """There the first answer saved is final: a pick (a change) must not save it."""
    quiz.feedback_mode = FeedbackMode.IMMEDIATE
    quiz.save()
    attempt = start(signed_in, quiz)
    page = signed_in.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
    assert 'hx-trigger="change' not in page and 'hx-trigger="submit"' in page
    assert "cannot be changed after that" in page and "Save and check" in page
    choice_q = quiz.items.order_by("position").first().question
    response = signed_in.post(answer_url(attempt, choice_q), {"answer": 1}, headers=HX)
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="q-{choice_q.pk}"')  # now with its result, locked
    assert 'class="verdict' in html and "<dt>Your answer</dt>" in html
    assert controls_in(html, f"q-{choice_q.pk}").choices[0]["disabled"]


def test_a_malformed_answer_is_shown_again_with_a_message(signed_in, quiz):
    attempt = start(signed_in, quiz)
    choice_q = quiz.items.order_by("position").first().question
    response = signed_in.post(answer_url(attempt, choice_q), {})
    assert response.status_code == 422
    assert "Choose an answer." in response.content.decode()
    assert not hasattr(attempt.questions.get(question=choice_q), "response")


def test_an_answer_after_the_deadline_is_refused_and_the_attempt_submitted(
    signed_in, quiz, time_machine
):
    quiz.time_limit = timedelta(minutes=5)
    quiz.save()
    attempt = start(signed_in, quiz)
    page = signed_in.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
    assert 'role="timer"' in page and "data-deadline" in page
    time_machine.move_to(NOW + timedelta(minutes=10), tick=False)
    choice_q = quiz.items.order_by("position").first().question
    response = signed_in.post(answer_url(attempt, choice_q), {"answer": 1})
    assert response.status_code == 409
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.auto_submitted


def test_after_close_results_stay_hidden_after_submitting(signed_in, quiz):
    quiz.feedback_mode = FeedbackMode.AFTER_CLOSE
    quiz.closes_at = NOW + timedelta(days=2)
    quiz.save()
    attempt = start(signed_in, quiz)
    typed_q = quiz.items.order_by("position").last().question
    signed_in.post(answer_url(attempt, typed_q), {"answer": SECRET})
    signed_in.post(reverse("attempt_submit", args=[attempt.pk]))
    page = signed_in.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
    assert "shown after the quiz closes" in page
    # Only the learner's own answer: in its input, and in words beside it.
    assert page.count(SECRET) == 2 and f"<dd>{SECRET}</dd>" in page
    assert "Correct answer" not in page and "Passed" not in page


def test_another_learners_attempt_is_404(client, other_learner, learner, quiz):
    attempt = attempt_start(user=learner, quiz=quiz, now=NOW)
    client.force_login(other_learner)
    for url in (
        reverse("attempt_detail", args=[attempt.pk]),
        reverse("attempt_submit", args=[attempt.pk]),
    ):
        assert client.get(url).status_code == 404
    question = attempt.questions.first().question
    assert client.post(answer_url(attempt, question), {"answer": "x"}).status_code == 404
    assert client.post(reverse("attempt_submit", args=[attempt.pk])).status_code == 404


def test_quiz_forms_need_the_csrf_token(csrf_client, learner, quiz):
    assert csrf_client.post(reverse("quiz_start", args=[quiz.pk])).status_code == 403
    assert csrf_client.post(reverse("class_list"), {"code": "ABCDEFGH"}).status_code == 403
    assert not Attempt.objects.exists()
    classroom = ClassroomFactory()
    Enrolment.objects.create(classroom=classroom, student=learner, joined_at=NOW)
    assert csrf_client.post(reverse("class_leave", args=[classroom.pk])).status_code == 403
    assert Enrolment.objects.filter(student=learner).exists()


# Classes -----------------------------------------------------------------------------------


def test_joining_a_class_by_code_and_seeing_its_assignments(signed_in, learner, quiz):
    classroom = ClassroomFactory(name="9B history")
    Assignment.objects.create(classroom=classroom, quiz=quiz, due_at=NOW + timedelta(days=3))
    wrong = signed_in.post(reverse("class_list"), {"code": "NOTACODE"})
    assert wrong.status_code == 422 and "No class has that join code" in wrong.content.decode()
    joined = signed_in.post(reverse("class_list"), {"code": classroom.join_code.lower()})
    assert joined.status_code == 302
    page = signed_in.get(reverse("class_list")).content.decode()
    assert "9B history" in page and "Corridor quiz" in page
    again = signed_in.post(reverse("class_list"), {"code": classroom.join_code})
    assert again.status_code == 422 and "already in 9B history" in again.content.decode()
    home = signed_in.get(reverse("home")).content.decode()
    assert "Assignments" in home and "Corridor quiz" in home


def test_leaving_a_class_and_not_someone_elses(signed_in, learner, other_learner):
    mine, theirs = ClassroomFactory(), ClassroomFactory()
    Enrolment.objects.create(classroom=mine, student=learner, joined_at=NOW)
    Enrolment.objects.create(classroom=theirs, student=other_learner, joined_at=NOW)
    assert signed_in.post(reverse("class_leave", args=[theirs.pk])).status_code == 404
    assert signed_in.post(reverse("class_leave", args=[mine.pk])).status_code == 302
    assert not Enrolment.objects.filter(student=learner).exists()
    assert Enrolment.objects.filter(student=other_learner).exists()


def test_leaving_a_class_asks_first_and_changes_nothing_until_confirmed(
    signed_in, learner, django_assert_max_num_queries
):
    classroom = ClassroomFactory(name="9B history")
    Enrolment.objects.create(classroom=classroom, student=learner, joined_at=NOW)
    leave = reverse("class_leave", args=[classroom.pk])
    page = signed_in.get(reverse("class_list")).content.decode()
    assert f'<a href="{leave}">Leave 9B history…</a>' in page
    assert f'action="{leave}"' not in page  # no one-click leaving from the list
    with django_assert_max_num_queries(6):
        confirm = signed_in.get(leave)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "<h1>Leave “9B history”?</h1>" in html
    assert '<button type="submit" class="danger">Leave the class</button>' in html
    assert f'<a href="{reverse("class_list")}">Stay in the class</a>' in html
    assert Enrolment.objects.filter(student=learner).exists()
    left = signed_in.post(leave)
    assert left.status_code == 302 and left["Location"] == reverse("class_list")
    assert not Enrolment.objects.filter(student=learner).exists()
    after = signed_in.get(reverse("class_list")).content.decode()
    assert "You left 9B history." in after and "You are not in a class yet." in after


def test_class_page_queries_are_bounded(signed_in, learner, django_assert_max_num_queries):
    for _ in range(4):
        classroom = ClassroomFactory()
        Enrolment.objects.create(classroom=classroom, student=learner, joined_at=NOW)
    with django_assert_max_num_queries(8):
        page = signed_in.get(reverse("class_list"))
    assert page_weight(page) < 100_000


def test_quiz_options_are_numbered_as_shown_not_by_bank_id(signed_in, db):
    from quizapp.bank.models import MatchPair

    earlier = QuestionFactory(type="matching", answer_bool=None)
    for n in range(5):  # bank ids of the real pairs start above the positions shown
        MatchPair.objects.create(question=earlier, position=n, left=f"L{n}", right=f"R{n}")
    matching = QuestionFactory(type="matching", answer_bool=None, prompt="Match them.")
    for position, (left, right) in enumerate(
        [("Baku", "Azerbaijan"), ("Yerevan", "Armenia"), ("Tbilisi", "Georgia")]
    ):
        MatchPair.objects.create(question=matching, position=position, left=left, right=right)
    quiz = QuizFactory(questions=[matching])
    attempt = start(signed_in, quiz)
    html = signed_in.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
    pair_ids = list(matching.match_pairs.values_list("pk", flat=True))
    assert min(pair_ids) > 3
    for pk in pair_ids:
        assert f'name="match-{pk}"' not in html and f'value="{pk}"' not in html
    assert 'name="match-1"' in html and 'name="match-3"' in html
    shown = attempt.questions.get().display_order  # the rights, as displayed
    answer = {f"match-{n}": shown.index(pk) + 1 for n, pk in enumerate(pair_ids, start=1)}
    signed_in.post(answer_url(attempt, matching), answer)
    signed_in.post(reverse("attempt_submit", args=[attempt.pk]))
    assert Attempt.objects.get().percentage == 100


# What a learner sees of their answers ------------------------------------------------------

# One answer per question type of the `bank`, picked by the text shown, and how the page words
# it beside the feedback.
ANSWERS = {
    "true_false": ("False", "False"),
    "single": ("Baku", "Baku"),
    "multiple": (["Baku", "Lachin"], "Baku; Lachin"),
    "short_text": ("Bakou", "Bakou"),
    "numeric": ("1995", "1995"),
    "ordering": (
        {"Baku": "1", "Yerevan": "2", "Tashkent": "3"},
        "1. Baku  2. Yerevan  3. Tashkent",
    ),
    "matching": (
        {"Yerevan": "Azerbaijan", "Baku": "Armenia", "Tbilisi": "Georgia"},
        "Yerevan → Azerbaijan; Baku → Armenia; Tbilisi → Georgia",
    ),
}


def shown(html: str, question) -> object:
    """The answer a question's controls show, in the shape ANSWERS gives it."""
    controls = controls_in(html, f"q-{question.pk}")
    if controls.choices:
        checked = sorted(controls.checked)  # in the order ANSWERS lists them, not as shown
        return checked if question.type == "multiple_choice" else "".join(checked)
    if controls.texts:
        return controls.text
    return controls.selected


def your_answer(html: str, question) -> str | None:
    block = re.search(rf'<li id="q-{question.pk}".*?</li>', html, re.S).group(0)
    found = re.search(r"<dt>Your answer</dt>\s*<dd>(.*?)</dd>", block, re.S)
    return unescape(found.group(1)) if found else None


def rotate_the_options_shown(attempt) -> None:
    """Show every question's options in an order that moves each one (as a shuffle may), so
    that no option's number as shown is its position in the bank."""
    for shown_question in attempt.questions.all():
        order = shown_question.display_order
        shown_question.display_order = order[1:] + order[:1]
        shown_question.save(update_fields=["display_order"])


@pytest.fixture
def every_type_quiz(bank):
    return QuizFactory(title="Every type", questions=bank.published)


@pytest.mark.parametrize("field", ANSWERS)
def test_a_saved_answer_is_shown_after_reload_and_on_the_results_page(
    signed_in, bank, every_type_quiz, field
):
    question = getattr(bank, field)
    picked, words = ANSWERS[field]
    attempt = start(signed_in, every_type_quiz)
    rotate_the_options_shown(attempt)
    url = pick_and_save(signed_in, attempt, question, picked)
    page = signed_in.get(url).content.decode()
    assert shown(page, question) == picked
    signed_in.post(reverse("attempt_submit", args=[attempt.pk]))
    results = signed_in.get(url).content.decode()
    assert shown(results, question) == picked
    assert your_answer(results, question) == words
    assert "Correct answer" in results


def test_the_learners_own_answer_is_shown_while_the_results_are_held_back(
    signed_in, bank, every_type_quiz
):
    every_type_quiz.feedback_mode = FeedbackMode.AFTER_CLOSE
    every_type_quiz.closes_at = NOW + timedelta(days=2)
    every_type_quiz.save()
    attempt = start(signed_in, every_type_quiz)
    picked, words = ANSWERS["matching"]
    url = pick_and_save(signed_in, attempt, bank.matching, picked)
    signed_in.post(reverse("attempt_submit", args=[attempt.pk]))
    page = signed_in.get(url).content.decode()
    assert shown(page, bank.matching) == picked
    assert your_answer(page, bank.matching) == words
    assert your_answer(page, bank.single) == "(not answered)"
    assert "Correct answer" not in page and "Not right" not in page and "matched" not in page


@pytest.mark.parametrize(
    ("field", "picked", "shown_after", "words", "feedback"),
    [
        (
            "matching",
            {"Yerevan": "Armenia"},
            {"Yerevan": "Armenia", "Baku": "Choose…", "Tbilisi": "Choose…"},
            "Yerevan → Armenia; Baku → (not matched); Tbilisi → (not matched)",
            "1 of 3 pairs matched. 2 items not matched.",
        ),
        (
            "ordering",
            {"Yerevan": "1", "Baku": "2"},
            {"Yerevan": "1", "Baku": "2", "Tashkent": "Position…"},
            "1. Yerevan  2. Baku  3. (empty)",
            "1 of 2 adjacent pairs in the correct order. 1 item not placed.",
        ),
    ],
)
def test_a_partial_answer_is_saved_as_given_and_graded_with_partial_credit(
    signed_in, bank, every_type_quiz, field, picked, shown_after, words, feedback
):
    question = getattr(bank, field)
    attempt = start(signed_in, every_type_quiz)
    rotate_the_options_shown(attempt)
    url = pick_and_save(signed_in, attempt, question, picked)
    assert shown(signed_in.get(url).content.decode(), question) == shown_after
    signed_in.post(reverse("attempt_submit", args=[attempt.pk]))
    results = signed_in.get(url).content.decode()
    assert shown(results, question) == shown_after
    assert your_answer(results, question) == words
    block = re.search(rf'<li id="q-{question.pk}".*?</li>', results, re.S).group(0)
    assert "Partly right" in block and feedback in block


# Time limits --------------------------------------------------------------------------------


def test_a_time_limit_is_said_in_words_on_the_quiz_list_and_page(
    signed_in, quiz, django_assert_max_num_queries
):
    quiz.time_limit = timedelta(minutes=15)
    quiz.save()
    listed = signed_in.get(reverse("quiz_list")).content.decode()
    with django_assert_max_num_queries(8):
        page = signed_in.get(reverse("quiz_detail", args=[quiz.pk])).content.decode()
    assert "15 minutes time limit" in listed
    assert "<dt>Time limit</dt><dd>15 minutes</dd>" in page
    assert "0:15:00" not in listed + page


@pytest.mark.parametrize(
    ("limit", "words"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=1, minutes=30), "1 hour 30 minutes"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(days=2, seconds=1), "2 days 1 second"),
        (timedelta(0), "0 seconds"),
        (None, ""),
    ],
)
def test_durations_in_words(limit, words):
    assert duration_words(limit) == words
