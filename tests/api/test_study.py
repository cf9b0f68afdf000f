import json
import uuid
from datetime import timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from quizapp.bank.models import Choice, MatchPair, OrderItem, Paragraph, Question, Quote, Source
from quizapp.study.models import CardState, Review
from quizapp.study.services import review_record
from tests.api.conftest import error_of
from tests.factories import DeckFactory, QuestionFactory

REVIEWS = "/api/v1/reviews"


def item(question, rating=3, at=None, review_id=None, **extra):
    return {
        "id": str(review_id or uuid.uuid4()),
        "question": question.slug,
        "rating": rating,
        "reviewed_at": (at or timezone.now() - timedelta(minutes=1)).isoformat(),
        "duration_ms": 4000,
        **extra,
    }


# --------------------------------------------------------------------------- queue


@pytest.fixture
def rich_deck(db):
    deck = DeckFactory(slug="rich")
    source = Source.objects.create(slug="src", title="Source")
    paragraph = Paragraph.objects.create(source=source, number=7, text="Baku is the capital.")
    choice = QuestionFactory(
        deck=deck, slug="capital", type="single_choice", answer_bool=None, source=source
    )
    Choice.objects.create(question=choice, text="Baku", is_correct=True, position=0)
    Choice.objects.create(question=choice, text="Ganja", position=1)
    Quote.objects.create(question=choice, paragraph=paragraph, text="Baku is the capital")
    ordering = QuestionFactory(deck=deck, slug="order", type="ordering", answer_bool=None)
    for position, text in enumerate(["Zeta", "Alpha", "Mu"]):
        OrderItem.objects.create(question=ordering, text=text, position=position)
    matching = QuestionFactory(deck=deck, slug="match", type="matching", answer_bool=None)
    for position, (left, right) in enumerate([("France", "Paris"), ("Armenia", "Yerevan")]):
        MatchPair.objects.create(question=matching, left=left, right=right, position=position)
    QuestionFactory(deck=deck, slug="draft", status="draft")
    return deck


def test_the_queue_shows_each_card_ready_to_render(api, rich_deck, django_assert_max_num_queries):
    # One more than before exam mode: the queue looks for exams coming.
    with django_assert_max_num_queries(25):
        response = api.get("/api/v1/study/queue?deck=rich&limit=10")
    assert response.status_code == 200
    queue = response.json()["queue"]
    assert [e["question"]["slug"] for e in queue] == ["capital", "order", "match"]
    capital = queue[0]
    assert capital["kind"] == "new" and capital["card"] is None
    assert capital["predicted_recall"] is None
    question = capital["question"]
    assert question["type"] == "single_choice"
    assert question["front"] == Question.objects.get(slug="capital").prompt
    assert [c["text"] for c in question["choices"]] == ["Baku", "Ganja"]
    assert all(set(c) == {"id", "text"} for c in question["choices"])
    assert question["back"] == "Baku"
    assert question["quotes"] == [{"paragraph": 7, "text": "Baku is the capital"}]
    assert question["source"] == "src"
    assert [i["rating"] for i in capital["intervals"]] == [1, 2, 3, 4]
    seconds = [i["seconds"] for i in capital["intervals"]]
    assert seconds == sorted(seconds) and seconds[0] > 0
    assert all(i["label"] for i in capital["intervals"])
    ordering = queue[1]["question"]
    assert [i["text"] for i in ordering["items"]] == ["Alpha", "Mu", "Zeta"]  # not the answer
    matching = queue[2]["question"]
    assert [p["text"] for p in matching["match_left"]] == ["France", "Armenia"]
    assert [p["text"] for p in matching["match_right"]] == ["Paris", "Yerevan"]


def test_the_queue_renders_exactly_as_its_serializers_would(api, learner, rich_deck):
    import time_machine

    from quizapp.api.serializers import CardStateSerializer, card_data, question_payload
    from quizapp.api.views.study import StudyQueueApi
    from quizapp.study import scheduling
    from quizapp.study.selectors import study_queue
    from quizapp.study.services import card_bury, card_suspend
    from quizapp.study.sync import flashcard_parts_prefetch

    now = timezone.now()
    capital, ordering, matching = (
        Question.objects.get(slug=s) for s in ("capital", "order", "match")
    )
    for days, rating in ((30, 3), (20, 3), (2, 1)):  # relearning after a lapse
        review_record(
            user=learner,
            question=capital,
            rating=rating,
            reviewed_at=now - timedelta(days=days),
            review_id=uuid.uuid4(),
        )
    review_record(
        user=learner,
        question=ordering,
        rating=1,
        reviewed_at=now - timedelta(minutes=30),
        review_id=uuid.uuid4(),
    )
    with time_machine.travel(now, tick=False):
        response = api.get("/api/v1/study/queue?deck=rich&limit=10")
        entries = study_queue(user=learner, deck=rich_deck, limit=10)
    assert {entry.kind for entry in entries} == {"learning", "new"}
    flashcard_parts_prefetch([entry.question for entry in entries])
    expected = StudyQueueApi.OutputSerializer(
        {
            "queue": [
                {
                    "kind": entry.kind,
                    "predicted_recall": entry.predicted_recall,
                    "question": question_payload(entry.question),
                    "card": entry.card,
                    "intervals": [
                        {
                            "rating": rating,
                            "seconds": round(interval.total_seconds()),
                            "label": scheduling.format_interval(interval),
                        }
                        for rating, interval in sorted(entry.intervals.items())
                    ],
                }
                for entry in entries
            ]
        }
    ).data
    assert response.json() == json.loads(json.dumps(expected, cls=DjangoJSONEncoder))
    card_suspend(user=learner, question=ordering)
    card_bury(user=learner, question=capital)
    card_suspend(user=learner, question=QuestionFactory(deck=rich_deck))  # a new card
    review_record(
        user=learner, question=matching, rating=4, reviewed_at=now, review_id=uuid.uuid4()
    )
    cards = CardState.objects.filter(user=learner).select_related("question")
    assert {card.state for card in cards} == {0, 1, 2, 3}
    for card in cards:
        assert card_data(card) == CardStateSerializer(card).data


def test_the_queue_keeps_rendered_questions_until_they_change(api, learner, rich_deck):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queue():
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/study/queue?deck=rich&limit=10")
        return response.json()["queue"], len(queries)

    first, first_queries = queue()
    again, again_queries = queue()
    assert again == first
    assert again_queries <= first_queries - 5  # no parts loaded for questions already shown
    choice = Choice.objects.get(question__slug="capital", text="Ganja")
    choice.text = "Gyumri"
    choice.save()
    capital = Question.objects.get(slug="capital")
    capital.save()  # as every edit of a question's parts does (the admin, the loader)
    edited, _ = queue()
    assert [c["text"] for c in edited[0]["question"]["choices"]] == ["Baku", "Gyumri"]
    assert edited[0]["question"]["updated_at"] != first[0]["question"]["updated_at"]
    assert edited[1:] == first[1:]


def test_kept_questions_are_plain_data_and_the_least_recently_used_go_first(
    api, learner, rich_deck, monkeypatch
):
    from quizapp.api import serializers

    monkeypatch.setattr(serializers._rendered, "size", 2)
    capital, ordering, matching = (
        Question.objects.get(slug=s) for s in ("capital", "order", "match")
    )
    serializers.questions_data([capital, ordering])
    serializers.questions_data([capital])  # used again: now the most recent
    serializers.questions_data([matching])  # the third: the least recently used goes
    kept = serializers._rendered.outputs
    assert list(kept) == [(capital.pk, capital.updated_at), (matching.pk, matching.updated_at)]
    assert all(type(output) is dict for output in kept.values())


def test_the_queue_brings_back_a_learning_card_with_its_state(api, learner, questions):
    review_record(
        user=learner,
        question=questions[0],
        rating=1,
        reviewed_at=timezone.now() - timedelta(hours=1),
        review_id=uuid.uuid4(),
    )
    queue = api.get("/api/v1/study/queue").json()["queue"]
    first = queue[0]
    assert first["kind"] == "learning"
    assert first["question"]["slug"] == questions[0].slug
    assert first["card"]["state"] == "learning" and first["card"]["reps"] == 1
    assert 0 <= first["predicted_recall"] <= 1


def test_the_queue_is_each_learners_own(api, other_api, learner, questions):
    review_record(
        user=learner,
        question=questions[0],
        rating=1,
        reviewed_at=timezone.now() - timedelta(hours=1),
        review_id=uuid.uuid4(),
    )
    theirs = other_api.get("/api/v1/study/queue").json()["queue"]
    assert all(entry["kind"] == "new" for entry in theirs)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "deck=not%20a%20slug", "deck=" + "a" * 101]
)
def test_the_queue_refuses_bad_parameters(api, questions, query):
    response = api.get(f"/api/v1/study/queue?{query}")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_the_queue_of_an_unknown_deck_is_404(api, questions):
    response = api.get("/api/v1/study/queue?deck=nope")
    assert response.status_code == 404
    error_of(response)


def test_drafts_never_reach_the_queue(api, rich_deck):
    slugs = [
        e["question"]["slug"] for e in api.get("/api/v1/study/queue?limit=100").json()["queue"]
    ]
    assert "draft" not in slugs


# --------------------------------------------------------------------------- reviews


def test_the_queue_leaves_out_the_questions_of_a_quiz_being_taken(
    api, learner, questions, django_assert_max_num_queries
):
    from quizapp.quizzes.services import attempt_start, attempt_submit
    from tests.factories import QuizFactory

    attempt = attempt_start(user=learner, quiz=QuizFactory(questions=questions[:3]))
    api.get("/api/v1/study/queue")  # settings row exists from here on
    with django_assert_max_num_queries(15):
        queue = api.get("/api/v1/study/queue?limit=100").json()["queue"]
    assert [e["question"]["id"] for e in queue] == [q.pk for q in questions[3:]]
    capitals = api.get("/api/v1/decks/capitals").json()
    assert (capitals["new"], capitals["total"]) == (2, 5)
    # A review rated on a device before it heard of the quiz is still taken.
    response = api.post(REVIEWS, {"reviews": [item(questions[0])]}, format="json")
    assert len(response.json()["accepted"]) == 1
    attempt_submit(attempt=attempt)
    queue = api.get("/api/v1/study/queue?limit=100").json()["queue"]
    assert {e["question"]["id"] for e in queue} == {q.pk for q in questions[1:]}


def test_uploading_reviews_stores_them_and_returns_the_cards(
    api, learner, questions, django_assert_max_num_queries
):
    batch = [item(questions[0], 3), item(questions[1], 1)]
    with django_assert_max_num_queries(60):
        response = api.post(REVIEWS, {"reviews": batch})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"accepted", "duplicate", "rejected", "cards"}
    assert sorted(body["accepted"]) == sorted(i["id"] for i in batch)
    assert body["duplicate"] == [] and body["rejected"] == []
    assert {c["question"] for c in body["cards"]} == {questions[0].slug, questions[1].slug}
    assert Review.objects.filter(user=learner).count() == 2
    card = CardState.objects.get(user=learner, question=questions[0])
    shown = next(c for c in body["cards"] if c["question"] == questions[0].slug)
    assert shown["reps"] == card.reps == 1 and shown["state"] == "learning"


def test_an_upload_returns_each_touched_card_as_stored_whatever_its_items_did(
    api, learner, questions
):
    from quizapp.api.serializers import CardStateSerializer

    now = timezone.now()
    first = item(questions[0], 3, now - timedelta(days=3))
    api.post(REVIEWS, {"reviews": [first]})
    batch = [
        first,  # a duplicate
        item(questions[0], 1, now - timedelta(days=1)),
        item(questions[0], 3, now - timedelta(days=2)),  # late: replayed before the previous
        item(questions[1], 4, now - timedelta(hours=1)),
        item(questions[1], 3, now - timedelta(minutes=5)),
        {**item(questions[2]), "question": "no-such-question"},
    ]
    body = api.post(REVIEWS, {"reviews": batch}).json()
    assert body["duplicate"] == [first["id"]]
    assert len(body["accepted"]) == 4 and [r["code"] for r in body["rejected"]] == [
        "unknown_question"
    ]
    stored = CardState.objects.filter(user=learner, question__in=questions[:2]).select_related(
        "question"
    )
    assert body["cards"] == json.loads(
        json.dumps(
            CardStateSerializer(sorted(stored, key=lambda c: c.question.slug), many=True).data,
            cls=DjangoJSONEncoder,
        )
    )
    assert [c["reps"] for c in body["cards"]] == [
        c.reps for c in sorted(stored, key=lambda c: c.question.slug)
    ] and sorted(c["reps"] for c in body["cards"]) == [2, 3]


def test_a_big_batch_costs_a_bounded_number_of_queries_per_review(
    api, learner, deck, django_assert_max_num_queries
):
    many = [QuestionFactory(deck=deck) for _ in range(20)]
    start = timezone.now() - timedelta(days=2)
    batch = [item(q, 3, start + timedelta(minutes=n)) for n, q in enumerate(many)]
    # Linear in the batch, constant per review (savepoint, card lock, insert, day totals).
    with django_assert_max_num_queries(30 + 14 * len(batch)):
        response = api.post(REVIEWS, {"reviews": batch})
    assert len(response.json()["accepted"]) == 20


def test_uploading_the_same_batch_again_stores_nothing_twice(api, learner, questions):
    batch = [item(questions[0]), item(questions[1])]
    api.post(REVIEWS, {"reviews": batch})
    again = api.post(REVIEWS, {"reviews": batch}).json()
    assert again["accepted"] == [] and sorted(again["duplicate"]) == sorted(i["id"] for i in batch)
    assert len(again["cards"]) == 2
    assert Review.objects.filter(user=learner).count() == 2


def test_a_reused_id_with_another_payload_is_a_conflict(api, learner, questions):
    first = item(questions[0], 3)
    api.post(REVIEWS, {"reviews": [first]})
    changed = {**first, "rating": 1}
    body = api.post(REVIEWS, {"reviews": [changed]}).json()
    assert body["rejected"][0]["id"] == first["id"]
    assert body["rejected"][0]["code"] == "conflict"
    assert Review.objects.get(user=learner).rating == 3


def test_reviews_of_questions_the_learner_may_not_study_are_rejected(api, learner, rich_deck):
    retired = QuestionFactory(deck=rich_deck, status="retired")
    not_in_a_deck = QuestionFactory()
    batch = [
        item(Question.objects.get(slug="draft")),
        item(retired),
        item(not_in_a_deck),
        {**item(retired), "question": "no-such-question"},
    ]
    body = api.post(REVIEWS, {"reviews": batch}).json()
    assert [r["code"] for r in body["rejected"]] == ["unknown_question"] * 4
    assert "draft" not in str(body["rejected"])
    assert not Review.objects.exists()


def test_a_review_already_stored_stays_a_duplicate_after_its_question_is_retired(
    api, learner, questions
):
    stored = item(questions[0])
    api.post(REVIEWS, {"reviews": [stored]})
    Question.objects.filter(pk=questions[0].pk).update(status=Question.Status.RETIRED)
    body = api.post(REVIEWS, {"reviews": [stored]}).json()
    assert body["duplicate"] == [stored["id"]]


def test_reviews_at_impossible_times_are_rejected_per_item(api, learner, questions):
    future = item(questions[0], at=timezone.now() + timedelta(hours=1))
    ancient = item(questions[1], at=learner.date_joined - timedelta(days=30))
    year_one = {**item(questions[2]), "reviewed_at": "0001-01-01T00:00:00Z"}
    year_9999 = {**item(questions[3]), "reviewed_at": "9999-12-31T00:00:00Z"}
    fine = item(questions[4])
    body = api.post(REVIEWS, {"reviews": [future, ancient, year_one, year_9999, fine]}).json()
    codes = {r["id"]: r["code"] for r in body["rejected"]}
    assert codes == {
        future["id"]: "future",
        ancient["id"]: "before_account",
        year_one["id"]: "before_account",
        year_9999["id"]: "future",
    }
    assert body["accepted"] == [fine["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "00000000-0000-0000-0000-000000000000"}, "id"),
        ({"id": 12345}, "id"),
        ({"id": None}, "id"),
        ({"id": "not-a-uuid"}, "id"),
        ({"rating": 0}, "rating"),
        ({"rating": 5}, "rating"),
        ({"rating": "3"}, "rating"),
        ({"rating": 3.5}, "rating"),
        ({"rating": True}, "rating"),
        ({"rating": 10**40}, "rating"),
        ({"reviewed_at": "2026-03-02T12:00:00"}, "reviewed_at"),
        ({"reviewed_at": "yesterday"}, "reviewed_at"),
        ({"reviewed_at": "9999-12-31T23:59:59-01:00"}, "reviewed_at"),
        ({"duration_ms": -1}, "duration_ms"),
        ({"question": "x" * 121}, "question"),
        ({"question": 7}, "question"),
        ({"user": 1}, "user"),
        ({"state": 2}, "state"),
    ],
)
def test_a_malformed_item_refuses_the_whole_batch(api, learner, questions, change, field):
    batch = [item(questions[0]), {**item(questions[1]), **change}]
    response = api.post(REVIEWS, {"reviews": batch})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [f"reviews.1.{field}"]
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"reviews": "x"}, {"reviews": ["x"]}, {"reviews": [], "user": 2}, [], "reviews"],
)
def test_a_malformed_upload_is_a_400(api, learner, body):
    response = api.post(REVIEWS, body, format="json")
    assert response.status_code == 400
    error_of(response)


def test_an_upload_holds_at_least_one_review(api, learner):
    response = api.post(REVIEWS, {"reviews": []})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and list(error["fields"]) == ["reviews"]
    assert "1 to 500" in error["fields"]["reviews"][0]


def test_a_batch_holds_at_most_500_reviews(api, learner, questions):
    start = timezone.now() - timedelta(days=1)
    batch = [item(questions[0], at=start + timedelta(seconds=n)) for n in range(501)]
    response = api.post(REVIEWS, {"reviews": batch})
    assert response.status_code == 400
    assert "reviews" in error_of(response)["fields"]
    assert not Review.objects.exists()


def test_reviews_go_to_the_uploaders_cards_only(api, learner, other_learner, questions):
    api.post(REVIEWS, {"reviews": [item(questions[0])]})
    assert not CardState.objects.filter(user=other_learner).exists()
    assert not Review.objects.filter(user=other_learner).exists()


def test_the_same_review_id_from_two_learners_is_two_reviews(api, other_api, questions):
    shared = item(questions[0])
    assert api.post(REVIEWS, {"reviews": [shared]}).json()["accepted"] == [shared["id"]]
    assert other_api.post(REVIEWS, {"reviews": [shared]}).json()["accepted"] == [shared["id"]]


# --------------------------------------------------------------------------- undo


def test_undo_removes_the_last_review_and_rederives_the_card(
    api, learner, questions, django_assert_max_num_queries
):
    early, late = timezone.now() - timedelta(hours=2), timezone.now() - timedelta(hours=1)
    api.post(REVIEWS, {"reviews": [item(questions[0], 3, early)]})
    last = item(questions[0], 1, late)
    api.post(REVIEWS, {"reviews": [last]})
    with django_assert_max_num_queries(30):
        response = api.post("/api/v1/reviews/undo")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == last["id"] and body["rating"] == 1
    assert body["question"] == questions[0].slug
    assert body["card"]["reps"] == 1
    assert CardState.objects.get(user=learner, question=questions[0]).reps == 1
    assert Review.objects.filter(user=learner).count() == 1


def test_undo_takes_no_fields_so_naming_a_review_undoes_nothing(api, learner, questions):
    """Undo removes the last review; a body naming another one (`{"id": …}`) was ignored, and
    the last review undone instead of the one named."""
    first = item(questions[0], 3, timezone.now() - timedelta(hours=2))
    api.post(REVIEWS, {"reviews": [first, item(questions[1], 1)]})
    response = api.post("/api/v1/reviews/undo", {"id": first["id"]})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and list(error["fields"]) == ["id"]
    assert Review.objects.filter(user=learner).count() == 2


def test_undo_with_nothing_to_undo_is_a_conflict(api, learner):
    response = api.post("/api/v1/reviews/undo")
    assert response.status_code == 409
    assert error_of(response)["code"] == "nothing_to_undo"


def test_undo_never_touches_another_learners_reviews(api, other_api, learner, questions):
    api.post(REVIEWS, {"reviews": [item(questions[0])]})
    assert other_api.post("/api/v1/reviews/undo").status_code == 409
    assert Review.objects.filter(user=learner).count() == 1


# --------------------------------------------------------------------------- card actions


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [("suspend", "suspended", True), ("bury", "buried_until", "set"), ("reset", "reps", 0)],
)
def test_card_actions_change_the_learners_card(
    api, learner, questions, action, field, value, django_assert_max_num_queries
):
    api.post(REVIEWS, {"reviews": [item(questions[0])]})
    with django_assert_max_num_queries(30):
        response = api.post(f"/api/v1/cards/{questions[0].slug}/{action}")
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == questions[0].slug
    card = CardState.objects.get(user=learner, question=questions[0])
    if value == "set":
        assert body[field] is not None and getattr(card, field) is not None
    else:
        assert body[field] == value == getattr(card, field)


def test_unsuspend_brings_a_card_back(api, learner, questions):
    api.post(f"/api/v1/cards/{questions[0].slug}/suspend")
    response = api.post(f"/api/v1/cards/{questions[0].slug}/unsuspend")
    assert response.status_code == 200 and response.json()["suspended"] is False
    slugs = [e["question"]["slug"] for e in api.get("/api/v1/study/queue").json()["queue"]]
    assert questions[0].slug in slugs


def test_card_actions_act_on_the_callers_card_only(
    api, other_api, learner, other_learner, questions
):
    api.post(REVIEWS, {"reviews": [item(questions[0])]})
    other_api.post(f"/api/v1/cards/{questions[0].slug}/suspend")
    assert CardState.objects.get(user=learner, question=questions[0]).suspended is False
    assert CardState.objects.get(user=other_learner, question=questions[0]).suspended is True


@pytest.mark.parametrize("status", ["draft", "retired"])
@pytest.mark.parametrize("action", ["suspend", "unsuspend", "bury", "reset"])
def test_card_actions_on_questions_the_learner_may_not_study_are_404(
    api, learner, deck, status, action
):
    hidden = QuestionFactory(deck=deck, status=status)
    response = api.post(f"/api/v1/cards/{hidden.slug}/{action}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert not CardState.objects.exists()


def test_card_actions_on_unknown_questions_are_404(api, learner):
    assert api.post("/api/v1/cards/no-such-question/bury").status_code == 404


@pytest.mark.parametrize("action", ["suspend", "unsuspend", "bury", "reset"])
def test_card_actions_refuse_fields_naming_them_and_change_nothing(api, learner, questions, action):
    api.post(REVIEWS, {"reviews": [item(questions[0])]})
    before = CardState.objects.filter(user=learner).values().get()
    url = f"/api/v1/cards/{questions[0].slug}/{action}"
    response = api.post(url, {"suspended": False, "reps": 0})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"suspended", "reps"}
    assert CardState.objects.filter(user=learner).values().get() == before
    assert api.post(url, "[1]", content_type="application/json").status_code == 400
    assert CardState.objects.filter(user=learner).values().get() == before
