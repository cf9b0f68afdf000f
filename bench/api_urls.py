"""The site's URLs plus the API benchmark's reference: a bare token-authenticated DRF view.

Only `bench/api.py` serves this (``ROOT_URLCONF=bench.api_urls``); production URLs never
contain the bare view.
"""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.urls import urlpatterns as site_urlpatterns

BARE_PATH = "api/bench/bare"


class BareApi(APIView):
    """What every API request pays and nothing more: the middleware, the device token's
    authentication, the throttles and JSON rendering, with the API's default settings."""

    schema = None

    def get(self, request: Request) -> Response:
        return Response({"user": request.user.pk})


urlpatterns = [path(BARE_PATH, BareApi.as_view(), name="bench-bare"), *site_urlpatterns]
