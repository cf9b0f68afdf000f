import re
import uuid
from datetime import timedelta

import pytest

from quizapp.study.models import CardState, Review
from tests.factories import QuestionFactory
from tests.frontend.conftest import NOW, csrf_token, form_value, record

HTMX = {"HX-Request": "true"}


def shown_card(html: str) -> int:
    return int(form_value(html, "question"))


def rate(client, html: str, rating: int, **headers):
    return client.post(
        "/reviews/",
        {
            "question": form_value(html, "question"),
            "review_id": form_value(html, "review_id"),
            "shown_at": form_value(html, "shown_at"),
            "deck": form_value(html, "deck"),
            "mode": form_value(html, "mode"),
            "rating": rating,
        },
        headers=headers,
    )


def test_the_study_page_shows_the_first_card_with_answer_and_rating_intervals(signed_in, bank):
    html = signed_in.get("/study/capitals/").content.decode()
    assert shown_card(html) == bank.true_false.pk  # deck order
    assert "Yerevan is Armenia&#x27;s capital." in html
    assert "<summary" in html and "Show answer" in html
    assert "Because the article says so." in html
    # One button per rating, each with its next interval, and its keyboard shortcut.
    buttons = re.findall(
        r'data-rating="(\d)" aria-keyshortcuts="\d"[^>]*><span class="rating-label">(\w+)</span> '
        r'<span class="rating-interval">(\w+(?:\.\d)?\w*)</span>',
        html,
    )
    assert [(value, label) for value, label, _ in buttons] == [
        ("1", "Again"), ("2", "Hard"), ("3", "Good"), ("4", "Easy")
    ]  # fmt: skip
    assert all(interval for _, _, interval in buttons)
    assert 'data-undo aria-keyshortcuts="U"' in html


def test_the_back_links_the_quote_to_its_paragraph_in_the_source(signed_in, bank):
    html = signed_in.get("/study/capitals/").content.decode()
    assert "<blockquote><p>Yerevan is the capital of Armenia</p></blockquote>" in html
    assert f'href="/sources/the-article/?q={bank.true_false.slug}#p-1"' in html


def test_rating_records_the_review_with_the_id_from_the_form_and_shows_the_next_card(
    signed_in, learner, bank
):
    html = signed_in.get("/study/capitals/").content.decode()
    review_id = uuid.UUID(form_value(html, "review_id"))
    response = rate(signed_in, html, 3)
    assert response.status_code == 302 and response["Location"] == "/study/capitals/"
    review = Review.objects.get(user=learner)
    assert (review.uuid, review.question, review.rating) == (review_id, bank.true_false, 3)
    assert review.source == "flashcard"
    html = signed_in.get("/study/capitals/").content.decode()
    assert shown_card(html) == bank.single.pk
    assert "Good. Next review in 10m." in html


@pytest.mark.parametrize("later", [timedelta(0), timedelta(seconds=2)])
def test_a_double_submission_is_stored_once(signed_in, learner, bank, time_machine, later):
    html = signed_in.get("/study/").content.decode()
    rate(signed_in, html, 3)
    time_machine.move_to(NOW + later, tick=False)
    response = rate(signed_in, html, 1)  # the same form again, even with another button
    assert response.status_code == 302
    assert Review.objects.filter(user=learner).get().rating == 3
    follow = signed_in.get(response["Location"]).content.decode()
    assert "already rated; your first rating counts" in follow


def test_with_htmx_the_next_card_arrives_in_one_response(signed_in, learner, bank):
    html = signed_in.get("/study/capitals/").content.decode()
    response = rate(signed_in, html, 4, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="study-region"')
    assert "<html" not in body
    assert shown_card(body) == bank.single.pk
    assert re.search(r'id="announcer"[^>]*hx-swap-oob="true"[^>]*>Easy\. Next review in', body)


def test_undo_removes_the_last_review_and_shows_that_card_again(signed_in, learner, bank):
    html = signed_in.get("/study/capitals/").content.decode()
    rate(signed_in, html, 3)
    response = signed_in.post("/reviews/undo/", {"deck": "capitals", "mode": "flashcard"})
    assert response["Location"] == f"/study/capitals/?card={bank.true_false.pk}"
    assert not Review.objects.filter(user=learner).exists()
    html = signed_in.get(response["Location"]).content.decode()
    assert shown_card(html) == bank.true_false.pk
    assert "Undone: your Good rating." in html


def test_undo_with_htmx_swaps_the_region(signed_in, learner, bank):
    record(learner, bank.single, 3)
    response = signed_in.post("/reviews/undo/", {"deck": "", "mode": "flashcard"}, headers=HTMX)
    assert shown_card(response.content.decode()) == bank.single.pk
    assert "Undone" in response.content.decode()


def test_undo_with_nothing_to_undo_says_so(signed_in, bank):
    response = signed_in.post("/reviews/undo/", {"deck": "", "mode": "flashcard"}, headers=HTMX)
    assert "There is no review to undo." in response.content.decode()


def test_undo_never_touches_another_learners_reviews(signed_in, learner, other_learner, bank):
    record(other_learner, bank.single, 3)
    signed_in.post("/reviews/undo/", {"deck": "", "mode": "flashcard"})
    assert Review.objects.filter(user=other_learner).count() == 1


def test_another_learners_cards_do_not_change_the_queue(signed_in, other_learner, bank):
    record(other_learner, bank.true_false, 3)
    html = signed_in.get("/study/capitals/").content.decode()
    assert shown_card(html) == bank.true_false.pk
    assert '<span class="count-new">New 7</span>' in html


def test_an_empty_queue_ends_with_a_session_summary(signed_in, learner, bank, time_machine):
    html = signed_in.get("/study/capitals/").content.decode()  # the session starts here
    for _ in range(7):
        rate(signed_in, html, 4)  # Easy: each card goes to Review, days away
        html = signed_in.get("/study/capitals/").content.decode()
    assert "Session complete" in html
    assert re.search(r"<dt>Reviewed</dt><dd>7</dd>", html)
    assert re.search(r"<dt>Again</dt><dd>0</dd>", html)
    assert re.search(r"The next card is due in \d+d\.", html)


def test_a_learner_with_nothing_due_sees_that_and_not_an_error(signed_in, db):
    html = signed_in.get("/study/").content.decode()
    assert "Nothing to study right now" in html


def test_unpublished_questions_are_not_found(signed_in, learner, bank):
    assert signed_in.get(f"/study/?card={bank.draft.pk}").status_code == 404
    assert signed_in.get(f"/practice/?card={bank.draft.pk}").status_code == 404
    assert signed_in.get("/study/?card=not-a-number").status_code == 404
    assert signed_in.get("/study/?card=²").status_code == 404
    response = signed_in.post(
        "/reviews/", {"question": bank.draft.pk, "rating": 3, "review_id": uuid.uuid4()}
    )
    assert response.status_code == 404
    assert not Review.objects.exists()


def test_an_unknown_deck_is_not_found(signed_in, bank):
    assert signed_in.get("/study/no-such-deck/").status_code == 404


def test_a_bad_rating_re_renders_with_a_message(signed_in, learner, bank):
    response = signed_in.post(
        "/reviews/", {"question": bank.single.pk, "rating": 7, "review_id": "not-a-uuid"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "That rating could not be recorded" in html and 'role="alert"' in html
    assert not Review.objects.exists()


def test_rating_enforces_csrf(csrf_client, learner, bank):
    html = csrf_client.get("/study/").content.decode()
    data = {
        "question": form_value(html, "question"),
        "review_id": form_value(html, "review_id"),
        "rating": 3,
    }
    assert csrf_client.post("/reviews/", data).status_code == 403
    assert csrf_client.post("/reviews/undo/", {}).status_code == 403
    assert not Review.objects.exists()
    data["csrfmiddlewaretoken"] = form_value(html, "csrfmiddlewaretoken")
    assert csrf_client.post("/reviews/", data).status_code == 302
    assert Review.objects.count() == 1
    token = csrf_token(csrf_client, "/study/")
    assert csrf_client.post("/reviews/undo/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_the_answer_time_is_measured_from_when_the_card_was_shown(
    signed_in, learner, bank, time_machine
):
    html = signed_in.get("/study/").content.decode()
    time_machine.move_to(NOW + timedelta(seconds=7), tick=False)
    rate(signed_in, html, 3)
    assert Review.objects.get(user=learner).duration_ms == 7000


def test_study_pages_take_a_bounded_number_of_queries(
    signed_in, learner, bank, django_assert_max_num_queries
):
    for n in range(30):
        record(learner, QuestionFactory(deck=bank.deck), 3, at=NOW - timedelta(days=n))
    with django_assert_max_num_queries(24):
        html = signed_in.get("/study/capitals/").content.decode()
    with django_assert_max_num_queries(45):
        rate(signed_in, html, 3, **HTMX)
    with django_assert_max_num_queries(40):
        signed_in.post("/reviews/undo/", {"deck": "capitals"}, headers=HTMX)
    assert CardState.objects.filter(user=learner).count() >= 30
