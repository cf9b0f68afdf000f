"""A phone's day, scripted: sign in, sync, study offline, upload (twice, then with an edited
item), undo, sync again, take a quiz (start, answer, submit) and sync once more. Stored state is
checked after every step."""

import uuid
from datetime import timedelta

import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from quizapp.api.serializers import CardStateSerializer
from quizapp.quizzes.models import Attempt, Response
from quizapp.study.models import CardState, Review, ReviewSource
from tests.api.replica import Replica
from tests.factories import PASSWORD, QuizFactory


def stored_cards(user) -> dict[int, dict]:
    cards = CardState.objects.filter(user=user).select_related("question")
    return {card["question_id"]: card for card in CardStateSerializer(cards, many=True).data}


def test_a_mobile_session_offline_and_back(learner, deck, questions, settings):
    settings.API_SYNC_MARGIN_SECONDS = 0
    quiz = QuizFactory(questions=questions[3:], feedback_mode="after_submit")
    phone = APIClient()

    # Sign in.
    login = phone.post("/api/v1/auth/login", {"username": learner.username, "password": PASSWORD})
    assert login.status_code == 200
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")

    # First sync: everything there is to study.
    replica = Replica()
    replica.sync(phone)
    assert replica.studyable() == {q.pk for q in questions}
    assert replica.cards == {} and replica.settings["new_cards_per_day"] == 20
    assert not Review.objects.filter(user=learner).exists()

    # Offline: study three cards this morning, one of them twice.
    morning = timezone.now() - timedelta(hours=3)
    slugs = {q["id"]: q["slug"] for q in replica.questions.values()}
    first, second, third = sorted(replica.studyable())[:3]
    studied = [
        (first, 3, morning),
        (second, 1, morning + timedelta(minutes=1)),
        (third, 4, morning + timedelta(minutes=2)),
        (second, 3, morning + timedelta(minutes=12)),
    ]
    batch = [
        {
            "id": str(uuid.uuid4()),
            "question": slugs[question_id],
            "rating": rating,
            "reviewed_at": at.isoformat(),
            "duration_ms": 5000,
        }
        for question_id, rating, at in studied
    ]

    # Back online: upload.
    uploaded = phone.post("/api/v1/reviews", {"reviews": batch}).json()
    assert sorted(uploaded["accepted"]) == sorted(r["id"] for r in batch)
    assert Review.objects.filter(user=learner).count() == 4
    cards = stored_cards(learner)
    assert {c["question_id"]: c for c in uploaded["cards"]} == cards
    assert cards[second]["reps"] == 2 and cards[first]["reps"] == 1

    # The connection dropped before the answer arrived: the app uploads the same batch again.
    again = phone.post("/api/v1/reviews", {"reviews": batch}).json()
    assert again["accepted"] == [] and sorted(again["duplicate"]) == sorted(r["id"] for r in batch)
    assert Review.objects.filter(user=learner).count() == 4
    assert stored_cards(learner) == cards

    # A buggy app version re-uploads with one review's rating changed: a conflict, not a merge.
    edited = [dict(r) for r in batch]
    edited[2]["rating"] = 1
    conflict = phone.post("/api/v1/reviews", {"reviews": edited}).json()
    assert [(r["id"], r["code"]) for r in conflict["rejected"]] == [(batch[2]["id"], "conflict")]
    assert len(conflict["duplicate"]) == 3
    assert Review.objects.get(user=learner, uuid=batch[2]["id"]).rating == 4
    assert stored_cards(learner) == cards

    # Undo: the last review recorded (the second look at `second`) goes, its card is replayed.
    undone = phone.post("/api/v1/reviews/undo").json()
    assert undone["id"] == batch[3]["id"]
    assert Review.objects.filter(user=learner).count() == 3
    after_undo = stored_cards(learner)
    assert after_undo[second]["reps"] == 1 and after_undo[second]["state"] == "learning"
    assert undone["card"] == after_undo[second]

    # Sync again: the device's copy now equals the server's state.
    with time_machine.travel(timezone.now() + timedelta(seconds=1), tick=True):
        pages = replica.sync(phone)
    assert {c["question_id"] for p in pages for c in p["cards"]} == {first, second, third}
    assert replica.cards == stored_cards(learner)
    assert replica.studyable() == {q.pk for q in questions}

    # A quiz on the two cards not studied yet (online: quizzes are not taken offline), a
    # little later than the last sync (the clock only moves forward).
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=True):
        listed = phone.get("/api/v1/quizzes").json()["results"]
        assert [(q["id"], q["attempts_used"]) for q in listed] == [(quiz.pk, 0)]
        attempt = phone.post(f"/api/v1/quizzes/{quiz.pk}/attempts").json()
        assert Attempt.objects.get(user=learner).status == "in_progress"
        by_id = {q["id"]: q for q in attempt["questions"]}
        right, wrong = questions[3].pk, questions[4].pk
        for question_id, answer in ((right, True), (wrong, False)):  # the factory's answer: true
            saved = phone.put(
                f"/api/v1/attempts/{attempt['id']}/answers/{question_id}", {"answer": answer}
            ).json()
            assert saved["answer"] is answer and saved["result"] is None
        assert set(by_id) == {right, wrong}
        assert {r.attempt_question.question_id: r.correct for r in Response.objects.all()} == {
            right: True,
            wrong: False,
        }
        assert not Review.objects.filter(user=learner, source=ReviewSource.QUIZ).exists()

        # Submit: the results show (after_submit), and the answers enter the review log.
        submitted = phone.post(f"/api/v1/attempts/{attempt['id']}/submit").json()
        assert submitted["score"] == 1.0 and submitted["percentage"] == 50.0
        assert Attempt.objects.get(user=learner).status == "submitted"
        quiz_reviews = Review.objects.filter(user=learner, source=ReviewSource.QUIZ)
        assert dict(quiz_reviews.values_list("question_id", "rating")) == {right: 3, wrong: 1}
        assert Review.objects.filter(user=learner).count() == 5

        # Sync again: the two quizzed cards arrive as the server has them, the rest unchanged.
        with time_machine.travel(timezone.now() + timedelta(seconds=1), tick=True):
            pages = replica.sync(phone)
        assert {c["question_id"] for p in pages for c in p["cards"]} >= {right, wrong}
        final = stored_cards(learner)
        assert replica.cards == final
        assert final[right]["reps"] == final[wrong]["reps"] == 1
        assert final[wrong]["state"] == "learning"
        assert {k: final[k] for k in after_undo} == after_undo
        assert replica.studyable() == {q.pk for q in questions}
