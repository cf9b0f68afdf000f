"""When the database stops answering: the API answers 503 with its error body, the web a plain
503 page; neither is a 500, and both say when to try again. (tests/load/test_faults.py shows
the same against a real server whose database accepts connections and never answers.)"""

import pytest
from django.db import OperationalError, connection
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StudentFactory


def database_not_answering(execute, sql, params, many, context):
    raise OperationalError("connection timeout expired")


def while_the_database_is_down(client, method: str, path: str, data=None):
    """The response to one request during which every query fails as it does when the
    database server never answers."""
    with connection.execute_wrapper(database_not_answering):
        return getattr(client, method)(path, data)


@pytest.fixture
def learner(db):
    return StudentFactory()


def test_an_api_call_gets_503_with_the_error_body_when_the_database_is_down(learner, caplog):
    _, token = AuthToken.objects.create(user=learner)
    device = APIClient(raise_request_exception=False)
    device.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = while_the_database_is_down(device, "get", "/api/v1/me")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "The service is briefly unavailable; try again in a moment.",
            "fields": {},
        }
    }
    assert int(response["Retry-After"]) > 0
    assert "Service Unavailable" in caplog.text  # logged, with its cause
    assert "connection timeout expired" in caplog.text


def test_an_api_login_gets_the_json_503_too(learner):
    credentials = {"username": learner.username, "password": PASSWORD}
    device = APIClient(raise_request_exception=False)
    response = while_the_database_is_down(device, "post", "/api/v1/auth/login", credentials)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_a_web_page_gets_a_plain_503_page_when_the_database_is_down(learner):
    browser = Client(raise_request_exception=False)
    browser.force_login(learner)
    response = while_the_database_is_down(browser, "get", "/settings/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>quizapp is briefly unavailable</h1>" in html
    assert "Try again in a moment" in html
    assert "OperationalError" not in html and "timeout" not in html
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_web_login_gets_the_503_page_too(learner):
    credentials = {"username": learner.username, "password": PASSWORD}
    browser = Client(raise_request_exception=False)
    response = while_the_database_is_down(browser, "post", "/accounts/login/", credentials)
    assert response.status_code == 503
    assert "briefly unavailable" in response.content.decode()


def test_other_unexpected_web_errors_are_still_a_500(learner, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("frontend.views.learner_settings_get", explode)
    browser = Client(raise_request_exception=False)
    browser.force_login(learner)
    response = browser.get("/settings/")
    assert response.status_code == 500
    assert "boom" not in response.content.decode()
