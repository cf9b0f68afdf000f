"""Accounts and device sign-in: register, log in/out, the learner's own record and settings."""

from django.contrib.auth import authenticate, logout
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.accounts.services import UsernameTaken, user_register
from quizapp.api.errors import Conflict
from quizapp.api.fields import StrictSerializer, TimeZoneField, refuse_body
from quizapp.api.schema import errors
from quizapp.api.serializers import LearnerSettingsSerializer, UserSerializer
from quizapp.api.throttles import AnonymousThrottle, LoginThrottle
from quizapp.api.tokens import device_token_create, device_token_revoke, device_tokens_revoke_all
from quizapp.api.views.presets import PresetOptionsSerializer
from quizapp.study.services import learner_settings_get, learner_settings_update

TAGS = ["auth"]


class RegisterApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(StrictSerializer):
        username = serializers.RegexField(
            r"^[\w.@+-]+\Z",
            max_length=150,
            error_messages={"invalid": "Letters, digits and @ . + - _ only."},
        )
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        email = serializers.EmailField(required=False, allow_blank=True, max_length=254)

    @extend_schema(
        tags=TAGS,
        summary="Create a student account",
        request=InputSerializer,
        responses={201: UserSerializer, **errors(400, 409, 413, 415, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = user_register(**data.validated_data)
        except UsernameTaken:
            raise Conflict("That username is taken.", code="username_taken") from None
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from None
        return Response(UserSerializer(_user_view(user)).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    """Sign a device in. Each login is a separate device token; keep it secret."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonymousThrottle, LoginThrottle]

    class InputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
        expiry = serializers.DateTimeField(
            help_text="Moves forward with every authenticated request (see docs/api.md)."
        )
        user = UserSerializer()

    @extend_schema(
        tags=TAGS,
        summary="Sign in a device and get its token",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 413, 415, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                "Wrong username or password, or the account is disabled.",
                code="invalid_credentials",
            )
        token = device_token_create(user=user, request=request._request)
        return Response(
            self.OutputSerializer(
                {"token": token.token, "expiry": token.expiry, "user": _user_view(user)}
            ).data
        )


class LogoutApi(APIView):
    """Sign this device out: its token stops working (a browser session ends)."""

    @extend_schema(
        tags=TAGS,
        summary="Sign this device out",
        request=None,
        responses={204: OpenApiResponse(description="Signed out."), **errors(401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        refuse_body(request.data)
        if isinstance(request.auth, AuthToken):
            device_token_revoke(token=request.auth, request=request._request)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    """Sign every device out: all of the learner's tokens stop working."""

    @extend_schema(
        tags=TAGS,
        summary="Sign every device out",
        request=None,
        responses={204: OpenApiResponse(description="Signed out."), **errors(401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        refuse_body(request.data)
        device_tokens_revoke_all(user=request.user, request=request._request)
        if not isinstance(request.auth, AuthToken):
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _user_view(user) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "role": user.role.value,
        "date_joined": user.date_joined,
    }


class MeApi(APIView):
    class OutputSerializer(UserSerializer):
        settings = LearnerSettingsSerializer()

    @extend_schema(
        tags=["me"],
        summary="The signed-in learner and their study settings",
        responses={200: OutputSerializer, **errors(401, 429)},
    )
    def get(self, request: Request) -> Response:
        view = _user_view(request.user)
        view["settings"] = learner_settings_get(user=request.user)
        return Response(self.OutputSerializer(view).data)


class MeSettingsApi(APIView):
    class InputSerializer(PresetOptionsSerializer):
        time_zone = TimeZoneField(required=False)
        day_start_hour = serializers.IntegerField(
            min_value=0, max_value=23, required=False, help_text="Local hour a study day starts."
        )
        suspend_leeches = serializers.BooleanField(required=False)

    @extend_schema(
        tags=["me"],
        summary="Change study settings",
        description="Send only the settings to change; the preset options are the default "
        "preset's. Changing the time zone or day start re-derives every card's schedule from "
        "the review log; changing the retention, steps or maximum interval re-derives the "
        "cards that follow the default preset.",
        request=InputSerializer,
        responses={200: LearnerSettingsSerializer, **errors(400, 401, 403, 413, 415, 429)},
    )
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = learner_settings_update(user=request.user, **data.validated_data)
        return Response(LearnerSettingsSerializer(settings).data)
