"""Request body cap for the API: larger bodies get 413 before anything reads them."""

from collections.abc import Callable
from io import BytesIO

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"


def payload_too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": "payload_too_large",
                "message": f"The request body is larger than the limit of {limit} bytes.",
                "fields": {},
            }
        },
        status=413,
    )


class RequestBodyLimitMiddleware:
    """Answer 413 to an /api/ request whose body is over API_MAX_BODY_BYTES.

    The declared Content-Length is checked first, so an oversized upload is refused without
    reading it; the body actually received is checked too (it is read at most up to the cap
    plus one byte), for clients that send more than they declared or no length at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and request.method not in ("GET", "HEAD"):
            limit = settings.API_MAX_BODY_BYTES
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                return payload_too_large(limit)
            body = request.read(limit + 1)
            if len(body) > limit:
                return payload_too_large(limit)
            # What was read is the body from here on (Django's own `request.body` does the same).
            request._body = body
            request._stream = BytesIO(body)
        return self.get_response(request)
