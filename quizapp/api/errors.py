"""One error body for the whole API: ``{"error": {"code", "message", "fields"}}``.

`code` is stable and meant for programs, `message` is for people, and `fields` maps each
offending input field (dotted path into the request body, e.g. ``reviews.3.rating``) to its
messages; it is empty when the error is not about a field.
"""

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from quizapp import outages

logger = logging.getLogger("django.request")

SERVER_ERROR_MESSAGE = "Something went wrong on our side; try again later."
MESSAGES = {
    "invalid": "The request is invalid; see fields.",
    "not_found": "Not found.",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="Explanation for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted path into the body); empty if none.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as ``{"a.0.b": ["message", ...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, dict):
        detail = next(iter(detail.values()), None)
    if isinstance(detail, list):
        detail = detail[0] if detail else None
    return getattr(detail, "code", None)


def _validation_error(exc: exceptions.ValidationError) -> tuple[str, str, dict[str, list[str]]]:
    fields = _flatten(exc.detail)
    general = fields.pop("non_field_errors", [])
    if not fields and general:
        # An error about the request as a whole: its own code, when the raiser gave one.
        code = _first_code(exc.detail)
        return (code if code and code != "invalid" else "invalid"), " ".join(general), {}
    message = " ".join(general) or MESSAGES["invalid"]
    return "invalid", message, fields


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler with the API's error body, a JSON 503 when the database does not
    answer (quizapp/outages.py), and a JSON 500 for the unexpected."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        outage = outages.is_outage(exc)
        answer = HTTPStatus.SERVICE_UNAVAILABLE if outage else HTTPStatus.INTERNAL_SERVER_ERROR
        request = context.get("request")
        logger.error(  # as Django logs what its handler500 answers
            "%s: %s",
            answer.phrase,
            getattr(request, "path", "?"),
            exc_info=exc,
            extra={"status_code": answer.value, "request": getattr(request, "_request", None)},
        )
        set_rollback()
        if outage:
            return Response(
                error_body("service_unavailable", outages.MESSAGE),
                status=answer,
                headers={"Retry-After": str(outages.RETRY_AFTER_SECONDS)},
            )
        return Response(error_body("server_error", SERVER_ERROR_MESSAGE), status=answer)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, round(exc.wait)))

    if isinstance(exc, exceptions.ValidationError):
        code, message, fields = _validation_error(exc)
    else:
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        message = str(detail)
        fields = {}
    set_rollback()
    return Response(error_body(code, message, fields), status=exc.status_code, headers=headers)
