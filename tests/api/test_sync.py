import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from quizapp.bank.models import DeckQuestion, Question
from quizapp.study.services import learner_settings_update, review_record
from tests.api import sync_scenarios
from tests.api.conftest import error_of
from tests.api.replica import Replica
from tests.factories import DeckFactory, QuestionFactory


@pytest.fixture(autouse=True)
def _no_margin(settings):
    """Most tests here want to see exactly what changed; the margin is tested on its own."""
    settings.API_SYNC_MARGIN_SECONDS = 0


def review(learner, question, rating=3, minutes_ago=1):
    return review_record(
        user=learner,
        question=question,
        rating=rating,
        reviewed_at=timezone.now() - timedelta(minutes=minutes_ago),
        review_id=uuid.uuid4(),
    )


def later(seconds=1):
    """A moment after everything written so far (stamps are microseconds apart)."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True)


def test_a_first_sync_brings_everything(
    api, learner, deck, questions, django_assert_max_num_queries
):
    review(learner, questions[0])
    QuestionFactory(deck=deck, status="draft")
    QuestionFactory(status="published")  # in no deck
    with django_assert_max_num_queries(26):
        response = api.get("/api/v1/sync")
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {
        "cursor",
        "has_more",
        "settings",
        "decks",
        "removed_decks",
        "questions",
        "removed_questions",
        "withheld_questions",
        "cards",
    }
    assert page["has_more"] is False
    assert {q["id"] for q in page["questions"]} == {q.pk for q in questions}
    assert page["removed_questions"] == page["withheld_questions"] == []
    assert [d["slug"] for d in page["decks"]] == ["capitals"]
    assert page["decks"][0]["question_ids"] == [q.pk for q in questions]
    assert [c["question"] for c in page["cards"]] == [questions[0].slug]
    assert page["settings"]["desired_retention"] == 0.9


def test_a_sync_with_nothing_new_is_empty(api, learner, questions):
    replica = Replica()
    replica.sync(api)
    with later():
        page = replica.sync(api)[0]
    assert (page["questions"], page["cards"], page["decks"], page["settings"]) == ([], [], [], None)


def test_a_sync_brings_only_what_changed(
    api, learner, deck, questions, django_assert_max_num_queries
):
    replica = Replica()
    replica.sync(api)
    with later():
        review(learner, questions[1])
        edited = Question.objects.get(pk=questions[2].pk)
        edited.prompt, edited.version = "Edited.", 2
        edited.save()
        learner_settings_update(user=learner, new_cards_per_day=5)
    with later(2), django_assert_max_num_queries(26):
        response = api.get("/api/v1/sync", {"since": replica.cursor})
    page = response.json()
    assert [q["id"] for q in page["questions"]] == [questions[2].pk]
    assert page["questions"][0]["front"] == "Edited."
    assert [c["question_id"] for c in page["cards"]] == [questions[1].pk]
    assert page["settings"]["new_cards_per_day"] == 5
    assert page["decks"] == []


def test_retired_and_unpublished_questions_are_removed(api, learner, deck, questions):
    replica = Replica()
    replica.sync(api)
    with later():
        for question, status in ((questions[0], "retired"), (questions[1], "draft")):
            question.status = status
            question.save()
    with later(2):
        page = replica.sync(api)[0]
    assert sorted(page["removed_questions"]) == sorted([questions[0].pk, questions[1].pk])
    # The deck's membership changed too, so it comes again without them, with its questions.
    assert page["decks"][0]["question_ids"] == [q.pk for q in questions[2:]]
    assert sorted(q["id"] for q in page["questions"]) == [q.pk for q in questions[2:]]
    assert replica.studyable() == {q.pk for q in questions[2:]}


def test_a_question_added_to_a_deck_comes_with_the_deck(api, learner, deck, questions):
    loose = QuestionFactory()  # published, in no deck: not studyable yet
    replica = Replica()
    replica.sync(api)
    assert loose.pk not in replica.questions
    with later():
        # Added through the deck's side: the question's own row is not touched.
        DeckQuestion.objects.create(deck=deck, question=loose, position=10**9)
    with later(2):
        page = replica.sync(api)[0]
    assert loose.pk in {q["id"] for q in page["questions"]}
    assert page["decks"][0]["question_ids"][-1] == loose.pk
    assert loose.pk in replica.studyable()


def test_removed_decks_are_reported(api, learner, deck, questions):
    other = DeckFactory(slug="other")
    replica = Replica()
    replica.sync(api)
    other_id = other.pk
    other.delete()
    with later():
        page = replica.sync(api)[0]
    assert page["removed_decks"] == [other_id]
    assert set(replica.decks) == {deck.pk}


def test_sync_pages_with_has_more(api, learner, deck, django_assert_max_num_queries):
    many = [QuestionFactory(deck=deck) for _ in range(7)]
    for question in many[:5]:
        review(learner, question)
    replica = Replica()
    with django_assert_max_num_queries(26):
        first = api.get("/api/v1/sync", {"limit": 3}).json()
    assert first["has_more"] is True
    assert len(first["questions"]) == 3 and len(first["cards"]) == 3
    replica.apply(first)
    pages = replica.sync(api, limit=3)
    assert [p["has_more"] for p in pages] == [True, False]
    assert set(replica.questions) == {q.pk for q in many}
    assert set(replica.cards) == {q.pk for q in many[:5]}
    assert all(p["decks"] == [] and p["settings"] is None for p in pages)


def test_a_write_during_paging_is_not_lost(api, learner, deck):
    many = [QuestionFactory(deck=deck) for _ in range(6)]
    replica = Replica()
    replica.apply(api.get("/api/v1/sync", {"limit": 2}).json())
    with later():
        first = Question.objects.get(pk=many[0].pk)  # already sent on the first page
        first.prompt = "Changed while the device was paging."
        first.save()
    with later(2):
        replica.sync(api, limit=2)
    with later(3):
        replica.sync(api, limit=2)
    assert replica.questions[many[0].pk]["front"] == "Changed while the device was paging."


def test_the_margin_sends_recent_changes_again(api, learner, questions, settings):
    settings.API_SYNC_MARGIN_SECONDS = 60
    replica = Replica()
    replica.sync(api)
    review(learner, questions[0])
    with later(10):
        assert [c["question_id"] for c in replica.sync(api)[0]["cards"]] == [questions[0].pk]
    with later(20):  # still within the margin: sent again, harmlessly
        assert [c["question_id"] for c in replica.sync(api)[0]["cards"]] == [questions[0].pk]
    with later(120):
        replica.sync(api)  # its cursor is now past the review, less the margin
        assert replica.sync(api)[0]["cards"] == []


def test_sync_shows_only_the_learners_own_cards(api, other_api, learner, questions):
    review(learner, questions[0])
    page = other_api.get("/api/v1/sync").json()
    assert page["cards"] == []
    assert len(page["questions"]) == len(questions)


@pytest.mark.parametrize("since", ["garbage", "a" * 300, "a" * 30_000])
def test_a_bad_cursor_is_a_400(api, learner, since):
    response = api.get("/api/v1/sync", {"since": since})
    assert response.status_code == 400
    assert "since" in error_of(response)["fields"]


def test_another_learners_cursor_is_refused(api, other_api, learner, questions):
    cursor = api.get("/api/v1/sync").json()["cursor"]
    response = other_api.get("/api/v1/sync", {"since": cursor})
    assert response.status_code == 400
    assert "since" in error_of(response)["fields"]


def test_a_tampered_cursor_is_refused(api, learner, questions):
    cursor = api.get("/api/v1/sync").json()["cursor"]
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    assert api.get("/api/v1/sync", {"since": tampered}).status_code == 400


@pytest.mark.parametrize("limit", ["0", "501", "x"])
def test_a_bad_page_size_is_a_400(api, learner, limit):
    assert api.get("/api/v1/sync", {"limit": limit}).status_code == 400


def test_sync_needs_sign_in(anonymous, db):
    response = anonymous.get("/api/v1/sync")
    assert response.status_code == 401
    error_of(response)


# --------------------------------------------------------------------------- concurrency


@pytest.fixture
def scenario_settings(settings):
    settings.API_SYNC_MARGIN_SECONDS = sync_scenarios.MARGIN
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anonymous": "1000/minute",
            "user": "1000000/minute",
            "login": "1000/minute",
        },
    }


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_sync_read_comes_in_the_next_sync(scenario_settings):
    outcome = sync_scenarios.interleaved()
    assert outcome["card_in_replica"] and outcome["replica_reps"] == 1
    if connection.vendor == "postgresql":
        # The sync really ran while the review was uncommitted, and did not see it...
        assert outcome["card_in_sync_during_write"] is False
        # ...yet the cursor it returned brought it next time.
        assert outcome["card_in_next_sync"] is True
    else:
        # SQLite: the sync's IMMEDIATE transaction waited for the writer, then saw it.
        assert outcome["card_in_sync_during_write"] is True


@pytest.mark.django_db(transaction=True)
def test_repeated_syncs_during_concurrent_writes_miss_nothing(scenario_settings):
    outcome = sync_scenarios.race()
    assert outcome["cards"] > 0 and outcome["pages"] > 2
    assert outcome["missing_questions"] == [] and outcome["extra_questions"] == []
    assert outcome["stale_questions"] == [] and outcome["stale_cards"] == []
    assert outcome["questions_equal"] and outcome["cards_equal"] and outcome["settings_equal"]


GUNICORN_REQUEST_LINE = 4094  # gunicorn's default limit_request_line, in bytes


def test_the_cursor_stays_small_with_hundreds_of_decks_and_a_change_resends_its_group(
    api, learner, deck, questions
):
    from quizapp.bank.models import Deck
    from quizapp.study.sync import DECK_GROUP

    def request_line(cursor):
        return len(f"GET /api/v1/sync?since={cursor}&limit=200 HTTP/1.1".encode())

    Deck.objects.bulk_create(Deck(slug=f"many-{n}", title=f"Deck {n}") for n in range(400))
    replica = Replica()
    first = replica.sync(api, limit=1)  # pages: every cursor of the round counts
    assert len(first) > 1 and len(replica.decks) == 401
    assert max(request_line(page["cursor"]) for page in first) < GUNICORN_REQUEST_LINE / 4
    edited = Deck.objects.get(slug="many-200")
    gone = list(Deck.objects.filter(slug__in=["many-7", "many-399"]).values_list("pk", flat=True))
    with later():
        edited.title = "Edited"
        edited.save()
        for position, question in enumerate(questions):  # its questions come again, in pages
            DeckQuestion.objects.create(deck=edited, question=question, position=position)
        Deck.objects.filter(pk__in=gone).delete()
    with later(2):
        pages = replica.sync(api, limit=1)
    assert len(pages) > 1
    assert max(request_line(page["cursor"]) for page in pages) < GUNICORN_REQUEST_LINE / 4
    decks = [d for page in pages for d in page["decks"]]
    assert replica.decks[edited.pk]["title"] == "Edited"
    assert replica.decks[edited.pk]["question_ids"] == [q.pk for q in questions]
    assert sorted(pk for page in pages for pk in page["removed_decks"]) == sorted(gone)
    assert set(replica.decks) == set(Deck.objects.values_list("pk", flat=True))
    # Only the groups that changed came again, not all 399 decks.
    assert {d["id"] // DECK_GROUP for d in decks} <= {pk // DECK_GROUP for pk in [edited.pk, *gone]}
    assert edited.pk in {d["id"] for d in decks} and len(decks) < 3 * DECK_GROUP
    with later(3):
        assert replica.sync(api)[0]["decks"] == []


def test_a_cursor_from_before_deck_groups_still_syncs(api, learner, deck, questions):
    from django.core import signing

    from quizapp.api.views.sync import CURSOR_SALT

    other = DeckFactory(slug="other")
    replica = Replica()
    replica.sync(api)
    old_style = signing.dumps(
        {
            "u": learner.pk,
            "s": (timezone.now() - timedelta(minutes=5)).isoformat(),
            "d": {str(deck.pk): "0123456789abcdef", str(other.pk): "fedcba9876543210"},
        },
        salt=CURSOR_SALT,
        compress=True,
    )
    other_id = other.pk
    other.delete()
    with later():
        page = api.get("/api/v1/sync", {"since": old_style}).json()
    assert page["removed_decks"] == [other_id]
    assert [d["id"] for d in page["decks"]] == [deck.pk]  # every deck once more
    assert page["decks"][0]["question_ids"] == [q.pk for q in questions]


# --------------------------------------------------------------------------- withheld questions


def start_quiz(learner, questions, **fields):
    from quizapp.quizzes.services import attempt_start
    from tests.factories import QuizFactory

    return attempt_start(user=learner, quiz=QuizFactory(questions=questions, **fields))


def test_a_started_quiz_takes_its_questions_off_the_device_and_submitting_brings_them_back(
    api, learner, deck, questions, django_assert_max_num_queries
):
    from quizapp.quizzes.services import attempt_submit

    replica = Replica()
    replica.sync(api)
    review(learner, questions[0])
    in_quiz = {questions[0].pk, questions[1].pk}
    with later():
        attempt = start_quiz(learner, questions[:2])
    with later(2), django_assert_max_num_queries(27):
        page = api.get("/api/v1/sync", {"since": replica.cursor}).json()
    replica.apply(page)
    assert set(page["removed_questions"]) == set(page["withheld_questions"]) == in_quiz
    assert not in_quiz & {q["id"] for q in page["questions"]}
    assert replica.studyable() == {q.pk for q in questions[2:]}
    # The card keeps its progress (a card shows no answer); the deck still lists both.
    assert questions[0].pk in replica.cards
    assert replica.decks[deck.pk]["question_ids"] == [q.pk for q in questions]
    with later(3):
        page = replica.sync(api)[0]
    assert page["removed_questions"] == [] and set(page["withheld_questions"]) == in_quiz

    with later(4):
        attempt_submit(attempt=attempt)
    with later(5):
        page = replica.sync(api)[0]
    # Back, though neither question changed since the device last had it.
    assert {q["id"] for q in page["questions"]} == in_quiz
    assert page["withheld_questions"] == [] and page["removed_questions"] == []
    assert replica.studyable() == {q.pk for q in questions}
    with later(6):
        assert replica.sync(api)[0]["questions"] == []


def test_a_first_sync_during_an_attempt_never_sends_its_questions(api, learner, questions):
    start_quiz(learner, questions[:2])
    replica = Replica()
    pages = replica.sync(api, limit=1)
    sent = {q["id"] for page in pages for q in page["questions"]}
    assert sent == {q.pk for q in questions[2:]}
    assert set(pages[-1]["withheld_questions"]) == {questions[0].pk, questions[1].pk}


def test_an_edit_to_a_withheld_question_waits_until_it_is_released(api, learner, questions):
    from quizapp.quizzes.services import attempt_submit

    replica = Replica()
    replica.sync(api)
    with later():
        attempt = start_quiz(learner, questions[:1])
    with later(2):
        replica.sync(api)
        edited = Question.objects.get(pk=questions[0].pk)
        edited.prompt, edited.version = "Edited.", 2
        edited.save()
    with later(3):
        page = replica.sync(api)[0]
    assert page["questions"] == [] and page["removed_questions"] == [questions[0].pk]
    with later(4):
        attempt_submit(attempt=attempt)
    with later(5):
        replica.sync(api)
    assert replica.questions[questions[0].pk]["front"] == "Edited."


def test_a_quiz_started_in_the_middle_of_a_round_is_withheld_from_its_next_pages(
    api, learner, deck, questions
):
    replica = Replica()
    replica.sync(api)
    with later():
        for question in questions:
            question.save()  # every question changed: the next round has five pages
    with later(2):
        first = api.get("/api/v1/sync", {"since": replica.cursor, "limit": 1}).json()
        replica.apply(first)
        start_quiz(learner, questions[3:])
        pages = [first, *replica.sync(api, limit=1)]
    sent = [q["id"] for page in pages for q in page["questions"]]
    assert not {questions[3].pk, questions[4].pk} & set(sent[1:])
    assert {questions[3].pk, questions[4].pk} <= {
        pk for page in pages for pk in page["removed_questions"]
    }
    assert replica.studyable() == {q.pk for q in questions[:3]}


def test_a_cursor_from_before_withholding_is_told_what_is_withheld(api, learner, questions):
    from django.core import signing

    from quizapp.api.views.sync import CURSOR_SALT

    replica = Replica()
    replica.sync(api)
    data = signing.loads(replica.cursor, salt=CURSOR_SALT)
    del data["w"]
    old_style = signing.dumps(data, salt=CURSOR_SALT, compress=True)
    with later():
        start_quiz(learner, questions[:1])
    with later(2):
        page = api.get("/api/v1/sync", {"since": old_style}).json()
    assert page["removed_questions"] == page["withheld_questions"] == [questions[0].pk]
