from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import DeckFactory, QuestionFactory, StudentFactory

JOINED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_throttles(db):
    """Throttle counts live in the shared cache (a database table here): start each test at 0."""
    cache.clear()


def token_client(user) -> APIClient:
    """An API client signed in as `user` with a device token, as the mobile app is."""
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.token = token
    return client


@pytest.fixture
def generous_limits(settings):
    """For tests sending hundreds of requests a minute, some of them wrong passwords (to
    `DELETE /me`), and signing in again after each logout: no throttle or lock-out may answer
    in place of the endpoint."""
    settings.AXES_FAILURE_LIMIT = 10**6
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anonymous": "100000/minute",
            "user": "100000/minute",
            "login": "100000/minute",
        },
    }
    cache.clear()


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def learner(db):
    return StudentFactory(date_joined=JOINED)


@pytest.fixture
def other_learner(db):
    return StudentFactory(date_joined=JOINED)


@pytest.fixture
def client_of(db):
    return token_client


@pytest.fixture
def api(learner) -> APIClient:
    return token_client(learner)


@pytest.fixture
def other_api(other_learner) -> APIClient:
    return token_client(other_learner)


@pytest.fixture
def deck(db):
    return DeckFactory(slug="capitals", title="Capitals")


@pytest.fixture
def questions(deck):
    return [QuestionFactory(deck=deck) for _ in range(5)]


def error_of(response) -> dict:
    """The API's one error body, checked for shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]
