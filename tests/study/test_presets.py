"""Deck presets: named options a learner gives decks, with the learner's settings as the default.

Each card follows its main deck's preset (the first deck in study order listing it): the
preset's retention, steps and maximum interval schedule it, and its daily limits, shared by
every card that follows it, cap how many such cards the queue brings each day.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from quizapp.study.models import CardState, DeckPreset, LearnerSettings
from quizapp.study.presets import format_steps, parse_steps
from quizapp.study.selectors import deck_counts, queue_entry_for, study_queue
from quizapp.study.services import (
    deck_preset_assign,
    deck_preset_create,
    deck_preset_delete,
    deck_preset_update,
    learner_settings_update,
    review_record,
)
from tests.factories import DeckFactory, QuestionFactory
from tests.study.conftest import START, new_id


def review(user, question, rating, at):
    return review_record(
        user=user, question=question, rating=rating, reviewed_at=at, review_id=new_id()
    )


def card(user, question) -> CardState:
    return CardState.objects.get(user=user, question=question)


@pytest.fixture
def two_decks(db):
    """Deck "exam" first in study order, then "leisure"; four questions each."""
    exam, leisure = DeckFactory(position=1), DeckFactory(position=2)
    return (
        exam,
        leisure,
        [QuestionFactory(deck=exam) for _ in range(4)],
        [QuestionFactory(deck=leisure) for _ in range(4)],
    )


class TestSteps:
    @pytest.mark.parametrize(
        ("text", "minutes"),
        [("1m 10m", [1, 10]), ("10 30, 1h", [10, 30, 60]), ("1d", [1440]), ("", [])],
    )
    def test_read_as_anki_writes_them(self, text, minutes) -> None:
        assert parse_steps(text) == minutes

    def test_are_shown_in_the_largest_whole_unit(self) -> None:
        assert format_steps([1, 10, 60, 90, 1440]) == "1m 10m 1h 90m 1d"

    @pytest.mark.parametrize(
        ("text", "problem"), [("ten", "not a step"), ("0m", "between"), ("8d", "between")]
    )
    def test_bad_steps_say_what_is_wrong(self, text, problem) -> None:
        with pytest.raises(ValueError, match=problem):
            parse_steps(text)


def test_a_decks_preset_schedules_its_cards(learner, two_decks, time_machine):
    exam, _, exam_questions, leisure_questions = two_decks
    preset = deck_preset_create(
        user=learner, name="Exam", desired_retention=0.95, learning_steps=[5, 30]
    )
    deck_preset_assign(user=learner, deck=exam, preset=preset)
    time_machine.move_to(START)
    entries = {e.question.pk: e for e in study_queue(user=learner, limit=20)}
    # Again on a new card comes back after the preset's first learning step.
    assert entries[exam_questions[0].pk].intervals[1] == timedelta(minutes=5)
    assert entries[leisure_questions[0].pk].intervals[1] == timedelta(minutes=1)
    # Easy goes straight to review: higher retention, a shorter interval.
    assert (
        entries[exam_questions[0].pk].intervals[4] < entries[leisure_questions[0].pk].intervals[4]
    )
    review(learner, exam_questions[0], 3, START)
    assert card(learner, exam_questions[0]).due == START + timedelta(minutes=30)


def test_each_presets_daily_new_limit_counts_the_cards_that_follow_it(
    learner, two_decks, time_machine
):
    exam, _, exam_questions, leisure_questions = two_decks
    learner_settings_update(user=learner, new_cards_per_day=3)
    preset = deck_preset_create(user=learner, name="Exam", new_cards_per_day=1)
    deck_preset_assign(user=learner, deck=exam, preset=preset)
    time_machine.move_to(START)
    queue = study_queue(user=learner, limit=20)
    assert [e.question.pk for e in queue] == [exam_questions[0].pk] + [
        q.pk for q in leisure_questions[:3]
    ]
    review(learner, exam_questions[0], 3, START)
    new = [e.question.pk for e in study_queue(user=learner, limit=20) if e.kind == "new"]
    assert new == [q.pk for q in leisure_questions[:3]]
    assert [c.new for c in deck_counts(user=learner)] == [0, 3]
    # Studying the deck alone obeys the same limit.
    assert [e.kind for e in study_queue(user=learner, deck=exam, limit=20)] == []
    time_machine.move_to(START + timedelta(days=1))
    assert [c.new for c in deck_counts(user=learner)] == [1, 3]


def test_each_presets_daily_review_limit_counts_the_cards_that_follow_it(
    learner, two_decks, time_machine
):
    _, leisure, exam_questions, leisure_questions = two_decks
    preset = deck_preset_create(user=learner, name="Light", max_reviews_per_day=2)
    deck_preset_assign(user=learner, deck=leisure, preset=preset)
    for question in [*exam_questions[:3], *leisure_questions[:3]]:
        review(learner, question, 4, START - timedelta(days=40))
    time_machine.move_to(START)
    reviews = [e.question.pk for e in study_queue(user=learner, limit=20) if e.kind == "review"]
    assert sorted(reviews) == sorted(
        [q.pk for q in exam_questions[:3]] + [q.pk for q in leisure_questions[:2]]
    )
    review(learner, leisure_questions[0], 3, START)
    review(learner, leisure_questions[1], 3, START)
    reviews = [e.question.pk for e in study_queue(user=learner, limit=20) if e.kind == "review"]
    assert sorted(reviews) == sorted(q.pk for q in exam_questions[:3])


def test_a_question_in_two_decks_follows_its_main_deck(learner, two_decks, time_machine):
    exam, leisure, exam_questions, _ = two_decks
    from quizapp.bank.models import DeckQuestion

    shared = exam_questions[0]
    DeckQuestion.objects.create(deck=leisure, question=shared, position=99)
    preset = deck_preset_create(user=learner, name="Slow", learning_steps=[20])
    deck_preset_assign(user=learner, deck=leisure, preset=preset)
    time_machine.move_to(START)
    # Its main deck is "exam" (first in study order), which follows the default.
    assert queue_entry_for(user=learner, question=shared).intervals[1] == timedelta(minutes=1)
    deck_preset_assign(user=learner, deck=exam, preset=preset)
    assert queue_entry_for(user=learner, question=shared).intervals[1] == timedelta(minutes=20)


def test_changing_a_presets_retention_re_derives_only_its_cards(
    learner, two_decks, time_machine, capsys
):
    exam, _, exam_questions, leisure_questions = two_decks
    time_machine.move_to(START, tick=False)
    preset = deck_preset_create(user=learner, name="Exam")
    deck_preset_assign(user=learner, deck=exam, preset=preset)
    review(learner, exam_questions[0], 4, START)
    review(learner, leisure_questions[0], 4, START)
    exam_card, leisure_card = card(learner, exam_questions[0]), card(learner, leisure_questions[0])

    time_machine.move_to(START + timedelta(hours=1), tick=False)
    deck_preset_update(user=learner, preset=preset, desired_retention=0.95, new_cards_per_day=5)
    assert card(learner, exam_questions[0]).due < exam_card.due
    assert card(learner, exam_questions[0]).updated_at > exam_card.updated_at
    assert card(learner, leisure_questions[0]).updated_at == leisure_card.updated_at

    # A change of limits alone schedules nothing again.
    stamped = card(learner, exam_questions[0]).updated_at
    time_machine.move_to(START + timedelta(hours=2), tick=False)
    deck_preset_update(user=learner, preset=preset, max_reviews_per_day=50, name="Finals")
    assert card(learner, exam_questions[0]).updated_at == stamped

    # The default preset's retention re-derives only the cards that follow it.
    time_machine.move_to(START + timedelta(hours=3), tick=False)
    learner_settings_update(user=learner, desired_retention=0.8)
    assert card(learner, exam_questions[0]).updated_at == stamped
    assert card(learner, leisure_questions[0]).due > leisure_card.due
    call_command("verify_card_states", verbosity=0)
    assert "2 cards checked, 0 drifted" in capsys.readouterr().out


def test_assigning_and_deleting_a_preset_re_schedules_the_decks_cards(
    learner, two_decks, time_machine, capsys
):
    exam, _, exam_questions, _ = two_decks
    review(learner, exam_questions[0], 4, START)
    default_due = card(learner, exam_questions[0]).due
    preset = deck_preset_create(user=learner, name="Cap", maximum_interval=2)
    deck_preset_assign(user=learner, deck=exam, preset=preset)
    assert card(learner, exam_questions[0]).due == START + timedelta(days=2)
    call_command("verify_card_states", verbosity=0)
    assert "0 drifted" in capsys.readouterr().out
    deck_preset_delete(user=learner, preset=preset)
    assert card(learner, exam_questions[0]).due == default_due
    assert not LearnerSettings.objects.get(user=learner).has_deck_presets


def test_preset_options_are_validated(learner):
    with pytest.raises(ValidationError):
        deck_preset_create(user=learner, name="Too keen", desired_retention=0.99)
    with pytest.raises(ValidationError):
        deck_preset_create(user=learner, name="Bad steps", learning_steps=[0])
    with pytest.raises(ValidationError):
        deck_preset_create(user=learner, name="")
    deck_preset_create(user=learner, name="Exam")
    with pytest.raises(ValidationError, match="already have a preset with this name"):
        deck_preset_create(user=learner, name="Exam")
    with pytest.raises(ValueError, match="not a preset option"):
        deck_preset_create(user=learner, name="Other", time_zone="UTC")
    assert list(DeckPreset.objects.values_list("name", flat=True)) == ["Exam"]


def test_presets_are_each_learners_own(learner, other_student, two_decks):
    exam = two_decks[0]
    theirs = deck_preset_create(user=other_student, name="Theirs")
    with pytest.raises(ValueError, match="own presets"):
        deck_preset_assign(user=learner, deck=exam, preset=theirs)
    with pytest.raises(DeckPreset.DoesNotExist):
        deck_preset_update(user=learner, preset=theirs, new_cards_per_day=1)


def test_the_queue_with_presets_costs_constant_queries(
    learner, two_decks, django_assert_max_num_queries, time_machine
):
    exam, leisure, exam_questions, leisure_questions = two_decks
    for deck, questions in ((exam, exam_questions), (leisure, leisure_questions)):
        preset = deck_preset_create(user=learner, name=deck.title, new_cards_per_day=2)
        deck_preset_assign(user=learner, deck=deck, preset=preset)
        for question in questions[:2]:
            review(learner, question, 3, START - timedelta(days=3))
    time_machine.move_to(START)
    # Seven, and two for each of the three presets (the default included).
    with django_assert_max_num_queries(13):
        queue = study_queue(user=learner, limit=50)
    assert len(queue) == 4 + 4
    with django_assert_max_num_queries(7):
        deck_counts(user=learner)
