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
from quizapp.study.services import ReviewPayload, memory_of, reviews_record_batch
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
