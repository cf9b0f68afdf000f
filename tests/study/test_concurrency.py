"""Two requests for one card never lose an update (row lock on PostgreSQL, IMMEDIATE
transactions on SQLite)."""

import random
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from quizapp.study import scheduling
from quizapp.study.models import CardState, Review
from quizapp.study.services import (
    ReviewPayload,
    learner_settings_get,
    memory_of,
    reviews_record_batch,
)
from tests.study.conftest import START


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_for_one_card_store_each_review_once_and_replay_exactly(
    learner, questions, time_machine
):
    time_machine.move_to(START + timedelta(days=30), tick=True)
    question = questions[0]
    payloads = [
        ReviewPayload(
            uuid.uuid4(), question.pk, random.choice([1, 2, 3, 4]), START + timedelta(hours=7 * i)
        )
        for i in range(24)
    ]
    # Four devices each upload an overlapping share, in their own order, at the same time.
    shares = [random.sample(payloads, 14) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(shares))

    def upload(share):
        try:
            barrier.wait()
            for start in range(0, len(share), 5):
                reviews_record_batch(user=learner, payloads=share[start : start + 5])
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=upload, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sent = {p.uuid: p for share in shares for p in share}
    assert Review.objects.filter(user=learner).count() == len(sent)
    expected = scheduling.replay(
        [
            scheduling.ReviewInput(p.rating, p.reviewed_at)
            for p in sorted(sent.values(), key=lambda p: (p.reviewed_at, str(p.uuid)))
        ],
        config=scheduling.SchedulerConfig(),
        card_id=question.pk,
    )
    assert memory_of(CardState.objects.get(user=learner, question=question)) == expected


@pytest.mark.django_db(transaction=True)
def test_two_uploads_locking_cards_in_opposite_orders_do_not_deadlock(
    learner, questions, time_machine
):
    """Two devices upload at once; each batch reaches the same two cards in the opposite order.

    The first upload pauses right after locking its first card until the second has locked
    one too (or 2 s have passed). Row locks taken card by card would now form a cycle, and
    PostgreSQL would fail one upload with "deadlock detected"; the learner's write lock, taken
    first, makes the second upload wait for the first instead.
    """
    time_machine.move_to(START + timedelta(days=30), tick=True)
    first, second = questions[0], questions[1]
    # The learner and both cards exist already, as they do after the first upload (creating
    # rows would make the second upload wait on the first's inserts instead).
    learner_settings_get(user=learner)
    for question in (first, second):
        CardState.objects.create(user=learner, question=question)
    batches = {
        "a": [
            ReviewPayload(uuid.uuid4(), first.pk, 3, START + timedelta(hours=1)),
            ReviewPayload(uuid.uuid4(), second.pk, 3, START + timedelta(hours=2)),
        ],
        "b": [
            ReviewPayload(uuid.uuid4(), second.pk, 1, START + timedelta(hours=1, minutes=30)),
            ReviewPayload(uuid.uuid4(), first.pk, 4, START + timedelta(hours=2, minutes=30)),
        ],
    }
    locked = {"a": threading.Event(), "b": threading.Event()}
    errors: list[BaseException] = []

    def card_lock_hook(name):
        def hook(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if '"study_cardstate"' in sql and "FOR UPDATE" in sql and not locked[name].is_set():
                locked[name].set()
                if name == "a":
                    locked["b"].wait(timeout=2)
            return result

        return hook

    def upload(name):
        try:
            if name == "b":
                locked["a"].wait(timeout=10)
            with connection.execute_wrapper(card_lock_hook(name)):
                reviews_record_batch(user=learner, payloads=batches[name])
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(name,)) for name in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Review.objects.filter(user=learner).count() == 4
    for question in (first, second):
        sent = sorted(
            (p for batch in batches.values() for p in batch if p.question_id == question.pk),
            key=lambda p: p.reviewed_at,
        )
        expected = scheduling.replay(
            [scheduling.ReviewInput(p.rating, p.reviewed_at) for p in sent],
            config=scheduling.SchedulerConfig(),
            card_id=question.pk,
        )
        assert memory_of(CardState.objects.get(user=learner, question=question)) == expected
