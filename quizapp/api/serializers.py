"""Output shapes shared by several endpoints. Each declares every field it sends."""

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from quizapp.accounts.models import Role
from quizapp.bank import grading
from quizapp.bank.models import Question
from quizapp.study.models import CardState

CARD_STATES = {
    CardState.State.NEW: "new",
    CardState.State.LEARNING: "learning",
    CardState.State.REVIEW: "review",
    CardState.State.RELEARNING: "relearning",
}


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(help_text="May be empty.")
    role = serializers.ChoiceField(choices=Role.values)
    date_joined = serializers.DateTimeField()


class LastFitSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="last_fit_at", help_text="When the last refit ran.")
    log_loss = serializers.FloatField(
        source="last_fit_log_loss", help_text="The new fit's log loss on the learner's history."
    )
    current_log_loss = serializers.FloatField(
        source="last_fit_current_log_loss",
        help_text="The log loss of the parameters in use before it, on the same history.",
    )
    applied = serializers.BooleanField(
        source="last_fit_applied",
        help_text="Whether it replaced them (only when its log loss is no worse).",
    )


class LearnerSettingsSerializer(serializers.Serializer):
    desired_retention = serializers.FloatField(min_value=0.70, max_value=0.97)
    new_cards_per_day = serializers.IntegerField(min_value=0, max_value=500)
    max_reviews_per_day = serializers.IntegerField(min_value=1, max_value=10000)
    time_zone = serializers.CharField(help_text="IANA time zone name.")
    day_start_hour = serializers.IntegerField(min_value=0, max_value=23)
    suspend_leeches = serializers.BooleanField()
    learning_steps = serializers.ListField(
        child=serializers.IntegerField(), help_text="Minutes (the default preset's)."
    )
    relearning_steps = serializers.ListField(
        child=serializers.IntegerField(), help_text="Minutes (the default preset's)."
    )
    maximum_interval = serializers.IntegerField(help_text="Days (the default preset's).")
    bury_related = serializers.BooleanField()
    personal_parameters = serializers.SerializerMethodField(
        help_text="Whether FSRS parameters fitted to the learner's reviews are in use "
        "(false: the defaults)."
    )
    parameters_fitted_at = serializers.DateTimeField(
        allow_null=True, help_text="When the parameters in use were fitted."
    )
    parameters_review_count = serializers.IntegerField(
        help_text="Reviews the parameters in use were fitted on (0: defaults)."
    )
    last_fit = serializers.SerializerMethodField(
        help_text="The last refit and how it was judged; null if none has run."
    )
    updated_at = serializers.DateTimeField()

    def get_personal_parameters(self, settings) -> bool:
        return settings.parameters is not None

    @extend_schema_field(LastFitSerializer(allow_null=True))
    def get_last_fit(self, settings) -> dict | None:
        if settings.last_fit_at is None:
            return None
        return LastFitSerializer(settings).data


class CardStateSerializer(serializers.Serializer):
    """The learner's memory of one question, as the server last derived it from the log."""

    question = serializers.SerializerMethodField(help_text="The question's slug.")
    question_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=list(CARD_STATES.values()))
    due = serializers.DateTimeField(allow_null=True)
    last_review = serializers.DateTimeField(allow_null=True)
    stability = serializers.FloatField(allow_null=True, help_text="Days.")
    difficulty = serializers.FloatField(allow_null=True, help_text="1 (easy) to 10 (hard).")
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    leech = serializers.BooleanField()
    suspended = serializers.BooleanField()
    buried_until = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_question(self, card: CardState) -> str:
        return getattr(card, "question_slug", None) or card.question.slug

    def to_representation(self, instance: CardState) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["state"] = CARD_STATES[instance.state]
        return data


_DATETIME = serializers.DateTimeField()


def _datetime(value: datetime | None) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def card_data(card: CardState) -> dict[str, Any]:
    """`CardStateSerializer(card).data`, built directly: the study queue sends up to 100 cards
    per request, and the generic serializer was a tenth of its time. A test holds the two
    equal for every card state."""
    return {
        "question": getattr(card, "question_slug", None) or card.question.slug,
        "question_id": card.question_id,
        "state": CARD_STATES[card.state],
        "due": _datetime(card.due),
        "last_review": _datetime(card.last_review),
        "stability": None if card.stability is None else float(card.stability),
        "difficulty": None if card.difficulty is None else float(card.difficulty),
        "reps": card.reps,
        "lapses": card.lapses,
        "leech": card.leech,
        "suspended": card.suspended,
        "buried_until": _datetime(card.buried_until),
        "updated_at": _datetime(card.updated_at),
    }


class OptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class QuoteSerializer(serializers.Serializer):
    paragraph = serializers.IntegerField(help_text="Number of the paragraph in the source.")
    text = serializers.CharField(help_text="Verbatim passage supporting the answer.")


class QuestionSerializer(serializers.Serializer):
    """A question studied as a flashcard: the front, the parts needed to render it, and the
    back (flashcards reveal their answer by nature; quizzes never use this shape)."""

    id = serializers.IntegerField()
    slug = serializers.CharField()
    type = serializers.ChoiceField(choices=[t.value for t in grading.QuestionType])
    version = serializers.IntegerField()
    difficulty = serializers.IntegerField(help_text="1 easy – 5 hard, as the author rated it.")
    front = serializers.CharField(help_text="The prompt.")
    choices = OptionSerializer(many=True, help_text="Single and multiple choice; else empty.")
    shuffle_choices = serializers.BooleanField()
    items = OptionSerializer(
        many=True, help_text="Ordering questions: the items, alphabetically; else empty."
    )
    match_left = OptionSerializer(many=True, help_text="Matching: left-hand sides by pair id.")
    match_right = OptionSerializer(
        many=True, help_text="Matching: right-hand sides by pair id, alphabetically."
    )
    unit = serializers.CharField(help_text="Numeric questions' unit; may be empty.")
    back = serializers.CharField(help_text="The correct answer as text.")
    explanation = serializers.CharField()
    source = serializers.CharField(allow_null=True, help_text="Slug of the source article.")
    quotes = QuoteSerializer(many=True)
    updated_at = serializers.DateTimeField()


def _by_text(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(options, key=lambda option: (option["text"].casefold(), option["id"]))


def question_payload(question: Question) -> dict[str, Any]:
    """A question as `QuestionSerializer` shows it. Reads only prefetched parts (see
    `quizapp.api.content.with_flashcard_parts`)."""
    key = question.answer_key()
    kind = question.question_type
    pairs = list(question.match_pairs.all()) if kind == grading.QuestionType.MATCHING else []
    return {
        "id": question.pk,
        "slug": question.slug,
        "type": kind.value,
        "version": question.version,
        "difficulty": question.difficulty,
        "front": question.prompt,
        "choices": [{"id": c.id, "text": c.text} for c in key.choices],
        "shuffle_choices": question.shuffle_choices,
        "items": _by_text([{"id": i.id, "text": i.text} for i in key.items]),
        "match_left": [{"id": p.pk, "text": p.left} for p in pairs],
        "match_right": _by_text([{"id": p.pk, "text": p.right} for p in pairs]),
        "unit": question.numeric_unit,
        "back": grading.correct_answer_text(key),
        "explanation": question.explanation,
        "source": question.source.slug if question.source_id else None,
        "quotes": [
            {"paragraph": quote.paragraph.number, "text": quote.text}
            for quote in question.quotes.all()
        ],
        "updated_at": question.updated_at,
    }


RENDERED_QUESTIONS_KEPT = 4096


class _RenderedQuestions:
    """The least recently used outputs, by (question id, updated_at), shared by a process's
    threads."""

    def __init__(self, size: int):
        self.size = size
        self.outputs: OrderedDict[tuple[int, datetime], dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[int, datetime]) -> dict[str, Any] | None:
        with self.lock:
            output = self.outputs.get(key)
            if output is not None:
                self.outputs.move_to_end(key)
            return output

    def put(self, key: tuple[int, datetime], output: dict[str, Any]) -> None:
        with self.lock:
            self.outputs[key] = output
            self.outputs.move_to_end(key)
            while len(self.outputs) > self.size:
                self.outputs.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.outputs.clear()


_rendered = _RenderedQuestions(RENDERED_QUESTIONS_KEPT)


def questions_data(questions: list[Question]) -> list[dict[str, Any]]:
    """`QuestionSerializer` output for each question, in order (do not modify it).

    A question's output depends only on its row and its parts, and every change to them
    re-stamps its `updated_at` (the same stamp sync relies on to send edits to devices; a
    source's slug, which it also shows, cannot change once saved). So each process keeps the
    last RENDERED_QUESTIONS_KEPT outputs used, by (id, updated_at), as plain dicts (a few KB
    each), and loads parts for the others only (seven queries at most, none when all are
    kept). It is a memo of immutable content, not state: every server renders the same.
    """
    from quizapp.study.sync import flashcard_parts_prefetch

    found = {q.pk: _rendered.get((q.pk, q.updated_at)) for q in questions}
    missing = [q for q in questions if found[q.pk] is None]
    if missing:
        flashcard_parts_prefetch(missing)
        for question in missing:
            # A plain dict: serializer output keeps its serializer alive.
            found[question.pk] = dict(QuestionSerializer(question_payload(question)).data)
            _rendered.put((question.pk, question.updated_at), found[question.pk])
    return [found[q.pk] for q in questions]


def questions_data_forget() -> None:
    """Drop every kept output (tests roll rows back, and may reuse ids and frozen stamps)."""
    _rendered.clear()
