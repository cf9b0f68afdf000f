"""Request hygiene every face gets (web, admin and API alike)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from quizapp.api.errors import MESSAGES, error_body

API_PREFIX = "/api/"
NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_NAME = 100


def _named(name: str) -> str:
    return name.replace(NUL, "%00")[:MAX_NAME]


def _nul_problem(request: HttpRequest) -> tuple[str, str | None]:
    """(what holds a NUL, the parameter or field named) or ("", None) when nothing does."""
    if NUL in request.path:
        return "The address contains a NUL character (%00), which no address may contain.", None
    # A NUL reaches the decoded query only as %00 (or raw), so most requests skip parsing.
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or NUL in query:
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in value for value in values):
                return "query", _named(name)
    if request.method == "POST" and request.content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in value for value in values):
                return "form", _named(name)
    return "", None


class NulCharacterMiddleware:
    """Answer 400 to a NUL character in the path, a query parameter or a form field.

    No text anyone types holds one, and PostgreSQL cannot store or even compare text that
    does, so a view passing one on to a query (an admin list filter does, with whatever the
    address says) would be a server error. Refused here, before any view, for every face: the
    API gets its error body naming the parameter, the web and the admin a page naming it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where, name = _nul_problem(request)
        if not where:
            return self.get_response(request)
        if name is None:
            message = where
        else:
            kind = "query parameter" if where == "query" else "form field"
            message = (
                f"The {kind} “{name}” contains a NUL character (%00), which no text may "
                "contain. Remove it and try again."
            )
        if request.path.startswith(API_PREFIX):
            if name is None:
                return JsonResponse(error_body("invalid", message), status=400)
            field = "Must not contain a NUL character (%00)."
            return JsonResponse(
                error_body("invalid", MESSAGES["invalid"], {name: [field]}), status=400
            )
        return render(request, "frontend/bad_request.html", {"message": message}, status=400)
