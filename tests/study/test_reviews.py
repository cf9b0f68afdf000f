import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.study import scheduling
from quizapp.study.models import LEECH_LAPSES, CardState, LearnerSettings, Review, ReviewSource
from quizapp.study.services import (
    Outcome,
    ReviewError,
    ReviewPayload,
    card_bury,
    card_reset,
    card_suspend,
    card_unsuspend,
    review_record,
    review_undo,
    reviews_record_batch,
)
from tests.study.conftest import START, new_id


def record(user, question, rating, at, review_id=None, **extra):
    return review_record(
        user=user,
        question=question,
        rating=rating,
        reviewed_at=at,
        review_id=review_id or new_id(),
        **extra,
    )


def replayed(user, question) -> scheduling.MemoryState:
    reviews = Review.objects.for_card(user, question).in_replay_order()
    return scheduling.replay(
        [scheduling.ReviewInput(r.rating, r.reviewed_at) for r in reviews],
        config=scheduling.SchedulerConfig(),
        card_id=question.pk,
    )


def stored(user, question) -> scheduling.MemoryState:
    from quizapp.study.services import memory_of

    return memory_of(CardState.objects.get(user=user, question=question))


def test_a_review_creates_the_card_state_from_its_replay(learner, questions):
    result = record(learner, questions[0], 3, START)
    assert result.outcome == Outcome.ACCEPTED
    card = CardState.objects.get(user=learner, question=questions[0])
    assert card.reps == 1 and card.state == CardState.State.LEARNING
    assert card.due > START
    assert stored(learner, questions[0]) == replayed(learner, questions[0])


def test_same_id_and_payload_is_a_duplicate_stored_once(learner, questions):
    review_id = new_id()
    record(learner, questions[0], 3, START, review_id)
    again = record(learner, questions[0], 3, START, review_id)
    assert again.outcome == Outcome.DUPLICATE
    assert Review.objects.filter(user=learner).count() == 1
    assert CardState.objects.get(user=learner, question=questions[0]).reps == 1


def test_a_reused_id_with_a_different_payload_is_a_conflict(learner, questions):
    review_id = new_id()
    record(learner, questions[0], 3, START, review_id)
    with pytest.raises(ReviewError) as error:
        record(learner, questions[0], 1, START, review_id)
    assert error.value.code == "conflict"
    assert Review.objects.get(user=learner).rating == 3


def test_the_same_id_from_two_learners_is_two_reviews(learner, other_student, questions):
    review_id = new_id()
    record(learner, questions[0], 3, START, review_id)
    other_student.date_joined = learner.date_joined
    other_student.save()
    assert record(other_student, questions[0], 3, START, review_id).outcome == Outcome.ACCEPTED
    assert Review.objects.filter(uuid=review_id).count() == 2


def test_a_late_offline_review_is_replayed_in_its_place(learner, questions):
    q = questions[0]
    record(learner, q, 3, START)
    record(learner, q, 3, START + timedelta(days=3))
    # Made on a phone on day 1, uploaded after the day-3 review.
    record(learner, q, 1, START + timedelta(days=1))
    assert [r.rating for r in Review.objects.for_card(learner, q).in_replay_order()] == [3, 1, 3]
    assert stored(learner, q) == replayed(learner, q)
    assert stored(learner, q).reps == 3


def test_undo_removes_the_last_recorded_review_and_rederives(learner, questions):
    q = questions[0]
    record(learner, q, 3, START)
    before = stored(learner, q)
    record(learner, q, 1, START + timedelta(minutes=10))
    undone = review_undo(user=learner)
    assert undone.rating == 1
    assert Review.objects.filter(user=learner).count() == 1
    assert stored(learner, q) == before


def test_undo_leaves_reviews_a_quiz_recorded(learner, questions):
    studied, quizzed = questions[0], questions[1]
    record(learner, studied, 3, START)
    record(learner, studied, 1, START + timedelta(minutes=5), source=ReviewSource.PRACTICE)
    record(learner, quizzed, 4, START + timedelta(minutes=10), source=ReviewSource.QUIZ)
    quiz_card = stored(learner, quizzed)
    assert review_undo(user=learner).source == ReviewSource.PRACTICE
    assert review_undo(user=learner).source == ReviewSource.FLASHCARD
    assert review_undo(user=learner) is None  # only the quiz's review is left
    assert list(Review.objects.filter(user=learner).values_list("source", flat=True)) == [
        ReviewSource.QUIZ
    ]
    assert stored(learner, quizzed) == quiz_card


def test_undo_with_nothing_to_undo_returns_none(learner):
    assert review_undo(user=learner) is None


def test_undo_takes_the_last_recorded_even_when_it_was_a_late_review(learner, questions):
    record(learner, questions[0], 3, START + timedelta(days=2))
    record(learner, questions[1], 3, START)  # recorded last, answered earlier
    assert review_undo(user=learner).question == questions[1]


def test_suspend_and_unsuspend_keep_memory(learner, questions):
    record(learner, questions[0], 3, START)
    memory = stored(learner, questions[0])
    assert card_suspend(user=learner, question=questions[0]).suspended
    assert stored(learner, questions[0]) == memory
    assert not card_unsuspend(user=learner, question=questions[0]).suspended


def test_bury_lasts_until_the_next_study_day_starts(learner, questions, time_machine):
    time_machine.move_to(START)  # 12:00 UTC; the learner's day starts at 04:00 UTC
    card = card_bury(user=learner, question=questions[0])
    assert card.buried_until == START.replace(hour=4) + timedelta(days=1)


def test_reset_makes_the_card_new_but_keeps_its_history(learner, questions):
    q = questions[0]
    record(learner, q, 3, START)
    record(learner, q, 3, START + timedelta(days=1))
    card = card_reset(user=learner, question=q, now=START + timedelta(days=2))
    assert (card.state, card.reps, card.stability) == (CardState.State.NEW, 0, None)
    assert Review.objects.for_card(learner, q).count() == 2
    record(learner, q, 3, START + timedelta(days=3))
    assert stored(learner, q).reps == 1


@pytest.mark.parametrize(("suspend_leeches", "suspended"), [(True, True), (False, False)])
def test_a_card_becomes_a_leech_at_eight_lapses(learner, questions, suspend_leeches, suspended):
    LearnerSettings.objects.create(user=learner, suspend_leeches=suspend_leeches)
    q, at = questions[0], START
    record(learner, q, 4, at)  # straight to review
    for lapse in range(1, LEECH_LAPSES + 1):
        card = CardState.objects.get(user=learner, question=q)
        at = card.due + timedelta(hours=1)
        record(learner, q, 1, at)  # lapse
        card = CardState.objects.get(user=learner, question=q)
        assert card.lapses == lapse
        assert card.leech == (lapse >= LEECH_LAPSES)
        while card.state != CardState.State.REVIEW:
            at = card.due + timedelta(minutes=1)
            record(learner, q, 4, at)
            card = CardState.objects.get(user=learner, question=q)
    assert card.suspended is suspended


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"reviewed_at": START + timedelta(days=400)}, "future"),
        ({"reviewed_at": START - timedelta(days=400)}, "before_account"),
        ({"rating": 5}, "invalid_rating"),
        ({"rating": True}, "invalid_rating"),
        ({"uuid": uuid.UUID(int=0)}, "invalid_id"),
        ({"duration_ms": -1}, "invalid_duration"),
        ({"question_id": 10**9}, "unknown_question"),
    ],
)
def test_bad_reviews_are_rejected_with_a_code_and_nothing_is_written(
    learner, questions, time_machine, change, code
):
    time_machine.move_to(START + timedelta(days=1))
    good = ReviewPayload(new_id(), questions[0].pk, 3, START)
    bad = ReviewPayload(**{**good.__dict__, "uuid": new_id(), **change})
    batch = reviews_record_batch(user=learner, payloads=[bad])
    (rejected,) = batch.of(Outcome.REJECTED)
    assert rejected.code == code and rejected.message
    assert not Review.objects.exists() and not CardState.objects.filter(reps__gt=0).exists()


def test_a_batch_reports_each_item(learner, questions, time_machine):
    time_machine.move_to(START + timedelta(days=1))
    first = ReviewPayload(new_id(), questions[0].pk, 3, START)
    reviews_record_batch(user=learner, payloads=[first])
    conflict = ReviewPayload(first.uuid, questions[0].pk, 1, START)
    fresh = ReviewPayload(new_id(), questions[1].pk, 3, START)
    unknown = ReviewPayload(new_id(), 10**9, 3, START)
    batch = reviews_record_batch(user=learner, payloads=[first, conflict, fresh, unknown])
    assert [r.uuid for r in batch.of(Outcome.ACCEPTED)] == [fresh.uuid]
    assert [r.uuid for r in batch.of(Outcome.DUPLICATE)] == [first.uuid]
    assert {r.code for r in batch.of(Outcome.REJECTED)} == {"conflict", "unknown_question"}
    assert Review.objects.filter(user=learner).count() == 2


def test_a_batch_over_the_limit_is_refused_whole(learner, questions):
    payloads = [ReviewPayload(new_id(), questions[0].pk, 3, START) for _ in range(501)]
    with pytest.raises(ReviewError, match="at most 500"):
        reviews_record_batch(user=learner, payloads=payloads)
    assert not Review.objects.exists()


review_events = st.lists(
    st.tuples(st.integers(0, 60 * 24 * 40), st.integers(1, 4)), min_size=1, max_size=12
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=review_events, data=st.data())
def test_any_upload_order_with_duplicates_equals_the_in_order_replay(
    learner, questions, time_machine, events, data
):
    from django.db import transaction

    time_machine.move_to(START + timedelta(days=60))
    q = questions[0]
    payloads = [
        ReviewPayload(new_id(), q.pk, rating, START + timedelta(minutes=minutes))
        for minutes, rating in events
    ]
    uploads = data.draw(st.permutations(payloads))
    resent = data.draw(st.lists(st.sampled_from(payloads), max_size=5))
    batches = data.draw(st.integers(1, 3))
    sequence = [*uploads, *resent]
    with transaction.atomic():
        for i in range(batches):
            reviews_record_batch(user=learner, payloads=sequence[i::batches])
        assert Review.objects.filter(user=learner).count() == len(payloads)
        expected = scheduling.replay(
            [
                scheduling.ReviewInput(p.rating, p.reviewed_at)
                for p in sorted(payloads, key=lambda p: (p.reviewed_at, str(p.uuid)))
            ],
            config=scheduling.SchedulerConfig(),
            card_id=q.pk,
        )
        assert stored(learner, q) == expected
        transaction.set_rollback(True)


def test_verify_card_states_reports_zero_drift_and_finds_tampering(learner, questions, capsys):
    record(learner, questions[0], 3, START)
    record(learner, questions[1], 1, START)
    call_command("verify_card_states")
    assert "2 cards checked, 0 drifted" in capsys.readouterr().out
    CardState.objects.filter(question=questions[0]).update(stability=99.0)
    with pytest.raises(SystemExit):
        call_command("verify_card_states")
    assert "1 drifted" in capsys.readouterr().out
    call_command("verify_card_states", "--repair")
    call_command("verify_card_states")
    assert "0 drifted" in capsys.readouterr().out
