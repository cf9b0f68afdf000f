"""Slow clients: GET /healthz with idle or slow connections open, gunicorn alone and behind nginx.

gunicorn serves the app as deployed (2 gthread workers × 4 threads, on 127.0.0.1) from a fresh
SQLite database, first on its own port, then behind ``deploy/nginx.conf`` run unprivileged
(``tests/load/nginx.py``). For each count of clients (16 and 150; 16 with ``--quick``), that
many connections are opened and kept open, either idle (they send nothing) or slow (a third
send nothing, a third stop in the middle of their headers, a third in the middle of a body;
``tests/load/clients.py``). Then one
``GET /healthz`` on a new connection is timed, allowed at most 30 s (a request with no answer
counts as 30 s). The reference is the same request by the same path with no slow clients. Target,
behind nginx: ratio ≤ 10. gunicorn alone has none: its figures are the reason nginx is required
(docs/deploy.md); between measurements the server is given time to drain.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

from bench import Result, at_most, median
from tests.load.clients import NoAnswer, request, slow_clients
from tests.load.harness import LoadDatabase, Server
from tests.load.nginx import Nginx

USES_DATABASE = False  # a throw-away SQLite file, whatever BENCH_DATABASE_URL says
LIMIT = 30.0  # seconds allowed for the timed request
DRAIN = 180.0  # seconds to wait for a stalled server to answer promptly again
STARTUP = 60.0


def timed_health(port: int) -> tuple[float, bool]:
    """Seconds for GET /healthz, and whether it was answered 200 in time."""
    try:
        answer = request(port, "GET", "/healthz", timeout=LIMIT)
    except (NoAnswer, OSError):
        return LIMIT, False
    return answer.seconds, answer.status == 200


def drained(port: int) -> None:
    """Until /healthz answers within a second again (a stalled gunicorn catches up)."""
    deadline = time.monotonic() + DRAIN
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/healthz", timeout=1.0).status == 200:
                return
        except (NoAnswer, OSError):
            pass
    raise RuntimeError(f"the server on port {port} did not recover within {DRAIN:g} s")


def reference(port: int) -> float:
    return median([timed_health(port)[0] for _ in range(5)])


def run(quick: bool) -> list[Result]:
    counts = (16,) if quick else (16, 150)
    results = []
    with LoadDatabase() as database, tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        server = Server(database.url, directory / "gunicorn.log", {})
        try:
            server.wait_listening(time.monotonic() + STARTUP)
            server.wait_healthy(time.monotonic() + STARTUP)
            (directory / "nginx").mkdir()
            with Nginx(directory / "nginx", server.port) as proxy:
                for where, port, target in (
                    ("gunicorn alone", server.port, None),
                    ("behind nginx", proxy.http_port, at_most(10.0)),
                ):
                    drained(port)
                    calm = reference(port)
                    for count, idle in itertools.product(counts, (True, False)):
                        with slow_clients(port, count, idle=idle):
                            seconds, answered = timed_health(port)
                        drained(port)
                        kind = "idle" if idle else "slow"
                        results.append(
                            Result(
                                name=f"/healthz with {count} {kind} clients, {where}",
                                figure=seconds * 1000,
                                unit="ms",
                                reference=calm * 1000,
                                reference_name="no such clients",
                                target=target,
                                notes="" if answered else f"no answer within {LIMIT:g} s",
                            )
                        )
        finally:
            server.stop()
    return results
