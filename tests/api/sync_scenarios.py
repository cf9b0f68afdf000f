"""Syncs racing against writes: threads with their own connections and real transactions.

Used by test_sync.py (on the suite's SQLite file, and on PostgreSQL in CI). Run by hand on a
scratch SQLite file with `python -m tests.api.sync_scenarios /tmp/race.sqlite3`.
"""

import json
import os
import random
import sys
import threading
import time
import uuid
from datetime import timedelta

MARGIN = 0.2
"""API_SYNC_MARGIN_SECONDS for these runs: small, so that the watermark, not the margin, is
what keeps the slow writers' changes from being missed."""
HOLD = 0.6
"""Seconds a slow writer keeps its transaction open after writing: well past the margin."""


def _setup(questions: int):
    from django.utils import timezone
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from quizapp.study.services import learner_settings_get
    from tests.factories import DeckFactory, QuestionFactory, StudentFactory

    learner = StudentFactory(date_joined=timezone.now() - timedelta(days=30))
    deck = DeckFactory()
    pool = [QuestionFactory(deck=deck) for _ in range(questions)]
    learner_settings_get(user=learner)  # so that no write waits on another's first insert
    _, token = AuthToken.objects.create(user=learner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return learner, pool, client


def _in_thread(target):
    """Run `target` in a thread with its own database connection, closed at the end."""
    from django.db import connection

    errors: list[BaseException] = []

    def run():
        try:
            target()
        except BaseException as error:  # reported by the caller
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def interleaved() -> dict:
    """A review is written, a sync runs while its transaction is still open, the transaction
    commits: the next sync must bring the card."""
    from django.db import connection, transaction
    from django.utils import timezone

    from quizapp.study.services import review_record
    from tests.api.replica import Replica

    learner, pool, client = _setup(3)
    written, release = threading.Event(), threading.Event()
    # PostgreSQL: the sync does not wait for the writer, which holds its transaction until the
    # sync has answered, however long that takes on a busy machine (a fixed 1 s let it commit
    # mid-sync, and the sync then saw the card). SQLite: the sync waits for the writer's lock,
    # so the writer gives up waiting after a second (well within the busy timeout) and commits.
    hold_until_released = 60.0 if connection.vendor == "postgresql" else 1.0

    def slow_review():
        with transaction.atomic():
            review_record(
                user=learner,
                question=pool[0],
                rating=3,
                reviewed_at=timezone.now() - timedelta(minutes=1),
                review_id=uuid.uuid4(),
            )
            time.sleep(HOLD)  # the card was stamped longer ago than the margin covers
            written.set()
            # PostgreSQL: held until the sync below has answered. SQLite: that sync waits
            # for this transaction (the write lock), so give up waiting and commit.
            release.wait(timeout=hold_until_released)

    replica = Replica()
    thread, errors = _in_thread(slow_review)
    assert written.wait(timeout=30)
    during = replica.sync(client)
    release.set()
    thread.join()
    assert not errors, errors
    after = replica.sync(client)
    return {
        "card_in_sync_during_write": any(p["cards"] for p in during),
        "card_in_next_sync": any(p["cards"] for p in after),
        "card_in_replica": pool[0].pk in replica.cards,
        "replica_reps": replica.cards.get(pool[0].pk, {}).get("reps"),
    }


def race(*, writers: int = 2, operations: int = 15, seed: int = 7) -> dict:
    """Writers review, edit, retire and republish questions and change settings (some holding
    their transaction open past the margin) while a device syncs in small pages; after a final
    sync the device's copy must equal the server's state exactly."""
    from django.db import transaction
    from django.utils import timezone

    from quizapp.api.serializers import CardStateSerializer
    from quizapp.bank.models import Question
    from quizapp.study.models import CardState
    from quizapp.study.services import learner_settings_get, learner_settings_update, review_record
    from quizapp.study.sync import studyable_questions
    from tests.api.replica import Replica

    learner, pool, client = _setup(24)
    done = threading.Event()
    replica = Replica()

    def writer(number: int):
        rng = random.Random(seed + number)
        for step in range(operations):
            question = Question.objects.get(pk=rng.choice(pool).pk)
            hold = rng.choice([0, 0, 0.05, HOLD])
            with transaction.atomic():
                kind = rng.choice(["review", "review", "review", "edit", "status", "settings"])
                if kind == "review" and question.status == Question.Status.PUBLISHED:
                    review_record(
                        user=learner,
                        question=question,
                        rating=rng.randint(1, 4),
                        reviewed_at=timezone.now() - timedelta(seconds=rng.randint(0, 3600)),
                        review_id=uuid.uuid4(),
                    )
                elif kind == "edit":
                    question.prompt = f"Edited by writer {number} at step {step}."
                    question.version += 1
                    question.save()
                elif kind == "status":
                    published = question.status == Question.Status.PUBLISHED
                    question.status = "retired" if published else "published"
                    question.save()
                else:
                    learner_settings_update(user=learner, new_cards_per_day=rng.randint(0, 50))
                time.sleep(hold)

    def syncer():
        while not done.is_set():
            replica.sync(client, limit=5)
            time.sleep(0.02)

    sync_thread, sync_errors = _in_thread(syncer)
    threads = [_in_thread(lambda n=n: writer(n)) for n in range(writers)]
    for thread, _ in threads:
        thread.join()
    done.set()
    sync_thread.join()
    errors = sync_errors + [e for _, errs in threads for e in errs]
    assert not errors, errors
    replica.sync(client, limit=5)  # the device syncs once more after the dust settles

    truth_questions = {q.pk: (q.version, q.prompt) for q in studyable_questions(user=learner)}
    copy_questions = {
        qid: (q["version"], q["front"])
        for qid, q in replica.questions.items()
        if qid in replica.studyable()
    }
    shown = CardStateSerializer(
        CardState.objects.filter(user=learner).select_related("question"), many=True
    ).data
    truth_cards = {c["question_id"]: (c["reps"], c["due"], c["suspended"]) for c in shown}
    copy_cards = {qid: (c["reps"], c["due"], c["suspended"]) for qid, c in replica.cards.items()}
    settings_row = learner_settings_get(user=learner)
    return {
        "pages": replica.pages,
        "cards": len(truth_cards),
        "questions_equal": copy_questions == truth_questions,
        "cards_equal": copy_cards == truth_cards,
        "settings_equal": replica.settings["new_cards_per_day"] == settings_row.new_cards_per_day,
        "missing_questions": sorted(set(truth_questions) - set(copy_questions)),
        "stale_questions": sorted(
            q
            for q in truth_questions
            if q in copy_questions and copy_questions[q] != truth_questions[q]
        ),
        "extra_questions": sorted(set(copy_questions) - set(truth_questions)),
        "stale_cards": sorted(q for q in truth_cards if copy_cards.get(q) != truth_cards[q]),
    }


def main() -> None:
    """Set up a fresh SQLite file database, run both scenarios, print the results as JSON."""
    path = sys.argv[1]
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "quizapp.settings"
    os.environ["API_SYNC_MARGIN_SECONDS"] = str(MARGIN)
    os.environ["API_THROTTLE_USER"] = "1000000/minute"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps({"interleaved": interleaved(), "race": race()}))


if __name__ == "__main__":
    main()
