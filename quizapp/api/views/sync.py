"""`GET /sync`: everything that changed for the learner since their last sync."""

from datetime import datetime
from typing import Any

from django.core import signing
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.fields import QuerySerializer
from quizapp.api.schema import errors, integer_in, text_up_to
from quizapp.api.serializers import (
    CardStateSerializer,
    LearnerSettingsSerializer,
    QuestionSerializer,
    question_payload,
)
from quizapp.study.sync import Position, RoundProgress, SyncCursor, learner_changes

CURSOR_SALT = "quizapp.api.sync"
DEFAULT_PAGE = 200
MAX_PAGE = 500
MAX_CURSOR = 20_000
MAX_CURSOR_DECKS = 1_000_000
"""A sanity bound on the deck ids a cursor may name (it is signed: only this server makes one)."""
CURSOR_PATTERN = r"^[A-Za-z0-9_.:-]*$"  # what `signing.dumps` writes: URL-safe as it is


def _position(data: list | None) -> Position | None:
    return Position(datetime.fromisoformat(data[0]), int(data[1])) if data else None


def _position_data(position: Position | None) -> list | None:
    return [position.updated_at.isoformat(), position.pk] if position else None


def _ranges(ids: frozenset[int]) -> list[list[int]]:
    """Deck ids as [first, last] runs: mostly consecutive, so a few numbers for many decks."""
    runs: list[list[int]] = []
    for pk in sorted(ids):
        if runs and runs[-1][1] == pk - 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs


def _ids(runs: list) -> frozenset[int]:
    # Runs from before ranges were used are single ids.
    runs = [run if isinstance(run, list) else [run, run] for run in runs]
    if sum(int(last) - int(first) + 1 for first, last in runs) > MAX_CURSOR_DECKS:
        raise ValueError("too many deck ids")
    return frozenset(pk for first, last in runs for pk in range(int(first), int(last) + 1))


def cursor_encode(cursor: SyncCursor, *, user_id: int) -> str:
    """The cursor as an opaque, signed string (clients must not build or edit it)."""
    data: dict[str, Any] = {
        "u": user_id,
        "s": cursor.since.isoformat() if cursor.since else None,
        "di": _ranges(cursor.deck_ids),
        "g": {str(group): fingerprint for group, fingerprint in cursor.deck_groups.items()},
        "w": _ranges(cursor.withheld),
    }
    if (p := cursor.progress) is not None:
        data["p"] = {
            "n": p.next_since.isoformat(),
            "dk": _ranges(frozenset(p.changed_decks)),
            "rl": _ranges(frozenset(p.released)),
            "q": _position_data(p.questions_after),
            "qd": p.questions_done,
            "c": _position_data(p.cards_after),
            "cd": p.cards_done,
        }
    return signing.dumps(data, salt=CURSOR_SALT, compress=True)


def cursor_decode(token: str, *, user_id: int) -> SyncCursor:
    try:
        data = signing.loads(token, salt=CURSOR_SALT)
        if data["u"] != user_id:
            raise ValueError("another learner's cursor")
        progress = None
        if (p := data.get("p")) is not None:
            progress = RoundProgress(
                next_since=datetime.fromisoformat(p["n"]),
                changed_decks=tuple(sorted(_ids(p["dk"]))),
                released=tuple(sorted(_ids(p.get("rl", [])))),
                questions_after=_position(p["q"]),
                questions_done=bool(p["qd"]),
                cards_after=_position(p["c"]),
                cards_done=bool(p["cd"]),
            )
        return SyncCursor(
            since=datetime.fromisoformat(data["s"]) if data["s"] else None,
            # A cursor from before deck groups ("d": a fingerprint per deck) gets every deck
            # once more, then a current cursor.
            deck_ids=_ids(data["di"]) if "di" in data else frozenset(map(int, data["d"])),
            deck_groups={int(group): str(fp) for group, fp in data.get("g", {}).items()},
            # A cursor from before withholding: the client is told of every withheld question.
            withheld=_ids(data.get("w", [])),
            progress=progress,
        )
    except (signing.BadSignature, ValueError, KeyError, TypeError, IndexError):
        raise ValidationError(
            {"since": ["Not a cursor this server issued to you; sync from scratch."]},
        ) from None


class SyncDeckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    position = serializers.IntegerField()
    question_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Its published questions in study order: the deck's complete membership.",
    )


class SyncApi(APIView):
    class InputSerializer(QuerySerializer):
        since = serializers.CharField(required=False, allow_blank=True, max_length=MAX_CURSOR)
        limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=DEFAULT_PAGE)

    class OutputSerializer(serializers.Serializer):
        cursor = serializers.CharField(help_text="Pass as `since` next time.")
        has_more = serializers.BooleanField(
            help_text="More of this round is waiting: call again at once with `cursor`."
        )
        settings = LearnerSettingsSerializer(allow_null=True, help_text="Null if unchanged.")
        decks = SyncDeckSerializer(many=True, help_text="Decks that are new or changed.")
        removed_decks = serializers.ListField(
            child=serializers.IntegerField(), help_text="Ids of decks that no longer exist."
        )
        questions = QuestionSerializer(many=True, help_text="New or changed questions.")
        removed_questions = serializers.ListField(
            child=serializers.IntegerField(),
            help_text="Ids of questions that may no longer be studied (retired or withdrawn), "
            "or not for now (newly withheld): delete them.",
        )
        withheld_questions = serializers.ListField(
            child=serializers.IntegerField(),
            help_text="Ids of every question withheld from the learner now, because a quiz "
            "they are taking keeps its answers secret: never sent while listed, sent again "
            "(in `questions`) by the sync after it leaves this list.",
        )
        cards = CardStateSerializer(many=True, help_text="Card states that changed.")

    @extend_schema(
        tags=["sync"],
        summary="Everything that changed for the learner since a cursor",
        description="Without `since`, everything. Apply the changes (they are idempotent: the "
        "same object may come again), store `cursor`, and while `has_more` call again with "
        "it. A change is never missed, even when it happens during a sync (docs/api.md).",
        parameters=[
            OpenApiParameter(
                "since",
                text_up_to(MAX_CURSOR, CURSOR_PATTERN),
                description="The `cursor` of the previous sync.",
            ),
            OpenApiParameter(
                "limit",
                integer_in(1, MAX_PAGE),
                description=f"Questions and cards per page, 1–{MAX_PAGE}.",
            ),
        ],
        responses={200: OutputSerializer, **errors(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        cursor = None
        if params.validated_data.get("since"):
            cursor = cursor_decode(params.validated_data["since"], user_id=request.user.pk)
        changes = learner_changes(
            user=request.user, cursor=cursor, limit=params.validated_data["limit"]
        )
        data = {
            "cursor": cursor_encode(changes.cursor, user_id=request.user.pk),
            "has_more": changes.has_more,
            "settings": changes.settings,
            "decks": [
                {
                    "id": s.deck.pk,
                    "slug": s.deck.slug,
                    "title": s.deck.title,
                    "description": s.deck.description,
                    "position": s.deck.position,
                    "question_ids": list(s.question_ids),
                }
                for s in changes.decks
            ],
            "removed_decks": changes.removed_decks,
            "questions": [question_payload(q) for q in changes.questions],
            "removed_questions": changes.removed_questions,
            "withheld_questions": changes.withheld,
            "cards": changes.cards,
        }
        return Response(self.OutputSerializer(data).data)
