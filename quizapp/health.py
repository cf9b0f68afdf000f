"""`GET /healthz`, for load balancers, orchestrators and monitoring.

| database | cache | status | body `status` |
|---|---|---|---|
| answers | answers | 200 | `ok` |
| answers | does not | 200 | `degraded`: the app serves, without throttles (quizapp/cache.py) |
| does not | any | 503 | `error` |

So a probe that decides where traffic goes reads the status code; monitoring alerts on a body
`status` other than `ok` (docs/deploy.md). The database check waits at most its connect timeout.

Answered by HealthCheckMiddleware, before the host check and after the HTTPS redirect's
exemption (settings.py): a probe uses the server's own address over plain HTTP, and must get
the health, not a 400 or a 301 that it would count as healthy.
"""

from collections.abc import Callable

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.exceptions import RedisError

from quizapp.cache import FailOpenRedisCache

PATH = "/healthz"
OK = "ok"


def _unavailable(error: Exception) -> str:
    return f"unavailable: {type(error).__name__}"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return _unavailable(error)
    return OK


def cache_status(*, database: str) -> str:
    backend = caches["default"]
    try:
        if isinstance(backend, FailOpenRedisCache):
            backend.ping()
        elif isinstance(backend, DatabaseCache) and database != OK:
            return database  # a table of that database: not asked twice
        else:
            backend.get("healthz")
    except (RedisError, DatabaseError) as error:
        return _unavailable(error)
    return OK


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_status()
    state = {"database": database, "cache": cache_status(database=database)}
    if database != OK:
        return JsonResponse({"status": "error", **state}, status=503)
    return JsonResponse({"status": "ok" if state["cache"] == OK else "degraded", **state})


class HealthCheckMiddleware:
    """Answers /healthz before the middleware below it (host check, sessions) runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH:
            return healthz(request)
        return self.get_response(request)
