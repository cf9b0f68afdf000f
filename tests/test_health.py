"""GET /healthz: 200 while the database answers (the cache's state is reported, and a cache
outage is not one of the app), 503 within the connect timeout when the database does not;
answered to a probe that uses the server's own address over plain HTTP in production."""

import pytest
from django.db import connection

from tests.faults import closed_port
from tests.security.test_headers import production_response
from tests.test_cache import redis_caches
from tests.test_outages import database_not_answering


@pytest.fixture
def redis_down(settings):
    with closed_port() as port:
        settings.CACHES = redis_caches(f"redis://127.0.0.1:{port}/0")
        yield


def test_health_reports_the_database_and_the_cache(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_is_503_when_the_database_does_not_answer(client, db):
    with connection.execute_wrapper(database_not_answering):
        response = client.get("/healthz")
    assert response.status_code == 503
    # The cache is a table of that database (no REDIS_URL): asked once, not twice.
    assert response.json() == {
        "status": "error",
        "database": "unavailable: OperationalError",
        "cache": "unavailable: OperationalError",
    }


def test_with_redis_down_health_stays_200_and_says_the_cache_is_unavailable(client, db, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200  # the app serves: only throttles are off
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unavailable: ConnectionError",
    }


def test_health_costs_at_most_two_queries(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the database, and the cache table in it
        assert client.get("/healthz").status_code == 200


def test_health_answers_head_and_refuses_writes(client, db):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


# --------------------------------------------------------------------------- production


def test_a_production_probe_over_plain_http_by_the_servers_address_gets_the_health(tmp_path):
    """Not a 301 to HTTPS (probes count 3xx as healthy) nor a 400 for an unknown host."""
    response = production_response(tmp_path, "/healthz", secure=False, host="10.0.0.5:8000")
    assert response["status"] == 200
    assert response["json"]["database"] == "ok"


def test_with_the_database_down_a_production_probe_gets_503_not_a_redirect(tmp_path):
    with closed_port() as port:
        response = production_response(
            tmp_path,
            "/healthz",
            secure=False,
            host="10.0.0.5:8000",
            DATABASE_URL=f"postgres://quizapp@127.0.0.1:{port}/quizapp",
        )
    assert response["status"] == 503
    assert response["json"]["status"] == "error"


def test_in_production_other_plain_http_requests_are_still_redirected_and_checked(tmp_path):
    login = production_response(tmp_path, "/accounts/login/", secure=False)
    assert login["status"] == 301
    assert login["headers"]["Location"] == "https://quiz.example.com/accounts/login/"
    unknown_host = production_response(tmp_path, "/", secure=True, host="10.0.0.5:8000")
    assert unknown_host["status"] == 400
