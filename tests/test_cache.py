"""The shared cache (Redis) fails open: with Redis down or hung, a read is a miss and a write is
dropped, the outage is logged and counted, and the app serves on (throttles are all it keeps
there). After a failure Redis is left alone for a while, so a hung Redis costs one request per
interval its socket timeout, not every request."""

import logging

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StudentFactory
from tests.faults import SilentServer, closed_port
from tests.test_settings import settings_as_json


def redis_caches(url: str) -> dict:
    """CACHES as settings.py makes them for REDIS_URL=url."""
    return settings_as_json("s.CACHES", REDIS_URL=url)


@pytest.fixture
def redis_down(settings):
    with closed_port() as port:
        settings.CACHES = redis_caches(f"redis://127.0.0.1:{port}/0")
        yield


@pytest.fixture
def learner(db):
    return StudentFactory()


def test_the_redis_cache_has_short_socket_timeouts():
    options = redis_caches("redis://cache.internal:6379/0")["default"]["OPTIONS"]
    assert options == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def test_with_redis_down_a_read_is_a_miss_and_a_write_is_dropped(redis_down):
    assert cache.get("throttle", "fallback") == "fallback"
    cache.set("throttle", [1, 2])
    assert cache.add("throttle", [1]) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("throttle") is False
    assert cache.delete("throttle") is False
    with pytest.raises(ValueError):
        cache.incr("counter")  # as for a missing key


def test_with_redis_down_the_api_serves_sign_in_and_signed_in_requests(learner, redis_down):
    """Every API request passes its throttles, which count in the cache."""
    device = APIClient()
    response = device.post(
        "/api/v1/auth/login", {"username": learner.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    device.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    me = device.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == learner.username
    assert AuthToken.objects.filter(user=learner).count() == 1


def test_with_redis_down_web_pages_serve(client, learner, redis_down):
    client.force_login(learner)
    assert client.get("/settings/").status_code == 200


def test_a_redis_failure_is_logged_with_a_count(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="quizapp.cache"):
        cache.get("throttle")
    assert "Cache unavailable" in caplog.text
    assert "ConnectionError" in caplog.text
    assert "1 failed" in caplog.text


def test_after_a_failure_a_hung_redis_is_left_alone_until_the_retry_interval(settings, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("quizapp.cache.monotonic", lambda: now[0])
    with SilentServer() as redis:
        settings.CACHES = redis_caches(f"redis://127.0.0.1:{redis.port}/0")
        assert cache.get("throttle") is None  # waited for the socket timeout
        assert redis.connections() == 1
        for _ in range(20):  # these do not wait: nothing is sent to Redis
            assert cache.get("throttle") is None
            cache.set("throttle", [1])
        assert redis.connections() == 1
        now[0] += 4.9
        cache.get("throttle")
        assert redis.connections() == 1
        now[0] += 0.2  # past the retry interval: one request tries again
        cache.get("throttle")
        assert redis.connections() == 2
