"""What there is to study: decks with the learner's counts, and the source articles."""

from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.etags import conditional_response
from quizapp.api.fields import QuerySerializer
from quizapp.api.pagination import PAGINATION_PARAMETERS, page_serializer, paginated_response
from quizapp.api.schema import errors, text_up_to
from quizapp.bank.models import Deck, Paragraph, Source
from quizapp.study.selectors import DeckCounts, deck_counts
from quizapp.study.sync import reviewable_questions

NOT_MODIFIED = OpenApiResponse(description="Not modified: the `If-None-Match` tag is current.")
ETAG_PARAMETER = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The `ETag` of a copy the client holds; answered with 304 if still current.",
)


class DeckSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    position = serializers.IntegerField()
    new = serializers.IntegerField(help_text="New cards the learner could start today.")
    learning = serializers.IntegerField(help_text="Learning cards due now.")
    due = serializers.IntegerField(help_text="Review cards due by the end of the study day.")
    total = serializers.IntegerField(help_text="Published questions in the deck.")


def _deck_view(counts: DeckCounts) -> dict:
    deck = counts.deck
    return {
        "slug": deck.slug,
        "title": deck.title,
        "description": deck.description,
        "position": deck.position,
        "new": counts.new,
        "learning": counts.learning,
        "due": counts.due,
        "total": counts.total,
    }


class DeckListApi(APIView):
    class InputSerializer(QuerySerializer):
        title = serializers.CharField(required=False, allow_blank=True, max_length=200)

    @extend_schema(
        tags=["content"],
        operation_id="decks_list",
        summary="Decks with the learner's new / learning / due counts",
        parameters=[
            OpenApiParameter(
                "title", text_up_to(200), description="Only decks whose title contains this."
            ),
            *PAGINATION_PARAMETERS,
            ETAG_PARAMETER,
        ],
        responses={
            200: page_serializer(DeckSerializer, "DeckPage"),
            304: NOT_MODIFIED,
            **errors(400, 401, 429),
        },
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        decks = Deck.objects.all()
        if title := params.validated_data.get("title"):
            decks = decks.filter(title__icontains=title)
        wanted = set(decks.values_list("pk", flat=True))
        counts = [c for c in deck_counts(user=request.user) if c.deck.pk in wanted]
        page = paginated_response(
            items=[_deck_view(c) for c in counts], serializer_class=DeckSerializer, request=request
        )
        return conditional_response(request, page.data)


class DeckDetailApi(APIView):
    @extend_schema(
        tags=["content"],
        summary="One deck with the learner's counts",
        parameters=[ETAG_PARAMETER],
        responses={200: DeckSerializer, 304: NOT_MODIFIED, **errors(401, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        deck = get_object_or_404(Deck, slug=slug)
        counts = next(c for c in deck_counts(user=request.user) if c.deck.pk == deck.pk)
        return conditional_response(request, DeckSerializer(_deck_view(counts)).data)


class ParagraphSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1-based; quotes cite these numbers.")
    text = serializers.CharField()
    factual = serializers.BooleanField(help_text="False for headings, captions, credits.")


class SourceDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        slug = serializers.CharField()
        title = serializers.CharField()
        publisher = serializers.CharField()
        url = serializers.CharField()
        paragraphs = ParagraphSerializer(many=True)

    @extend_schema(
        tags=["content"],
        summary="A source article with numbered paragraphs",
        description="Only sources that a question the learner may study cites.",
        parameters=[ETAG_PARAMETER],
        responses={200: OutputSerializer, 304: NOT_MODIFIED, **errors(401, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        # The article is open to read; only what ties its passages to a question is withheld.
        cited = reviewable_questions(user=request.user).filter(source=OuterRef("pk"))
        source = get_object_or_404(
            Source.objects.filter(Exists(cited)).prefetch_related(
                Prefetch("paragraphs", Paragraph.objects.order_by("number"))
            ),
            slug=slug,
        )
        data = {
            "slug": source.slug,
            "title": source.title,
            "publisher": source.publisher,
            "url": source.url,
            "paragraphs": [
                {"number": p.number, "text": p.text, "factual": p.factual}
                for p in source.paragraphs.all()
            ],
        }
        return conditional_response(request, self.OutputSerializer(data).data)
