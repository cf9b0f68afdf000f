from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView


class NotFoundView(APIView):
    """Answers every unknown path under /api/ with the API's 404 body (not Django's page)."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []
    versioning_class = None
    schema = None

    def initial(self, request: Request, *args, **kwargs) -> None:
        raise exceptions.NotFound()
