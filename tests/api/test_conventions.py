"""What every endpoint shares: errors, body cap, CORS, throttles, the schema and its docs."""

import json
import re
import uuid
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from quizapp.api.middleware import RequestBodyLimitMiddleware
from quizapp.study.models import Review
from tests.api.conftest import error_of

SCHEMA_FILE = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/nope", "/api/v2/me", "/api/v1/me/"])
def test_unknown_api_paths_answer_with_the_error_body(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_unknown_api_paths_are_404_before_sign_in(anonymous, db):
    response = anonymous.get("/api/v1/nothing-here")
    assert response.status_code == 404
    error_of(response)


def test_wrong_method_is_405_with_the_error_body(api):
    response = api.get("/api/v1/reviews")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_an_accept_header_the_api_cannot_satisfy_is_a_406_with_a_documented_code(api):
    response = api.get("/api/v1/me", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert error_of(response)["code"] == "not_acceptable"
    assert "`not_acceptable`" in (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()


def test_only_json_bodies_are_taken(anonymous, db):
    response = anonymous.post(
        "/api/v1/auth/login",
        "username=a&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_a_400_parse_error(anonymous, db):
    response = anonymous.post(
        "/api/v1/auth/login", '{"username": "a",', content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "1" * 5000,
        '{"username": "\\ud800x", "password": "x"}',
        '{"username": "a\\u0000b", "password": "x"}',
        "[" * 5000,
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_hostile_json_is_a_400_never_a_500(anonymous, db, text):
    response = anonymous.post("/api/v1/auth/login", text, content_type="application/json")
    assert response.status_code == 400
    error_of(response)


def test_an_oversized_body_is_refused_with_413(api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = '{"reviews": []' + " " * 1000 + "}"
    response = api.post("/api/v1/reviews", body, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    small = api.post("/api/v1/reviews", {"reviews": []})
    assert small.status_code == 400
    assert list(error_of(small)["fields"]) == ["reviews"]  # read, then found empty


def test_the_body_cap_counts_what_arrives_not_only_what_is_declared(settings):
    """A body sent without a length (e.g. chunked, under ASGI) is read at most one byte past
    the cap."""
    settings.API_MAX_BODY_BYTES = 10
    request = RequestFactory().post("/api/v1/reviews", "x" * 100, content_type="application/json")
    del request.META["CONTENT_LENGTH"]
    stream = BytesIO(b"x" * 100)
    request._stream = stream
    request._read_started = False
    response = RequestBodyLimitMiddleware(lambda r: pytest.fail("reached the view"))(request)
    assert response.status_code == 413
    assert stream.tell() == 11


def chunked_upload(client, body: bytes, *, server_delimits: bool):
    """A POST with `Transfer-Encoding: chunked` and no Content-Length, as a WSGI server hands
    it on: gunicorn says the input ends where the body ends (`wsgi.input_terminated`)."""
    environ = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": BytesIO(body),
    }
    if server_delimits:
        environ["wsgi.input_terminated"] = True
    return client.post("/api/v1/reviews", b"", content_type="application/json", **environ)


def test_a_chunked_upload_is_read_whole_when_the_server_delimits_it(api, learner, questions):
    """The body used to be read as empty (Django trusts only Content-Length), so a valid
    batch got 400 "required" and a client might have dropped it."""
    review = {
        "id": str(uuid.uuid4()),
        "question": questions[0].slug,
        "rating": 3,
        "reviewed_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
    }
    response = chunked_upload(api, json.dumps({"reviews": [review]}).encode(), server_delimits=True)
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == [review["id"]]
    assert Review.objects.filter(user=learner).count() == 1


def test_a_chunked_upload_is_held_to_the_body_limit(api, learner, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = b'{"reviews": []' + b" " * 2000 + b"}"
    response = chunked_upload(api, body, server_delimits=True)
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_a_chunked_upload_the_server_cannot_delimit_is_a_411(api, learner, questions):
    response = chunked_upload(api, b'{"reviews": []}', server_delimits=False)
    assert response.status_code == 411
    error = error_of(response)
    assert error["code"] == "length_required" and "Content-Length" in error["message"]
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/reviews"),
        ("patch", "/api/v1/me/settings"),
        ("post", "/api/v1/classes/join"),
        ("delete", "/api/v1/me"),
    ],
)
def test_a_null_body_is_invalid_saying_an_object_is_expected(api, method, path):
    response = getattr(api, method)(path, "null", content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "JSON object" in error["message"]


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/register"])
def test_a_null_body_is_invalid_before_sign_in_too(anonymous, db, path):
    response = anonymous.post(path, "null", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


@pytest.mark.parametrize("path", ["/api/v1/decks", "/api/v1/quizzes", "/api/v1/classes"])
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=", "limit"),
        ("offset=", "offset"),
        ("limit=1&limit=2", "limit"),
        ("offset=0&offset=1", "offset"),
        ("limit=5&offset=", "offset"),
    ],
)
def test_empty_or_repeated_page_parameters_are_a_400_naming_them(api, deck, path, query, name):
    response = api.get(f"{path}?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and list(error["fields"]) == [name]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("study/queue?limit=", "limit"),
        ("study/queue?limit=3&limit=4", "limit"),
        ("study/queue?deck=capitals&deck=other", "deck"),
        ("sync?limit=", "limit"),
        ("sync?limit=5&limit=6", "limit"),
        ("decks?title=a&title=b", "title"),
    ],
)
def test_other_list_parameters_are_refused_empty_or_repeated_too(api, deck, query, name):
    response = api.get(f"/api/v1/{query}")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [name]


@pytest.mark.parametrize("query", ["study/queue?deck=", "sync?since=", "decks?title="])
def test_an_empty_text_parameter_means_none_as_documented(api, deck, query):
    assert api.get(f"/api/v1/{query}").status_code == 200


def test_the_body_cap_leaves_other_paths_alone(settings):
    settings.API_MAX_BODY_BYTES = 10
    request = RequestFactory().post("/accounts/login/", {"username": "x" * 100})
    reached = RequestBodyLimitMiddleware(lambda r: "view")(request)
    assert reached == "view"


def test_unexpected_errors_are_a_json_500(api, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("quizapp.api.views.auth.learner_settings_get", explode)
    response = api.get("/api/v1/me")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert "boom" not in response.content.decode()
    assert "Internal Server Error" in caplog.text


def test_signed_in_requests_are_throttled_per_user(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anonymous": "100/minute",
            "user": "2/minute",
            "login": "5/minute",
        },
    }
    assert api.get("/api/v1/me").status_code == 200
    assert api.get("/api/v1/decks").status_code == 200
    response = api.get("/api/v1/me")
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_anonymous_requests_are_throttled_per_address(anonymous, db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anonymous": "2/minute",
            "user": "100/minute",
            "login": "100/minute",
        },
    }
    for _ in range(2):
        anonymous.post("/api/v1/auth/register", {})
    response = anonymous.post("/api/v1/auth/register", {})
    assert response.status_code == 429
    assert "Retry-After" in response


class TestCors:
    ORIGIN = "https://app.example.com"

    @pytest.fixture(autouse=True)
    def _origins(self, settings):
        settings.CORS_ALLOWED_ORIGINS = [self.ORIGIN]

    def test_a_configured_origin_may_call_the_api(self, api):
        response = api.get("/api/v1/me", HTTP_ORIGIN=self.ORIGIN)
        assert response["Access-Control-Allow-Origin"] == self.ORIGIN
        assert "ETag" in response["Access-Control-Expose-Headers"]

    def test_a_preflight_from_a_configured_origin_is_answered(self, anonymous, db):
        response = anonymous.options(
            "/api/v1/reviews",
            HTTP_ORIGIN=self.ORIGIN,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
        )
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == self.ORIGIN
        assert "authorization" in response["Access-Control-Allow-Headers"]

    def test_other_origins_get_no_cors_headers(self, api):
        response = api.get("/api/v1/me", HTTP_ORIGIN="https://evil.example.net")
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response

    def test_cors_is_for_the_api_only(self, client, db):
        response = client.get("/healthz", HTTP_ORIGIN=self.ORIGIN)
        assert "Access-Control-Allow-Origin" not in response


def test_the_schema_is_served(anonymous, db):
    response = anonymous.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/reviews" in schema["paths"]


def test_the_committed_schema_matches_the_code(tmp_path):
    """docs/openapi.yaml is the contract the mobile team builds against. Regenerate it with
    `python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml`."""
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))
    assert yaml.safe_load(generated.read_text()) == yaml.safe_load(SCHEMA_FILE.read_text()), (
        "docs/openapi.yaml is out of date: regenerate it (see this test's docstring)."
    )


def test_every_object_in_the_schema_declares_exactly_its_properties():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    for name, component in schema["components"]["schemas"].items():
        if component.get("type") == "object":
            assert component.get("additionalProperties") is False, name


def test_error_responses_are_documented():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    documented = {
        status
        for operations in schema["paths"].values()
        for operation in operations.values()
        for status in operation["responses"]
    }
    assert {"400", "401", "404", "409", "413", "415", "429"} <= documented
    upload = schema["paths"]["/api/v1/reviews"]["post"]["responses"]
    assert upload["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_the_api_docs_page_works_under_the_content_security_policy(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) == 3
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "<style" not in html and " style=" not in html
    assert "http://" not in html and "https://" not in html  # no CDN
    for path in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(path), path
    assert "SwaggerUIBundle" in html and "/api/schema/" in html
