"""The shared cache, Redis, fails open.

All the app keeps in the cache is throttle counts (sessions, lock-outs and everything else live
in the database). So when Redis is down or hung, requests are served without it: a read is a
miss, a write is dropped, and the failure is logged with a count. Throttles then let every
request through until Redis answers again; the login lock-out, counted in the database, still
holds.

After a failure, Redis is left alone for RETRY_SECONDS: a Redis that does not answer costs one
request per interval its socket timeout (settings.py), instead of every request. The state is
per process, shared by its threads (Django gives each thread its own cache object). `/healthz`
asks `ping()`, which always tries, and reports what it finds (quizapp/health.py).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


@dataclass
class Outage:
    """What this process knows about one Redis location being unreachable."""

    down_until: float = 0.0  # monotonic time; Redis is not tried before it
    failed: int = 0  # operations that failed since the outage began
    skipped: int = 0  # operations not tried during it
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failure(self, location: str, error: RedisError) -> None:
        with self.lock:
            self.failed += 1
            self.down_until = monotonic() + RETRY_SECONDS
            failed, skipped = self.failed, self.skipped
        logger.warning(
            "Cache unavailable at %s (%s: %s); serving without it, %d failed and %d skipped "
            "operations so far, next try in %g s.",
            location,
            type(error).__name__,
            error,
            failed,
            skipped,
            RETRY_SECONDS,
        )

    def recovered(self, location: str) -> None:
        with self.lock:
            if not self.failed:
                return
            failed, skipped = self.failed, self.skipped
            self.down_until, self.failed, self.skipped = 0.0, 0, 0
        logger.warning(
            "Cache at %s answers again, after %d failed and %d skipped operations.",
            location,
            failed,
            skipped,
        )

    def skip(self) -> bool:
        """Whether Redis is to be left alone now (and the operation counted as skipped)."""
        if monotonic() >= self.down_until:
            return False
        with self.lock:
            self.skipped += 1
        return True


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def outage_of(location: str) -> Outage:
    with _outages_lock:
        return _outages.setdefault(location, Outage())


def _key_not_found(*args: Any) -> int:
    raise ValueError("Key not found: the cache is unavailable.")


class FailOpenRedisCacheClient(RedisCacheClient):
    """Django's Redis client, each operation answering as for a missing key when Redis fails."""

    def __init__(self, servers: list[str], **options: Any):
        super().__init__(servers, **options)
        self._location = ",".join(servers)
        self._outage = outage_of(self._location)

    def _try(self, operation: Callable, fallback: Callable, *args: Any) -> Any:
        if self._outage.skip():
            return fallback(*args)
        try:
            result = operation(*args)
        except RedisError as error:
            self._outage.failure(self._location, error)
            return fallback(*args)
        self._outage.recovered(self._location)
        return result

    def ping(self) -> None:
        """Ask Redis, whatever the outage state; raises RedisError when it does not answer."""
        try:
            self.get_client(write=False).ping()
        except RedisError as error:
            self._outage.failure(self._location, error)
            raise
        self._outage.recovered(self._location)

    def add(self, key, value, timeout):
        return self._try(super().add, lambda *a: False, key, value, timeout)

    def get(self, key, default):
        return self._try(super().get, lambda key, default: default, key, default)

    def set(self, key, value, timeout):
        return self._try(super().set, lambda *a: None, key, value, timeout)

    def touch(self, key, timeout):
        return self._try(super().touch, lambda *a: False, key, timeout)

    def delete(self, key):
        return self._try(super().delete, lambda *a: False, key)

    def get_many(self, keys):
        return self._try(super().get_many, lambda *a: {}, keys)

    def has_key(self, key):
        return self._try(super().has_key, lambda *a: False, key)

    def incr(self, key, delta):
        return self._try(super().incr, _key_not_found, key, delta)

    def set_many(self, data, timeout):
        return self._try(super().set_many, lambda *a: None, data, timeout)

    def delete_many(self, keys):
        return self._try(super().delete_many, lambda *a: None, keys)

    def clear(self):
        return self._try(super().clear, lambda *a: False)


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache backend, failing open (see the module's docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient

    def ping(self) -> None:
        self._cache.ping()
