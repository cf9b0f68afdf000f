"""Deck presets: the learner's named sets of study options, and which one each deck follows.

The default preset is the learner's own settings (`PATCH me/settings` changes it); named
presets are created, changed and deleted here, and given to decks with `PUT
decks/{slug}/preset`. Each card follows its main deck's preset (the first deck in study order
listing it); a preset's daily limits are shared by the cards that follow it.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.api.errors import Conflict
from quizapp.api.fields import StrictSerializer, refuse_body
from quizapp.api.schema import errors
from quizapp.bank.models import Deck
from quizapp.study.models import MAX_STEP_MINUTES, MAX_STEPS, DeckPreset
from quizapp.study.presets import Preset
from quizapp.study.selectors import learner_presets
from quizapp.study.services import (
    NAME_TAKEN,
    deck_preset_assign,
    deck_preset_create,
    deck_preset_delete,
    deck_preset_update,
)

TAGS = ["presets"]


def steps_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_STEP_MINUTES),
        max_length=MAX_STEPS,
        help_text=f"Minutes, at most {MAX_STEPS} steps of 1 minute to 7 days; [] for none.",
        **kwargs,
    )


class PresetOptionsSerializer(StrictSerializer):
    """The options a preset sets; every field optional (only those sent change)."""

    desired_retention = serializers.FloatField(
        min_value=0.70,
        max_value=0.97,
        required=False,
        help_text="Share of cards to recall when they come due.",
    )
    new_cards_per_day = serializers.IntegerField(min_value=0, max_value=500, required=False)
    max_reviews_per_day = serializers.IntegerField(min_value=1, max_value=10000, required=False)
    learning_steps = steps_field(required=False)
    relearning_steps = steps_field(required=False)
    maximum_interval = serializers.IntegerField(
        min_value=1, max_value=36500, required=False, help_text="Days."
    )
    bury_related = serializers.BooleanField(
        required=False,
        help_text="Hide a studied card's related questions until the next day (no effect "
        "until questions can be grouped as related).",
    )


class PresetSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="Null for the default preset (the learner's settings)."
    )
    name = serializers.CharField()
    default = serializers.BooleanField(source="is_default")
    desired_retention = serializers.FloatField()
    new_cards_per_day = serializers.IntegerField()
    max_reviews_per_day = serializers.IntegerField()
    learning_steps = serializers.ListField(child=serializers.IntegerField(), help_text="Minutes.")
    relearning_steps = serializers.ListField(child=serializers.IntegerField(), help_text="Minutes.")
    maximum_interval = serializers.IntegerField(help_text="Days.")
    bury_related = serializers.BooleanField()
    decks = serializers.ListField(
        child=serializers.CharField(),
        help_text="Slugs of the decks that follow it (for the default: every deck without a "
        "named preset).",
    )


def preset_data(preset: Preset, decks: list[Deck]) -> dict:
    data = PresetSerializer({**preset.__dict__, "is_default": preset.is_default, "decks": []}).data
    data["decks"] = [deck.slug for deck in decks]
    return data


def _preset_of(user, preset_id: int) -> dict:
    use = next(u for u in learner_presets(user=user).presets if u.preset.id == preset_id)
    return preset_data(use.preset, use.decks)


def _refused(error: DjangoValidationError) -> Exception:
    """The service's refusal: a name the learner already uses is a conflict with what is
    stored (409 `name_taken`), anything else a 400 naming the field."""
    fields = error.message_dict if hasattr(error, "error_dict") else {}
    if fields.get("name") == [NAME_TAKEN]:
        return Conflict(NAME_TAKEN, code="name_taken")
    return serializers.ValidationError(fields or error.messages)


class PresetListApi(APIView):
    class CreateSerializer(PresetOptionsSerializer):
        name = serializers.CharField(max_length=60)

    class OutputSerializer(serializers.Serializer):
        presets = PresetSerializer(many=True, help_text="The default first, then by name.")

    @extend_schema(
        tags=TAGS,
        summary="The learner's presets",
        description="The default preset (the learner's settings) and every named preset, each "
        "with the decks that follow it.",
        responses={200: OutputSerializer, **errors(401, 429)},
    )
    def get(self, request: Request) -> Response:
        overview = learner_presets(user=request.user)
        return Response(
            {"presets": [preset_data(use.preset, use.decks) for use in overview.presets]}
        )

    @extend_schema(
        tags=TAGS,
        summary="Create a named preset",
        description="Options not sent are copied from the default preset. A name the learner "
        "already uses is a 409 `name_taken`.",
        request=CreateSerializer,
        responses={201: PresetSerializer, **errors(400, 401, 403, 409, 413, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            preset = deck_preset_create(user=request.user, **data.validated_data)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(_preset_of(request.user, preset.pk), status=status.HTTP_201_CREATED)


class PresetDetailApi(APIView):
    class UpdateSerializer(PresetOptionsSerializer):
        name = serializers.CharField(max_length=60, required=False)

    @extend_schema(
        tags=TAGS,
        summary="Change a named preset",
        description="Send only what changes. Cards that follow the preset are re-planned when "
        "their retention, steps or maximum interval change.",
        request=UpdateSerializer,
        responses={200: PresetSerializer, **errors(400, 401, 403, 404, 409, 413, 415, 429)},
    )
    def patch(self, request: Request, id: int) -> Response:
        preset = get_object_or_404(DeckPreset, pk=id, user=request.user)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            deck_preset_update(user=request.user, preset=preset, **data.validated_data)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(_preset_of(request.user, preset.pk))

    @extend_schema(
        tags=TAGS,
        summary="Delete a named preset",
        description="Its decks follow the default preset again.",
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted."),
            **errors(400, 401, 403, 404, 429),
        },
    )
    def delete(self, request: Request, id: int) -> Response:
        refuse_body(request.data)
        preset = get_object_or_404(DeckPreset, pk=id, user=request.user)
        deck_preset_delete(user=request.user, preset=preset)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeckPresetApi(APIView):
    class InputSerializer(StrictSerializer):
        preset = serializers.IntegerField(
            allow_null=True, help_text="A named preset's id, or null for the default preset."
        )

    class OutputSerializer(serializers.Serializer):
        deck = serializers.CharField(help_text="The deck's slug.")
        preset = PresetSerializer()

    @extend_schema(
        tags=TAGS,
        summary="Choose the preset a deck follows",
        description="The cards whose main deck this is are re-planned if the new preset "
        "schedules them differently. A preset id that is not one of the learner's is a 404, "
        "as an unknown deck is.",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, 413, 415, 429)},
    )
    def put(self, request: Request, slug: str) -> Response:
        deck = get_object_or_404(Deck, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preset = None
        if (preset_id := data.validated_data["preset"]) is not None:
            preset = get_object_or_404(DeckPreset, pk=preset_id, user=request.user)
        deck_preset_assign(user=request.user, deck=deck, preset=preset)
        chosen = next(
            use for use in learner_presets(user=request.user).presets if deck in use.decks
        )
        return Response({"deck": deck.slug, "preset": preset_data(chosen.preset, chosen.decks)})
