"""OpenAPI schema helpers: documented error responses and exact object schemas."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from quizapp.api.errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each offending field.",
    401: "Not signed in, or the token is invalid or expired.",
    403: "Signed in but not allowed (e.g. a session request without its CSRF token).",
    404: "No such object, or not one this learner may see.",
    409: "Conflicts with the current state.",
    413: "The request body is over the size limit.",
    415: "The body is not JSON.",
    422: "Well-formed but cannot be processed.",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
}


def integer_in(minimum: int, maximum: int) -> dict[str, Any]:
    """A query parameter's schema with the bounds the view enforces (a value outside them is
    a 400, so the contract must say so)."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def text_up_to(max_length: int, pattern: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if pattern:
        schema["pattern"] = pattern
    return schema


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`; 401 and 429 apply to every
    signed-in endpoint and are added by the caller where relevant."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def objects_declare_all_properties(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Post-processing hook: every object component lists all its properties and no others
    (`additionalProperties: false`), so a response with an undeclared field breaks the schema
    and a request with an unknown field is invalid (the API answers it with 400)."""
    for component in result.get("components", {}).get("schemas", {}).values():
        if component.get("type") == "object" and "properties" in component:
            component.setdefault("additionalProperties", False)
    return result


class ApiAutoSchema(AutoSchema):
    """Names the nested `InputSerializer`/`OutputSerializer` of a view after the view, so
    `LoginApi.InputSerializer` becomes the component `LoginRequest` and its output `Login`."""

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        parts = type(serializer).__qualname__.split(".")
        if len(parts) >= 2 and parts[-1] in ("InputSerializer", "OutputSerializer"):
            return parts[-2].removesuffix("Api")
        return super().get_serializer_name(serializer, direction)
