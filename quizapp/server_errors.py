"""The project's handler500: what Django answers for an exception no view turned into a
response. A database outage (quizapp/outages.py) is a 503 with Retry-After; anything else is
the 500 it always was. Under /api/ both carry the API's error body."""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from quizapp import outages
from quizapp.api.errors import SERVER_ERROR_MESSAGE, error_body

API_PREFIX = "/api/"


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]  # Django calls its handler500 while handling the exception
    api = request.path.startswith(API_PREFIX)
    if outages.is_outage(error):
        if api:
            response = JsonResponse(error_body("service_unavailable", outages.MESSAGE), status=503)
        else:
            # No request context: the page must not ask the database who is signed in.
            response = HttpResponse(render_to_string("frontend/unavailable.html"), status=503)
        response["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
        return response
    if api:
        return JsonResponse(error_body("server_error", SERVER_ERROR_MESSAGE), status=500)
    return defaults.server_error(request)
