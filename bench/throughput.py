"""Throughput: study sessions through gunicorn, against a bare authenticated view; worker memory.

gunicorn serves the app on 127.0.0.1 (2 gthread workers × 4 threads, a port the kernel picks)
from a copy of the scale benchmark's small database (``bench/scale.py``: 5 learners × 1,000
cards with 2,000 reviews each), made for this run so its uploads never change the original.
Four client threads, each a learner with their own device token on a keep-alive connection,
run study sessions: ``GET /api/v1/study/queue`` (20 cards), then ``POST /api/v1/reviews`` with
one review of the first card (a fresh UUID, the current time, a typical rating), again and
again. The figure is the requests per second of those sessions; the reference is
``GET /api/bench/bare`` by the same clients on the same server: a DRF view that only
authenticates the token, runs the throttles and renders a tiny JSON body (``bench/api_urls.py``,
selected with ``ROOT_URLCONF`` by the benchmarks only, never in production URLs). Windows of
each take turns, so drift hits both alike. Target: ratio ≥ 0.5. p50 and p99 latencies are in
the notes. Throttles stay on, with rates raised through ``API_THROTTLE_*`` so none refuses.
Before the load, the same requests are timed in one Django process through the test client
(no HTTP) and profiled, so a miss comes with where the time goes.

Then sessions go on until every worker has answered 10,000 requests (counted from gunicorn's
access log, which logs the worker's pid; clients open a new connection every 100 requests so
both workers get work), and each worker's resident memory is read from ``/proc/<pid>/status``
(VmRSS). Figure: the largest, against a budget of 150 MB (target: at most the budget).

    python -m bench.throughput tokens COUNT          # (internal) device tokens, as JSON
    python -m bench.throughput profile TOKEN SAMPLES  # (internal) the in-process breakdown
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import Result, at_least, at_most, scale
from bench.api import environment, run_together
from bench.scale import percentile
from tests.load.harness import children

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
# bench/api_urls.py BARE_PATH (not imported: the runner never loads Django; a test checks).
BARE = "/api/bench/bare"
QUEUE = "/api/v1/study/queue"
REVIEWS = "/api/v1/reviews"
WORKERS, THREADS = 2, 4
CLIENTS = 4
RECONNECT_EVERY = 100  # requests per connection, so both workers get work
SECONDS = {True: 1.5, False: 8.0}  # per timed window
ROUNDS = {True: 1, False: 4}
WARMUP_SECONDS = {True: 1.0, False: 3.0}
PER_WORKER = {True: 500, False: 10_000}  # requests each worker answers before memory is read
# Seconds, by quick: past this, memory is read and the workers short of the count reported.
MEMORY_TIME_LIMIT = {True: 60.0, False: 900.0}
MEMORY_BUDGET_MB = 150.0
TARGET = at_least(0.5)
RATINGS, RATING_WEIGHTS = (1, 2, 3, 4), (0.12, 0.13, 0.63, 0.12)
REQUEST_TIMEOUT = 60.0
PROFILE_SAMPLES = {True: 10, False: 30}  # in-process requests timed for the breakdown


# --- figures (pure) -------------------------------------------------------------------------


@dataclass
class Window:
    """What the clients saw during one timed stretch of one kind of traffic."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)  # path → seconds each

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def add(self, other: Window) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        for path, values in other.latencies.items():
            self.latencies.setdefault(path, []).extend(values)


def latency_note(window: Window, names: dict[str, str]) -> str:
    parts = []
    for path, values in window.latencies.items():
        if values:
            parts.append(
                f"{names.get(path, path)} p50 {percentile(values, 0.5) * 1000:.1f} / "
                f"p99 {percentile(values, 0.99) * 1000:.1f} ms"
            )
    return "; ".join(parts)


def requests_per_worker(log_lines: Sequence[str], workers: Sequence[int]) -> dict[int, int]:
    """Requests each worker answered, from access-log lines that hold the worker's pid (as
    gunicorn's ``%(p)s`` writes it: ``<pid>``)."""
    counted = Counter(line.strip().strip("<>") for line in log_lines)
    return {pid: counted.get(str(pid), 0) for pid in workers}


def vm_rss_kib(status_text: str) -> int:
    """VmRSS from the text of /proc/<pid>/status, in KiB."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError("no VmRSS line")


# --- the database -----------------------------------------------------------------------------


def run_copy(small: scale.Database) -> str:
    """A copy of the small database for this run; returns its URL."""
    if small.is_postgres:
        import psycopg

        parts = urlsplit(small.url)
        source = parts.path.lstrip("/")
        name = f"{source}_throughput"
        with psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True
        ) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return urlunsplit(parts._replace(path=f"/{name}"))
    target = DATA / f"throughput-{small.name}.sqlite3"
    drop_copy(f"sqlite:///{target}")
    # The backup API copies a consistent snapshot, whatever is in the WAL.
    import sqlite3

    with sqlite3.connect(small.sqlite_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


def drop_copy(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{urlsplit(url).path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def tokens(url: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.throughput", "tokens", str(CLIENTS)],
        env=environment(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"making device tokens failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _tokens(count: int) -> list[str]:
    """(In a Django child process.) A device token for each of the first `count` learners."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    learners = get_user_model().objects.filter(username__startswith="load-learner-")
    chosen = sorted(learners, key=lambda user: int(user.username.rsplit("-", 1)[1]))[:count]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} learners, {count} needed")
    return [AuthToken.objects.create(user=user)[1] for user in chosen]


# --- the server -------------------------------------------------------------------------------


class Server:
    """gunicorn on 127.0.0.1 at a port the kernel chose: the socket is bound here and handed
    over as a file descriptor, so nothing can take the port in between (as bench/api.py)."""

    def __init__(self, url: str, access_log: Path):
        self.access_log = access_log
        access_log.unlink(missing_ok=True)
        listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = listener.getsockname()[1]
        fd = listener.fileno()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "quizapp.wsgi:application",
                f"--bind=fd://{fd}",
                f"--workers={WORKERS}",
                "--worker-class=gthread",
                f"--threads={THREADS}",
                "--timeout=120",
                "--log-level=warning",
                f"--access-logfile={access_log}",
                "--access-logformat=%(p)s",
            ],
            env=environment(url),
            cwd=ROOT,
            pass_fds=(fd,),
            start_new_session=True,
        )
        listener.close()  # gunicorn has its own copy

    def wait_until_ready(self, token: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped while starting (see its errors above)")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", BARE, headers={"Authorization": f"Bearer {token}"})
                if connection.getresponse().status == 200:
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer in time")
            time.sleep(0.2)

    def workers(self) -> list[int]:
        """The pids of gunicorn's workers: the children of its master process."""
        return children(self.process.pid)

    def served(self) -> dict[int, int]:
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return requests_per_worker(lines, self.workers())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


# --- the load ---------------------------------------------------------------------------------


def review_body(queue: bytes, rng: random.Random, seen: list[str]) -> bytes:
    """One review of the first card of a queue (an answer to GET study/queue), as a device
    uploads it; with nothing to study, a review ahead of a card seen before."""
    try:
        entries = json.loads(queue)["queue"]
    except (ValueError, KeyError):
        entries = []
    if entries:
        slug = entries[0]["question"]["slug"]
        if slug not in seen:
            seen.append(slug)
    else:
        slug = rng.choice(seen)
    review = {
        "id": str(uuid.uuid4()),
        "question": slug,
        "rating": rng.choices(RATINGS, RATING_WEIGHTS)[0],
        "reviewed_at": datetime.now(UTC).isoformat(),
        "duration_ms": rng.randint(2000, 20000),
    }
    return json.dumps({"reviews": [review]}).encode()


class Client:
    """One learner's device: a keep-alive connection and what it needs to study."""

    def __init__(self, port: int, token: str, seed: int):
        self.port, self.rng = port, random.Random(seed)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection: http.client.HTTPConnection | None = None
        self.used = 0
        self.seen: list[str] = []

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.connection is None or self.used >= RECONNECT_EVERY:
            if self.connection is not None:
                self.connection.close()
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
            )
            self.used = 0
        self.used += 1
        try:
            self.connection.request(method, path, body=body, headers=self.headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            return 0, b""

    def review_body(self, queue: bytes) -> bytes:
        return review_body(queue, self.rng, self.seen)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def drive(clients: Sequence[Client], kind: str, seconds: float) -> Window:
    """Every client sends `kind` traffic ("bare" or "session") for `seconds`."""
    windows = [Window() for _ in clients]

    def timed(client: Client, window: Window, method: str, path: str, body=None) -> bytes:
        began = time.perf_counter()
        status, content = client.request(method, path, body)
        window.latencies.setdefault(path, []).append(time.perf_counter() - began)
        window.requests += 1
        window.errors += not 200 <= status < 300
        return content

    def loop(client: Client, window: Window) -> None:
        began = time.perf_counter()
        deadline = began + seconds
        while time.perf_counter() < deadline:
            if kind == "bare":
                timed(client, window, "GET", BARE)
            else:
                queue = timed(client, window, "GET", QUEUE)
                timed(client, window, "POST", REVIEWS, client.review_body(queue))
        window.seconds = time.perf_counter() - began

    run_together(loop, list(zip(clients, windows, strict=True)))
    total = Window(seconds=max(w.seconds for w in windows))
    for window in windows:
        total.requests += window.requests
        total.errors += window.errors
        for path, values in window.latencies.items():
            total.latencies.setdefault(path, []).extend(values)
    return total


@dataclass
class Memory:
    rss_mb: dict[int, float]  # worker pid → VmRSS after the load
    start_mb: dict[int, float]  # worker pid → VmRSS once warmed up
    served: dict[int, int]  # worker pid → requests answered
    seconds: float


def read_rss_mb(pids: Sequence[int]) -> dict[int, float]:
    return {pid: vm_rss_kib(Path(f"/proc/{pid}/status").read_text()) / 1024 for pid in pids}


def until_served(
    server: Server, clients: Sequence[Client], per_worker: int, limit: float
) -> tuple[dict, float]:
    """Study sessions until every worker has answered `per_worker` requests (or time's up)."""
    began = time.monotonic()
    while True:
        served = server.served()
        if min(served.values(), default=0) >= per_worker:
            break
        if time.monotonic() - began > limit:
            break
        drive(clients, "session", 3.0)
    return served, time.monotonic() - began


# --- the run ----------------------------------------------------------------------------------


def run(quick: bool) -> list[Result]:
    _, small = scale.databases(quick)
    scale.ensure(small)
    url = run_copy(small)
    server = None
    clients: list[Client] = []
    try:
        device_tokens = tokens(url)
        # Before the load: afterwards the learners have studied everything due.
        profile = breakdown(url, device_tokens[0], PROFILE_SAMPLES[quick])
        server = Server(url, DATA / f"throughput-{small.name}.access.log")
        server.wait_until_ready(device_tokens[0])
        clients = [Client(server.port, token, n) for n, token in enumerate(device_tokens)]
        for kind in ("bare", "session"):  # imports, connections, caches
            drive(clients, kind, WARMUP_SECONDS[quick])
        start_mb = read_rss_mb(server.workers())
        measured = {"bare": Window(), "session": Window()}
        for turn in range(ROUNDS[quick]):
            for kind in ("bare", "session") if turn % 2 == 0 else ("session", "bare"):
                measured[kind].add(drive(clients, kind, SECONDS[quick]))
        served, seconds = until_served(server, clients, PER_WORKER[quick], MEMORY_TIME_LIMIT[quick])
        memory = Memory(read_rss_mb(served), start_mb, served, seconds)
    finally:
        for client in clients:
            client.close()
        if server is not None:
            server.stop()
            server.access_log.unlink(missing_ok=True)
        drop_copy(url)
    return results(measured, memory, small, per_worker=PER_WORKER[quick], profile=profile)


def results(
    measured: dict[str, Window],
    memory: Memory,
    small: scale.Database,
    *,
    per_worker: int,
    profile: dict | None = None,
) -> list[Result]:
    bare, session = measured["bare"], measured["session"]
    names = {BARE: "bare", QUEUE: "queue", REVIEWS: "review"}

    def errors(window: Window) -> str:
        return f"; {window.errors} errors of {window.requests}" if window.errors else ""

    details = (
        f"gunicorn {WORKERS} gthread workers × {THREADS} threads on 127.0.0.1, {CLIENTS} "
        f"learners on keep-alive connections (Python threads), a copy of the {small.name} "
        f"scale database ({small.plan}; {'PostgreSQL' if small.is_postgres else 'SQLite'}). "
        f"Timed: {session.requests:,} session requests in {session.seconds:.1f} s, "
        f"{bare.requests:,} bare requests in {bare.seconds:.1f} s, in alternating windows. "
        f"Bare view latency: {latency_note(bare, names)}."
    )
    if profile and "median_ms" in profile:
        details += "\n\nThe same requests in one Django process through the test client (no HTTP, "
        details += "one database connection), median: " + ", ".join(
            f"{name} {ms:.1f} ms" for name, ms in profile["median_ms"].items()
        )
        details += "."
        if session.per_second < TARGET.bound * bare.per_second:
            for name, text in profile["profile"].items():
                details += f"\n\nWhere `{name}` spends its time (cProfile):\n\n```\n"
                details += text.rstrip() + "\n```"
    elif profile:
        details += f"\n\n(The breakdown failed: {profile.get('error')}.)"
    largest = max(memory.rss_mb, key=memory.rss_mb.get)
    short = [pid for pid, n in memory.served.items() if n < per_worker]
    memory_notes = "; ".join(
        f"worker {n + 1}: {memory.rss_mb[pid]:.0f} MB after {memory.served[pid]:,} requests "
        f"({memory.start_mb.get(pid, 0):.0f} MB warmed up)"
        for n, pid in enumerate(sorted(memory.rss_mb))
    ) + (f"; NOT every worker reached {per_worker:,} requests" if short else "")
    return [
        Result(
            "throughput: study session (queue + 1-review upload)",
            session.per_second,
            "req/s",
            reference=bare.per_second,
            reference_name="bare authenticated view",
            target=TARGET,
            notes=latency_note(session, names) + errors(session) + errors(bare),
            details=details,
        ),
        Result(
            f"throughput: worker memory after {per_worker:,} requests",
            memory.rss_mb[largest],
            "MB",
            reference=MEMORY_BUDGET_MB,
            reference_name="budget",
            target=at_most(1.0),
            notes=memory_notes,
            details=f"Study sessions until every worker had answered {per_worker:,} requests "
            f"took {memory.seconds:.0f} s; VmRSS from /proc/<pid>/status.",
        ),
    ]


def breakdown(url: str, token: str, samples: int) -> dict:
    """Where a session's time goes, measured in a Django process on the run's database."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.throughput", "profile", token, str(samples)],
        env=environment(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _profile(token: str, samples: int) -> dict:
    """(In a Django child process.) Each request's median time through the test client (no
    HTTP, no new connection per request), and profiles of the two session requests."""
    from django.test import Client as TestClient

    from quizapp.bank.models import Question

    # The server's host name: ALLOWED_HOSTS is set for it.
    client = TestClient(headers={"authorization": f"Bearer {token}"}, HTTP_HOST="127.0.0.1")
    rng = random.Random(1)
    seen = list(Question.objects.published().values_list("slug", flat=True)[:20])

    def ok(response):
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
        return response

    def review():
        body = review_body(ok(client.get(QUEUE)).content, rng, seen)
        return ok(client.post(REVIEWS, body, content_type="application/json"))

    calls = {
        "bare": lambda: ok(client.get(BARE)),
        "queue": lambda: ok(client.get(QUEUE)),
        "queue + review": review,
    }
    found: dict = {"median_ms": {}, "profile": {}}
    for name, call in calls.items():
        for _ in range(5):
            call()
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        found["median_ms"][name] = percentile(times, 0.5)
    for name in ("queue", "queue + review"):
        found["profile"][name] = scale.profile_of(calls[name])
    return found


def main(argv: list[str]) -> None:
    import django

    if argv[:1] == ["tokens"] and len(argv) == 2:
        django.setup()
        print(json.dumps(_tokens(int(argv[1]))))
    elif argv[:1] == ["profile"] and len(argv) == 3:
        django.setup()
        print(json.dumps(_profile(argv[1], int(argv[2]))))
    else:
        raise SystemExit(
            "usage: python -m bench.throughput tokens COUNT | profile TOKEN SAMPLES "
            "(run by python -m bench)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
