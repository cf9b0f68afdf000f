"""Conditional GET for per-learner JSON: a strong ETag over the response body."""

import hashlib
from typing import Any

from django.utils.cache import parse_etags, patch_cache_control, patch_vary_headers
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response


def conditional_response(request: Request, data: Any) -> Response:
    """`data` with an ETag, or an empty 304 when the client's If-None-Match already has it.

    The tag hashes the JSON itself, so it changes with anything shown (content and the
    learner's own counts) and costs no extra query.
    """
    etag = f'"{hashlib.sha256(JSONRenderer().render(data)).hexdigest()[:32]}"'
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    matches = "*" in wanted or any(tag.removeprefix("W/") == etag for tag in wanted)
    response = Response(status=status.HTTP_304_NOT_MODIFIED) if matches else Response(data)
    response["ETag"] = etag
    # Per learner: shared caches must not keep it, and a client revalidates before reuse.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Authorization", "Cookie"))
    return response
