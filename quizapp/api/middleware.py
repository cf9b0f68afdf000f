"""Request bodies for the API: a size cap (413 before anything reads more), and bodies sent
without a Content-Length (chunked) read as what they are rather than as empty."""

from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from quizapp.api.errors import error_body

API_PREFIX = "/api/"


def payload_too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        error_body(
            "payload_too_large", f"The request body is larger than the limit of {limit} bytes."
        ),
        status=413,
    )


def length_required() -> JsonResponse:
    return JsonResponse(
        error_body(
            "length_required",
            "This server cannot read a chunked request body here: send the body with a "
            "Content-Length header.",
        ),
        status=411,
    )


def _unsized_body_source(request: HttpRequest) -> Any:
    """Where to read a body that came without a Content-Length, or None if nothing may.

    Django's WSGI request trusts only Content-Length and reads such a body as empty. A WSGI
    server that says where the body ends (`wsgi.input_terminated`, as gunicorn does: it
    de-chunks) may be read to its end; an ASGI request holds the whole body already. Any other
    WSGI server's input cannot be read past a length it was never told."""
    environ = getattr(request, "environ", None)
    if environ is None:
        return request
    if environ.get("wsgi.input_terminated"):
        return environ["wsgi.input"]
    return None


def _read(source: Any, size: int) -> bytes:
    """Up to `size` bytes (a stream may return fewer per read than asked before its end)."""
    chunks, left = [], size
    while left > 0:
        chunk = source.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class RequestBodyLimitMiddleware:
    """Answer 413 to an /api/ request whose body is over API_MAX_BODY_BYTES.

    The declared Content-Length is checked first, so an oversized upload is refused without
    reading it; the body actually received is checked too (it is read at most up to the cap
    plus one byte), for clients that send more than they declared or no length at all.
    A chunked body (no Content-Length) is read, up to the same cap, where the server says
    where it ends; elsewhere it is answered 411 rather than taken for an empty body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and request.method not in ("GET", "HEAD"):
            limit = settings.API_MAX_BODY_BYTES
            declared = request.META.get("CONTENT_LENGTH") or ""
            try:
                if int(declared) > limit:
                    return payload_too_large(limit)
            except ValueError:
                declared = ""
            source: Any = request
            if not declared:
                source = _unsized_body_source(request)
                if source is None:
                    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                        return length_required()
                    source = request  # no body at all
            body = _read(source, limit + 1)
            if len(body) > limit:
                return payload_too_large(limit)
            # What was read is the body from here on (Django's own `request.body` does the same),
            # with its length, which DRF reads to tell a body from none.
            request._body = body
            request._stream = BytesIO(body)
            request._read_started = True
            if not declared and body:
                request.META["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)
