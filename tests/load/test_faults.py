"""Faults against a real gunicorn server (2 gthread workers × 4 threads, as in production):
Redis unreachable, and a database server that accepts connections and never answers.

The in-process tests (tests/test_cache.py, tests/test_outages.py, tests/test_health.py) show
each answer; these show that a real server keeps serving, within bounded time.
"""

import json
import time

from tests.faults import SilentServer, closed_port
from tests.load.clients import abandon_probe, request
from tests.load.harness import HOST, PASSWORD, LoadDatabase, Server, run_python

CONNECT_TIMEOUT = 2  # seconds: DATABASE_CONNECT_TIMEOUT for the server (psycopg's minimum)
STARTUP_TIMEOUT = 60.0
ABANDONED_PROBES = 12  # more than the server's 8 threads
HANG_BOUND = 5 * CONNECT_TIMEOUT + 20  # seconds; psycopg alone would wait 130 s


def wait_for_workers(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    server.wait_listening(deadline)
    while len(server.worker_pids()) < 2:
        assert time.monotonic() < deadline, server.log_tail()
        time.sleep(0.1)


def test_with_redis_unreachable_a_real_server_serves_the_api_and_reports_degraded(tmp_path):
    with LoadDatabase() as database, closed_port() as redis_port:
        created = run_python(
            database.url, "-m", "tests.load.harness", "learners", "--prefix=fault", "--count=1"
        )
        learner = json.loads(created)["usernames"][0]
        redis_url = f"redis://{HOST}:{redis_port}/0"
        server = Server(database.url, tmp_path / "gunicorn.log", {"REDIS_URL": redis_url})
        try:
            server.wait_listening(time.monotonic() + STARTUP_TIMEOUT)
            server.wait_healthy(time.monotonic() + STARTUP_TIMEOUT)
            health = request(server.port, "GET", "/healthz")
            assert (health.status, health.json()["status"]) == (200, "degraded")
            assert health.json()["cache"] == "unavailable: ConnectionError"
            for _ in range(3):  # each request passes the throttles, which count in the cache
                login = request(
                    server.port,
                    "POST",
                    "/api/v1/auth/login",
                    body={"username": learner, "password": PASSWORD},
                )
                assert login.status == 200, login.body
                token = login.json()["token"]
                me = request(
                    server.port, "GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                )
                assert (me.status, me.json()["username"]) == (200, learner)
            assert "Cache unavailable" in server.log_tail(100_000)
            assert "Internal Server Error" not in server.log_tail(100_000)
        finally:
            server.stop()


def test_with_a_database_that_never_answers_a_real_server_answers_503_and_keeps_serving(
    tmp_path, print_at_end
):
    with SilentServer() as database:
        url = f"postgres://quizapp@{HOST}:{database.port}/quizapp"
        server = Server(
            url, tmp_path / "gunicorn.log", {"DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT)}
        )
        try:
            wait_for_workers(server)
            health = request(server.port, "GET", "/healthz")
            assert health.status == 503
            assert health.json()["database"] == "unavailable: OperationalError"
            # A liveness bound, not a speed target: without the timeout the probe waits out
            # psycopg's own 130 s; a loaded CI machine may take several seconds more than 2.
            assert health.seconds < HANG_BOUND

            api = request(
                server.port, "GET", "/api/v1/me", headers={"Authorization": "Bearer " + "a" * 64}
            )
            assert api.status == 503
            assert api.json()["error"]["code"] == "service_unavailable"
            assert int(api.headers["Retry-After"]) > 0

            page = request(
                server.port, "GET", "/settings/", headers={"Cookie": "sessionid=" + "k" * 32}
            )
            assert page.status == 503
            assert page.headers["Content-Type"].startswith("text/html")
            assert b"briefly unavailable" in page.body

            # Probes that gave up hold a thread each until the connect timeout, no longer.
            for _ in range(ABANDONED_PROBES):
                abandon_probe(server.port)
            home = request(server.port, "GET", "/")
            assert home.status == 200  # the anonymous home page needs no database
            bound = (ABANDONED_PROBES // 4 + 2) * CONNECT_TIMEOUT + HANG_BOUND
            assert home.seconds < bound
            print_at_end(
                f"database that never answers: /healthz 503 in {health.seconds:.1f} s; "
                f"GET / after {ABANDONED_PROBES} abandoned probes in {home.seconds:.1f} s "
                f"(connect timeout {CONNECT_TIMEOUT} s)"
            )
        finally:
            server.stop()
