"""Studying: the queue, uploading reviews (offline batches), undo, and card actions."""

from collections.abc import Callable

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.errors import Conflict
from quizapp.api.fields import (
    AwareDateTimeField,
    ClientUUIDField,
    QuerySerializer,
    StrictSerializer,
    refuse_body,
)
from quizapp.api.schema import SLUG_PATTERN, errors, integer_in, text_up_to
from quizapp.api.serializers import (
    CardStateSerializer,
    QuestionSerializer,
    card_data,
    questions_data,
)
from quizapp.bank.models import Deck, Question
from quizapp.study import scheduling
from quizapp.study.models import CardState, Rating, Review
from quizapp.study.selectors import study_queue
from quizapp.study.services import (
    MAX_BATCH,
    Outcome,
    ReviewPayload,
    card_bury,
    card_reset,
    card_suspend,
    card_unsuspend,
    review_undo,
    reviews_record_batch,
)
from quizapp.study.sync import reviewable_questions

MAX_QUEUE = 100
UNKNOWN_QUESTION = 0
"""Stands in for a question the learner may not study, so the service rejects the review."""


class IntervalSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.values, help_text="1 Again … 4 Easy.")
    seconds = serializers.IntegerField(help_text="Time until the card is due after this rating.")
    label = serializers.CharField(help_text="Short form for a button: 10m, 3d, 2.5mo.")


class QueueEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["learning", "review", "new"])
    predicted_recall = serializers.FloatField(
        allow_null=True, help_text="Probability of recalling it now; null for a new card."
    )
    question = QuestionSerializer()
    card = CardStateSerializer(allow_null=True, help_text="Null for a new card.")
    intervals = IntervalSerializer(many=True)


class StudyQueueApi(APIView):
    class InputSerializer(QuerySerializer):
        deck = serializers.SlugField(required=False, allow_blank=True, max_length=100)
        limit = serializers.IntegerField(min_value=1, max_value=MAX_QUEUE, default=20)

    class OutputSerializer(serializers.Serializer):
        queue = QueueEntrySerializer(many=True)

    @extend_schema(
        tags=["study"],
        summary="The next cards to study",
        description="Learning cards due now, then reviews due today (lowest recall first), "
        "then new cards up to today's allowance; each with what to show and the interval "
        "each rating would give. Questions withheld while a quiz the learner is taking keeps "
        "its answers secret are left out (docs/api.md, Withheld questions).",
        parameters=[
            OpenApiParameter(
                "deck",
                text_up_to(100, SLUG_PATTERN.replace("+", "*")),
                description="Only this deck (its slug); empty for every deck.",
            ),
            OpenApiParameter(
                "limit", integer_in(1, MAX_QUEUE), description=f"At most this many, 1–{MAX_QUEUE}."
            ),
        ],
        responses={200: OutputSerializer, **errors(400, 401, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        deck = None
        if params.validated_data.get("deck"):
            deck = get_object_or_404(Deck, slug=params.validated_data["deck"])
        entries = study_queue(user=request.user, deck=deck, limit=params.validated_data["limit"])
        questions = questions_data([entry.question for entry in entries])
        # Built as OutputSerializer would render it (a test holds them equal), without its
        # per-field machinery: this is the request a studying device makes most.
        queue = [
            {
                "kind": entry.kind,
                "predicted_recall": entry.predicted_recall,
                "question": question,
                "card": None if entry.card is None else card_data(entry.card),
                "intervals": [
                    {
                        "rating": rating,
                        "seconds": round(interval.total_seconds()),
                        "label": scheduling.format_interval(interval),
                    }
                    for rating, interval in sorted(entry.intervals.items())
                ],
            }
            for entry, question in zip(entries, questions, strict=True)
        ]
        return Response({"queue": queue})


class ReviewItemSerializer(StrictSerializer):
    id = ClientUUIDField(help_text="Generated on the device (random UUID); the review's identity.")
    question = serializers.SlugField(max_length=120, help_text="The question's slug.")
    rating = serializers.IntegerField(min_value=1, max_value=4, help_text="1 Again … 4 Easy.")
    reviewed_at = AwareDateTimeField(help_text="When the learner answered, device clock.")
    duration_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, default=0)


class RejectedReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.ChoiceField(
        choices=[
            "conflict",
            "unknown_question",
            "future",
            "before_account",
            "invalid_id",
            "invalid_rating",
            "invalid_time",
            "invalid_duration",
            "invalid_source",
        ],
        help_text="conflict: this id is stored with a different payload (use a new id for a "
        "new review); unknown_question: no such question, or not one this learner may study; "
        "future: reviewed_at is more than 5 minutes ahead of the server; before_account: "
        "reviewed_at is before the account existed.",
    )
    message = serializers.CharField()


class ReviewsRecordApi(APIView):
    class InputSerializer(StrictSerializer):
        reviews = serializers.ListField(
            child=ReviewItemSerializer(),
            min_length=1,
            max_length=MAX_BATCH,
            help_text=f"1 to {MAX_BATCH} reviews.",
            error_messages={
                "min_length": f"Send 1 to {MAX_BATCH} reviews.",
                "max_length": f"Send 1 to {MAX_BATCH} reviews; split larger batches.",
            },
        )

    class OutputSerializer(serializers.Serializer):
        accepted = serializers.ListField(
            child=serializers.UUIDField(), help_text="Stored now (in replay order)."
        )
        duplicate = serializers.ListField(
            child=serializers.UUIDField(), help_text="Already stored with the same payload."
        )
        rejected = RejectedReviewSerializer(many=True, help_text="Not stored; do not resend.")
        cards = CardStateSerializer(
            many=True, help_text="The current state of every card the batch touched."
        )

    @extend_schema(
        tags=["study"],
        summary="Upload reviews (one, or an offline batch)",
        description="Idempotent per review id: uploading a batch again stores nothing twice. "
        "A malformed request (wrong types, a rating outside 1–4, the all-zero UUID, more "
        "than 500 items) is refused whole with 400; otherwise each item is accepted, a "
        "duplicate, or rejected with a code.",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 413, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["reviews"]
        question_ids, questions, slugs = _questions_for(request.user, items)
        payloads = [
            ReviewPayload(
                uuid=item["id"],
                question_id=question_ids.get((item["id"], item["question"]), UNKNOWN_QUESTION),
                rating=item["rating"],
                reviewed_at=item["reviewed_at"],
                duration_ms=item["duration_ms"],
            )
            for item in items
        ]
        batch = reviews_record_batch(user=request.user, payloads=payloads, questions=questions)
        # Each touched card as the batch left it: results come in replay order, so the last
        # one per question is current (rendered as CardStateSerializer would, by slug).
        cards = {r.card.question_id: r.card for r in batch.results if r.card is not None}
        for card in cards.values():
            card.question_slug = slugs[card.question_id]
        rejected = [
            {
                "id": str(r.uuid),
                "code": r.code,
                "message": "no such question, or not one you may study."
                if r.code == "unknown_question"
                else r.message,
            }
            for r in batch.of(Outcome.REJECTED)
        ]
        return Response(
            {
                "accepted": [str(r.uuid) for r in batch.of(Outcome.ACCEPTED)],
                "duplicate": [str(r.uuid) for r in batch.of(Outcome.DUPLICATE)],
                "rejected": rejected,
                "cards": [
                    card_data(card)
                    for card in sorted(cards.values(), key=lambda card: card.question_slug)
                ],
            }
        )


def _questions_for(user, items: list[dict]) -> tuple[dict[tuple, int], dict[int, Question], dict]:
    """(review id, slug) → question id for the questions the learner may review; those
    questions by id; and every id's slug.

    A review already stored keeps its question even if that question has since been retired,
    so a re-sent review is still recognised as a duplicate (or a conflict).
    """
    slugs = {item["question"] for item in items}
    reviewable = {q.slug: q for q in reviewable_questions(user=user).filter(slug__in=slugs)}
    ids = {
        (item["id"], item["question"]): reviewable[item["question"]].pk
        for item in items
        if item["question"] in reviewable
    }
    slug_of = {q.pk: q.slug for q in reviewable.values()}
    others = [item for item in items if item["question"] not in reviewable]
    if others:
        stored = Review.objects.filter(
            user=user, uuid__in=[item["id"] for item in others]
        ).values_list("uuid", "question_id", "question__slug")
        for uuid, question_id, slug in stored:
            ids[(uuid, slug)] = question_id
            slug_of[question_id] = slug
    return ids, {q.pk: q for q in reviewable.values()}, slug_of


class ReviewUndoApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(help_text="The review that was removed.")
        question = serializers.CharField()
        rating = serializers.IntegerField()
        reviewed_at = serializers.DateTimeField()
        card = CardStateSerializer(help_text="The card as re-derived without that review.")

    @extend_schema(
        tags=["study"],
        summary="Undo the learner's last recorded study review",
        description="Removes the most recently recorded flashcard or practice review and "
        "re-derives its card. Reviews recorded by quiz answers are graded work and are never "
        "undone; 409 when there is no study review to undo.",
        request=None,
        responses={200: OutputSerializer, **errors(401, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        refuse_body(request.data)
        review = review_undo(user=request.user)
        if review is None:
            raise Conflict("There is no review to undo.", code="nothing_to_undo")
        card = CardState.objects.select_related("question").get(
            user=request.user, question_id=review.question_id
        )
        return Response(
            self.OutputSerializer(
                {
                    "id": review.uuid,
                    "question": card.question.slug,
                    "rating": review.rating,
                    "reviewed_at": review.reviewed_at,
                    "card": card,
                }
            ).data
        )


class CardActionApi(APIView):
    """Base of the four card actions: find a question the learner may study, act, show."""

    card_action: Callable[..., CardState]

    def post(self, request: Request, slug: str) -> Response:
        refuse_body(request.data)
        question = get_object_or_404(reviewable_questions(user=request.user), slug=slug)
        card = type(self).card_action(user=request.user, question=question)
        card.question = question
        return Response(CardStateSerializer(card).data)


def _card_action_schema(summary: str):
    return extend_schema(
        tags=["study"],
        summary=summary,
        request=None,
        responses={200: CardStateSerializer, **errors(401, 403, 404, 429)},
    )


class CardSuspendApi(CardActionApi):
    card_action = staticmethod(card_suspend)

    @_card_action_schema("Suspend a card: it leaves the queue until unsuspended")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)


class CardUnsuspendApi(CardActionApi):
    card_action = staticmethod(card_unsuspend)

    @_card_action_schema("Unsuspend a card")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)


class CardBuryApi(CardActionApi):
    card_action = staticmethod(card_bury)

    @_card_action_schema("Bury a card until the learner's next study day")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)


class CardResetApi(CardActionApi):
    card_action = staticmethod(card_reset)

    @_card_action_schema("Reset a card to new (its reviews stay in the history)")
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)
