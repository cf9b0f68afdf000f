from datetime import timedelta

import pytest
from django.utils import timezone

from quizapp.bank.models import Paragraph, Question, Quote, Source
from quizapp.study.services import review_record
from tests.api.conftest import error_of
from tests.factories import DeckFactory, QuestionFactory


def test_decks_list_the_learners_counts(
    api, learner, deck, questions, django_assert_max_num_queries
):
    review_record(
        user=learner,
        question=questions[0],
        rating=1,
        reviewed_at=timezone.now() - timedelta(hours=1),
        review_id=__import__("uuid").uuid4(),
    )
    DeckFactory(slug="empty", title="Empty")
    with django_assert_max_num_queries(18):
        response = api.get("/api/v1/decks")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    capitals = next(d for d in body["results"] if d["slug"] == "capitals")
    assert capitals == {
        "slug": "capitals",
        "title": "Capitals",
        "description": "",
        "position": deck.position,
        "new": 4,
        "learning": 1,
        "due": 0,
        "total": 5,
    }


def test_each_learner_sees_their_own_counts(api, other_api, learner, questions):
    review_record(
        user=learner,
        question=questions[0],
        rating=3,
        reviewed_at=timezone.now() - timedelta(hours=1),
        review_id=__import__("uuid").uuid4(),
    )
    mine = api.get("/api/v1/decks/capitals").json()
    theirs = other_api.get("/api/v1/decks/capitals").json()
    assert (mine["new"], theirs["new"]) == (4, 5)


def test_decks_are_paginated_with_a_capped_page_size(api, db):
    for n in range(3):
        DeckFactory(slug=f"deck-{n}")
    first = api.get("/api/v1/decks?limit=2").json()
    assert len(first["results"]) == 2 and first["count"] == 3
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["previous"] is not None
    too_big = api.get("/api/v1/decks?limit=1000")
    assert too_big.status_code == 400
    assert set(error_of(too_big)["fields"]) == {"limit"}
    assert api.get("/api/v1/decks?offset=-1").status_code == 400


def test_decks_filter_by_title(api, db):
    DeckFactory(slug="rivers", title="Rivers of Europe")
    DeckFactory(slug="peaks", title="Mountain peaks")
    body = api.get("/api/v1/decks?title=river").json()
    assert [d["slug"] for d in body["results"]] == ["rivers"]
    assert api.get("/api/v1/decks?title=" + "x" * 300).status_code == 400


def test_decks_need_sign_in(anonymous, db):
    response = anonymous.get("/api/v1/decks")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_decks_answer_304_while_unchanged(api, learner, questions):
    first = api.get("/api/v1/decks")
    etag = first["ETag"]
    assert etag and "private" in first["Cache-Control"]
    again = api.get("/api/v1/decks", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    review_record(
        user=learner,
        question=questions[0],
        rating=3,
        reviewed_at=timezone.now() - timedelta(hours=1),
        review_id=__import__("uuid").uuid4(),
    )
    changed = api.get("/api/v1/decks", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_deck_detail(api, deck, questions, django_assert_max_num_queries):
    with django_assert_max_num_queries(18):
        response = api.get("/api/v1/decks/capitals")
    assert response.status_code == 200
    assert response.json()["total"] == 5
    etag = response["ETag"]
    assert api.get("/api/v1/decks/capitals", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get("/api/v1/decks/capitals", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_an_unknown_deck_is_404(api, other_api, deck):
    response = api.get("/api/v1/decks/nope")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.fixture
def source(deck):
    source = Source.objects.create(slug="article", title="The article", url="https://example.com")
    for number in (2, 1, 3):
        Paragraph.objects.create(source=source, number=number, text=f"Paragraph {number}.")
    question = QuestionFactory(deck=deck, source=source)
    Quote.objects.create(question=question, paragraph=source.paragraphs.get(number=2), text="2")
    return source


def test_a_source_shows_its_numbered_paragraphs(api, source, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/sources/article")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"slug", "title", "publisher", "url", "paragraphs"}
    assert [p["number"] for p in body["paragraphs"]] == [1, 2, 3]
    assert body["paragraphs"][0] == {"number": 1, "text": "Paragraph 1.", "factual": True}
    etag = response["ETag"]
    assert api.get("/api/v1/sources/article", HTTP_IF_NONE_MATCH=etag).status_code == 304
    Paragraph.objects.filter(source=source, number=1).update(text="Edited.")
    assert api.get("/api/v1/sources/article", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_source_only_drafts_cite_is_404(api, other_api, source):
    Question.objects.filter(source=source).update(status=Question.Status.DRAFT)
    for client in (api, other_api):
        response = client.get("/api/v1/sources/article")
        assert response.status_code == 404
        error_of(response)


def test_an_unknown_source_is_404(api, db):
    assert api.get("/api/v1/sources/nope").status_code == 404
