"""The learner's own data: download all of it (`GET me/export`), or delete the account and
its data (`DELETE me`). The same functions serve the web's "Your data" section."""

from django.contrib.auth import authenticate, logout
from django.http import StreamingHttpResponse
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.accounts.data import CARD_STATES, learner_data_json
from quizapp.accounts.data import FORMAT as EXPORT_FORMAT
from quizapp.accounts.services import (
    AccountDeletionRefused,
    learner_delete,
    learner_deletion_refusal,
)
from quizapp.api.fields import StrictSerializer
from quizapp.api.schema import ApiAutoSchema, errors
from quizapp.api.views import auth
from quizapp.quizzes.models import Attempt
from quizapp.study.models import ReviewSource

TAGS = ["me"]


class ExportProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class ExportPresetOptionsSerializer(serializers.Serializer):
    desired_retention = serializers.FloatField()
    new_cards_per_day = serializers.IntegerField()
    max_reviews_per_day = serializers.IntegerField()
    learning_steps = serializers.ListField(child=serializers.IntegerField(), help_text="Minutes.")
    relearning_steps = serializers.ListField(child=serializers.IntegerField(), help_text="Minutes.")
    maximum_interval = serializers.IntegerField(help_text="Days.")
    bury_related = serializers.BooleanField()


class ExportPresetSerializer(ExportPresetOptionsSerializer):
    name = serializers.CharField()
    decks = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs of the decks given this preset."
    )


class ExportSettingsSerializer(ExportPresetOptionsSerializer):
    time_zone = serializers.CharField()
    day_start_hour = serializers.IntegerField()
    suspend_leeches = serializers.BooleanField()
    parameters = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="Personal FSRS parameters fitted to the learner's reviews; null: defaults.",
    )
    parameters_fitted_at = serializers.DateTimeField(allow_null=True)
    last_fit_at = serializers.DateTimeField(allow_null=True, help_text="When a refit last ran.")
    last_fit_log_loss = serializers.FloatField(allow_null=True)
    last_fit_current_log_loss = serializers.FloatField(allow_null=True)
    last_fit_applied = serializers.BooleanField(allow_null=True)
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="Null if the settings were never changed."
    )


class ExportReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The review's id, as the device generated it.")
    question = serializers.CharField(help_text="The question's slug.")
    rating = serializers.IntegerField(min_value=1, max_value=4)
    reviewed_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    source = serializers.ChoiceField(choices=ReviewSource.values)
    device_id = serializers.CharField()


class ExportCardSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="The question's slug.")
    state = serializers.ChoiceField(choices=list(CARD_STATES.values()))
    step = serializers.IntegerField(allow_null=True)
    stability = serializers.FloatField(allow_null=True)
    difficulty = serializers.FloatField(allow_null=True)
    due = serializers.DateTimeField(allow_null=True)
    last_review = serializers.DateTimeField(allow_null=True)
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    leech = serializers.BooleanField()
    suspended = serializers.BooleanField()
    buried_until = serializers.DateTimeField(allow_null=True)
    reset_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class ExportResponseSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    question_id = serializers.IntegerField(help_text="The question's id, as the attempt names it.")
    prompt = serializers.CharField()
    answer = serializers.JSONField(
        allow_null=True,
        help_text="As the attempt shows it, options by their text: a choice's text; the texts "
        "of the choices picked, in the order shown; the items' texts in the learner's order; "
        "each left's text → the text of the right chosen for it. Other types as given.",
    )
    answered_at = serializers.DateTimeField(allow_null=True)
    time_spent_ms = serializers.IntegerField(allow_null=True)
    correct = serializers.BooleanField(allow_null=True, help_text="Null until it may be seen.")
    score = serializers.FloatField(allow_null=True, help_text="0 to 1; null until it may be seen.")
    points_awarded = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    feedback = serializers.CharField(allow_blank=True)


class ExportQuizSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ExportAttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quiz = ExportQuizSerializer()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Attempt.Status.values)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    auto_submitted = serializers.BooleanField()
    results_visible = serializers.BooleanField(
        help_text="Whether the quiz's feedback mode lets the learner see the grades yet; "
        "until then grades, correctness and feedback are null."
    )
    score = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    max_score = serializers.DecimalField(max_digits=8, decimal_places=3)
    percentage = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    responses = ExportResponseSerializer(many=True)


class ExportClassSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    joined_at = serializers.DateTimeField()


class ExportInvitationSerializer(serializers.Serializer):
    class_name = serializers.CharField()
    invited_by = serializers.CharField(allow_null=True, help_text="The teacher's username.")
    invited_at = serializers.DateTimeField()


class ExportDeviceSerializer(serializers.Serializer):
    signed_in_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)


class MeExportApi(APIView):
    class OutputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=[EXPORT_FORMAT])
        version = serializers.IntegerField()
        exported_at = serializers.DateTimeField()
        profile = ExportProfileSerializer()
        settings = ExportSettingsSerializer(help_text="With the default preset's options.")
        presets = ExportPresetSerializer(many=True, help_text="Named deck presets.")
        reviews = ExportReviewSerializer(many=True, help_text="Every review, oldest first.")
        cards = ExportCardSerializer(many=True)
        quiz_attempts = ExportAttemptSerializer(many=True)
        classes = ExportClassSerializer(many=True)
        class_invitations = ExportInvitationSerializer(
            many=True, help_text="Open invitations to classes."
        )
        devices = ExportDeviceSerializer(many=True, help_text="Signed-in devices (tokens).")

    @extend_schema(
        tags=TAGS,
        summary="Download all of the learner's data",
        description="Everything stored about the learner, as one JSON document (streamed; it "
        "can be large). Quiz grades appear only once the quiz's feedback mode shows them.",
        responses={200: OutputSerializer, **errors(401, 429)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            learner_data_json(user=request.user), content_type="application/json"
        )
        response["Content-Disposition"] = 'attachment; filename="quizapp-my-data.json"'
        add_never_cache_headers(response)
        return response


class AccountDeleteSerializer(StrictSerializer):
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class DeleteWithBodySchema(ApiAutoSchema):
    """drf-spectacular documents bodies of POST, PUT and PATCH only; `DELETE me` takes one."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"  # read only by the base method, to allow the body
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


# `GET me` as in `auth.MeApi`, and `DELETE me` (no docstring: it would become GET's description).
class MeApi(auth.MeApi):
    schema = DeleteWithBodySchema()

    @extend_schema(
        tags=TAGS,
        summary="Delete the account and its data",
        description="Needs the account's password. Deletes the account, its reviews, cards, "
        "settings, class memberships and device tokens; each quiz's first submitted attempt "
        "is kept without any link to the learner (docs/privacy.md). Wrong passwords count "
        "towards the login lock-out. Teacher and administrator accounts get 403.",
        request=AccountDeleteSerializer,
        responses={
            204: OpenApiResponse(description="Deleted."),
            **errors(400, 401, 403, 413, 415, 429),
        },
    )
    def delete(self, request: Request) -> Response:
        data = AccountDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if refusal := learner_deletion_refusal(user=request.user):
            raise exceptions.PermissionDenied(refusal, code="deletion_refused")
        # authenticate(), so wrong passwords count towards the lock-out as logins do.
        checked = authenticate(
            request._request,
            username=request.user.get_username(),
            password=data.validated_data["password"],
        )
        if checked is None or checked.pk != request.user.pk:
            raise serializers.ValidationError({"password": ["That is not your password."]})
        try:
            learner_delete(user=request.user)
        except AccountDeletionRefused as error:
            raise exceptions.PermissionDenied(error.message, code="deletion_refused") from None
        if request.auth is None:  # a browser session: end it too (tokens died with the user)
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
