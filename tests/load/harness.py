"""Exactly-once review uploads under concurrency, against real gunicorn servers.

One implementation for the CI test (`tests/load/test_exactly_once.py`, reduced size) and the
benchmark (`python -m bench load`, full size). `run_load()` does a whole run; the test composes
the parts so that two scenarios share one database and one set of servers.

    LoadDatabase     a fresh database: a sibling PostgreSQL database on the server of a given
                     URL (`quizapp_load_<pid>_<n>`, dropped afterwards), or a SQLite file in a
                     temporary directory; migrated and seeded by `manage.py` subprocesses.
    Cluster          gunicorn `quizapp.wsgi` instances (gthread, 2 workers × 4 threads) on
                     127.0.0.1, each in its own process group, on a port the kernel picks;
                     two instances on PostgreSQL, one on SQLite.
    run_scenario     learners created by a subprocess (`python -m tests.load.harness learners`),
                     two devices (clients) each signing in with their own token and uploading
                     their reviews in batches, re-sending some, sending some twice at once, and
                     ending with a full re-send; optionally a worker is killed with SIGKILL
                     mid-run. Then the database is inspected by subprocesses (`inspect`,
                     `manage.py verify_card_states`) and a `LoadReport` says what held.

The worker to kill is one serving an upload at that moment: the client's port leads to the
socket in /proc/net/tcp and the socket to the worker holding it.

Only 127.0.0.1 is contacted. Every wait is bounded. Every server runs in its own session, is
stopped (SIGTERM, then SIGKILL to its process group) on the way out, failures included, and
gets SIGTERM from the kernel if the process that started it dies without cleaning up.

    run_load(FULL).summary()      # a whole run on SQLite; pass a PostgreSQL URL for two servers

    python -m tests.load.harness learners --prefix P --count N --since-days D   (internal)
    python -m tests.load.harness inspect --prefix P                              (internal)
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PASSWORD = "load-test-password-7Q"
RATINGS = (1, 2, 3, 4)
RATING_WEIGHTS = (0.12, 0.13, 0.63, 0.12)  # Again, Hard, Good, Easy: a typical learner
REQUEST_TIMEOUT = 60.0  # seconds for one HTTP request (socket timeout)
MAX_ATTEMPTS = 8  # per request when retrying
BACKOFF_BASE, BACKOFF_CAP = 0.05, 3.0  # seconds: 0.05, 0.1, 0.2, … at most 3 (plus jitter)
IDLE_RECONNECT = 10.0  # reopen a keep-alive connection idle this long (server keeps it 30 s)
SUBPROCESS_TIMEOUT = 300.0
READY_TIMEOUT = 60.0
_counter = itertools.count(1)


# --- sizes and results ---------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSize:
    learners: int
    reviews_per_client: int
    cards_per_learner: int
    devices_per_learner: int = 2
    batch_size: int = 25
    resend_share: float = 0.3  # of each client's batches, re-sent a little later
    double_share: float = 0.2  # of each client's batches, sent twice at the same moment
    final_resend: bool = True  # each client ends by sending every batch again

    @property
    def clients(self) -> int:
        return self.learners * self.devices_per_learner

    @property
    def batches_per_client(self) -> int:
        return -(-self.reviews_per_client // self.batch_size)

    def calm(self) -> LoadSize:
        """The same clients and reviews, each batch sent once: no re-sends, nothing twice."""
        return replace(self, resend_share=0.0, double_share=0.0, final_resend=False)

    def __str__(self) -> str:
        text = (
            f"{self.clients} clients ({self.learners} learners × {self.devices_per_learner} "
            f"devices) × {self.reviews_per_client} reviews in batches of {self.batch_size}"
        )
        if self.resend_share or self.double_share or self.final_resend:
            text += (
                f"; {self.resend_share:.0%} of batches re-sent, {self.double_share:.0%} sent "
                f"twice at once{', then a full re-send' if self.final_resend else ''}"
            )
        return text


FULL = LoadSize(learners=4, reviews_per_client=300, cards_per_learner=12)
REDUCED = LoadSize(learners=2, reviews_per_client=100, cards_per_learner=8)


@dataclass
class LoadReport:
    """What one scenario sent, what the servers answered and what the database holds."""

    database: str
    instances: int
    size: LoadSize
    retries: bool
    cache: str
    kill_worker: bool = False
    # the traffic
    requests: int = 0  # logical requests (a batch sent twice at once counts twice)
    attempts: int = 0  # HTTP requests made, retries included
    server_errors: int = 0  # 5xx answers
    connection_errors: int = 0  # no answer: refused, reset, closed, timed out
    throttled: int = 0  # 429 answers
    client_errors: int = 0  # other 4xx answers: always a bug of the client or the server
    gave_up: int = 0  # requests that never got a 200
    accepted: int = 0  # ids answered "accepted", over every response
    accepted_twice: int = 0  # ids answered "accepted" by more than one response
    duplicates_reported: int = 0  # ids answered "duplicate", over every response
    rejected: int = 0  # ids answered "rejected"
    final_resend_accepted: int = 0  # ids the closing full re-send still had to store
    elapsed: float = 0.0  # seconds, from the first upload to the last answer
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step of the run
    load_average: float = 0.0  # of the machine (1 minute) when the uploads ended
    # the kill
    killed_pid: int | None = None
    killed_serving: bool = False  # the killed worker was serving an upload at that moment
    worker_restarted: bool | None = None
    # the database
    unique_sent: int = 0
    stored: int = 0
    missing: int = 0  # sent, never rejected, not stored
    unexpected: int = 0  # stored for these learners, never sent
    acknowledged_missing: int = 0  # answered accepted/duplicate, not stored
    duplicate_rows: int = 0
    unique_constraint: bool = False
    cards_checked: int = 0
    cards_drifted: int | None = None
    review_classes_drifted: int = 0  # a review's stored `state_before` ≠ the replay's
    review_days_drifted: int = 0  # a ReviewDay row ≠ a recount of the log
    failures: list[str] = field(default_factory=list)  # samples of failed attempts
    server_log: str = ""  # the servers' logs (tracebacks), kept when something failed
    clients_unfinished: int = 0
    clients_crashed: int = 0  # a client stopped on an unexpected error (a bad answer body)

    @property
    def retried(self) -> int:
        return self.attempts - self.requests

    @property
    def reviews_per_second(self) -> float:
        return self.unique_sent / self.elapsed if self.elapsed else 0.0

    def problems(self) -> list[str]:
        """Every promise this run broke, in words; empty when all held."""
        found = []

        def check(ok: bool, text: str) -> None:
            if not ok:
                found.append(text)

        check(self.clients_unfinished == 0, f"{self.clients_unfinished} clients did not finish")
        check(self.clients_crashed == 0, f"{self.clients_crashed} clients crashed")
        check(self.server_errors == 0, f"{self.server_errors} HTTP 5xx answers")
        check(self.client_errors == 0, f"{self.client_errors} unexpected 4xx answers")
        check(self.gave_up == 0, f"{self.gave_up} requests never succeeded")
        if not self.retries:
            # Nothing may fail when nothing is killed: every first attempt must succeed.
            check(self.connection_errors == 0, f"{self.connection_errors} connection errors")
            check(self.throttled == 0, f"{self.throttled} answers 429")
            check(
                self.final_resend_accepted == 0,
                f"the final re-send stored {self.final_resend_accepted} reviews anew",
            )
            check(
                self.accepted == self.unique_sent,
                f"{self.accepted} reviews acknowledged as accepted, {self.unique_sent} sent",
            )
        check(self.rejected == 0, f"{self.rejected} reviews rejected")
        check(self.accepted_twice == 0, f"{self.accepted_twice} reviews accepted twice")
        check(
            self.stored == self.unique_sent,
            f"{self.stored} reviews stored for {self.unique_sent} unique reviews sent",
        )
        check(self.missing == 0, f"{self.missing} sent reviews are not stored")
        check(self.unexpected == 0, f"{self.unexpected} stored reviews were never sent")
        check(
            self.acknowledged_missing == 0,
            f"{self.acknowledged_missing} acknowledged reviews are not stored",
        )
        check(self.duplicate_rows == 0, f"{self.duplicate_rows} reviews stored twice")
        check(self.unique_constraint, "no unique constraint on (user, uuid) in the database")
        check(self.cards_checked > 0, "verify_card_states checked no cards")
        check(self.cards_drifted == 0, f"{self.cards_drifted} card states drifted from replay")
        check(
            self.review_classes_drifted == 0,
            f"{self.review_classes_drifted} reviews' state_before drifted from replay",
        )
        check(self.review_days_drifted == 0, f"{self.review_days_drifted} ReviewDay rows drifted")
        if self.kill_worker:
            check(self.killed_pid is not None, "no worker was killed")
            check(bool(self.worker_restarted), "gunicorn did not replace the killed worker")
        return found

    def title(self) -> str:
        mode = "retries on" if self.retries else "retries off"
        kill = ", one worker killed (SIGKILL) mid-run" if self.kill_worker else ""
        plural = "s" if self.instances > 1 else ""
        return f"{self.database}, {self.instances} instance{plural} (2×4 gthread), {mode}{kill}"

    def summary(self) -> str:
        lines = [
            f"load: {self.title()}; cache {self.cache}",
            f"  {self.size}",
            f"  requests {self.requests}, attempts {self.attempts} ({self.retried} retries); "
            f"5xx {self.server_errors}, connection errors {self.connection_errors}, "
            f"429 {self.throttled}, other 4xx {self.client_errors}, gave up {self.gave_up}",
            f"  reviews: {self.unique_sent} unique sent, {self.stored} stored, "
            f"{self.accepted} accepted, {self.duplicates_reported} duplicates reported, "
            f"{self.rejected} rejected, {self.accepted_twice} accepted twice, "
            f"{self.acknowledged_missing} acknowledged but missing, "
            f"{self.duplicate_rows} stored twice",
            f"  replay: {self.cards_checked} cards checked, {self.cards_drifted} drifted; "
            f"{self.review_classes_drifted} review classes and "
            f"{self.review_days_drifted} day totals drifted",
            f"  elapsed {self.elapsed:.1f} s, {self.reviews_per_second:.0f} unique reviews/s "
            f"(load average {self.load_average:.1f} on {os.cpu_count()} cores); "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items()),
        ]
        if self.kill_worker:
            lines.append(
                f"  killed worker {self.killed_pid} "
                f"({'while serving an upload' if self.killed_serving else 'idle'}); "
                f"replaced: {self.worker_restarted}; "
                f"final re-send stored {self.final_resend_accepted} anew"
            )
        problems = self.problems()
        lines.append("  OK: every promise held" if not problems else "  PROBLEMS:")
        lines += [f"    - {p}" for p in problems]
        if self.failures:
            lines.append("  first failed attempts:")
            lines += [f"    {f}" for f in self.failures[:10]]
        return "\n".join(lines)


# --- databases -----------------------------------------------------------------------------


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.startswith(("postgres://", "postgresql://"))


def redis_reachable(url: str = "redis://127.0.0.1:6379/0", timeout: float = 2.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or HOST, parts.port or 6379), timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of the calling test run leaks into the servers' configuration.
        if not key.startswith(("DJANGO_", "PYTEST_", "API_THROTTLE_")) and key != "REDIS_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="quizapp.settings",
        QUIZAPP_ENV="development",
        DEBUG="0",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def run_python(database_url: str, *args: str, timeout: float = SUBPROCESS_TIMEOUT) -> str:
    """Run `python <args>` in the project with DATABASE_URL set; its stdout, or raise."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=django_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}"
        )
    return done.stdout


class LoadDatabase:
    """A database made for one run and removed after it.

    `server_url` names any database on a PostgreSQL server (the run's own DATABASE_URL): a
    sibling database is created there. Anything else means SQLite in a temporary directory.
    """

    def __init__(self, server_url: str | None = None):
        self.server_url = server_url if is_postgres(server_url) else None
        self.directory: Path | None = None
        self.name = ""
        self.url = ""
        self.create_seconds = 0.0

    @property
    def is_postgres(self) -> bool:
        return self.server_url is not None

    @property
    def flavour(self) -> str:
        return "PostgreSQL" if self.is_postgres else "SQLite"

    def _maintenance(self):
        import psycopg

        parts = urlsplit(self.server_url)
        return psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=10
        )

    def create(self) -> None:
        started = time.monotonic()
        self.directory = Path(tempfile.mkdtemp(prefix="quizapp-load-"))
        if self.is_postgres:
            self.name = f"quizapp_load_{os.getpid()}_{next(_counter)}"
            with self._maintenance() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                server.execute(f'CREATE DATABASE "{self.name}"')
            parts = urlsplit(self.server_url)
            self.url = urlunsplit(parts._replace(path=f"/{self.name}", query=""))
        else:
            self.name = str(self.directory / "load.sqlite3")
            self.url = f"sqlite:///{self.name}"
        run_python(self.url, "manage.py", "migrate", "--no-input", "--verbosity=0")
        run_python(self.url, "manage.py", "seed_content", "--verbosity=0")
        self.create_seconds = time.monotonic() - started

    def drop(self) -> None:
        try:
            if self.is_postgres and self.name:
                # FORCE: connections a killed server left behind must not keep it alive.
                with self._maintenance() as server:
                    server.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> LoadDatabase:
        try:
            self.create()
        except BaseException:
            self.drop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.drop()


# --- servers -------------------------------------------------------------------------------


# 2 workers × 4 threads; idle keep-alive connections stay open longer than a client pauses.
GUNICORN = [
    "--worker-class", "gthread", "--workers", "2", "--threads", "4",
    "--keep-alive", "30", "--timeout", "60", "--graceful-timeout", "5",
    "--log-level", "info",
]  # fmt: skip
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (gunicorn's workers are children of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM it when the process that started it dies, so a
    test run killed without its clean-up (SIGKILL, a CI timeout) leaves no server behind."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Server:
    """One gunicorn instance: `quizapp.wsgi`, gthread, 2 workers × 4 threads, own session."""

    def __init__(self, database_url: str, log: Path, env: dict[str, str]):
        self.log = log
        self.port = 0
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "quizapp.wsgi", "--bind", f"{HOST}:0", *GUNICORN],
            cwd=ROOT,
            env=django_env(database_url, **env),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches every worker
            preexec_fn=_stop_with_parent,
        )

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_listening(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"gunicorn exited ({code}):\n{self.log_tail()}")
            found = LISTENING.search(self.log_tail(100_000))
            if found:
                self.port = int(found.group(1))
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start listening:\n{self.log_tail()}")

    def wait_healthy(self, deadline: float) -> None:
        """Until /healthz answers 200 and both workers are up."""
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", "/healthz")
                ok = connection.getresponse().status == 200
                connection.close()
            except OSError:
                ok = False
            if ok and len(self.worker_pids()) == 2:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn on port {self.port} is not healthy:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        # Whatever is left of the group (a worker that outlived its master) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        self._log_file.close()


class Cluster:
    """The app servers of a run: two instances on PostgreSQL, one on SQLite."""

    def __init__(self, database: LoadDatabase, *, cache: str = "auto", instances: int = 0):
        self.database = database
        self.instances = instances or (2 if database.is_postgres else 1)
        if cache == "auto":
            # Throttle counters shared by all workers and both instances: Redis for the
            # PostgreSQL deployment when there is one; the database cache table on SQLite.
            cache = "redis" if database.is_postgres and redis_reachable() else "database"
        self.cache = cache
        self.servers: list[Server] = []
        self.start_seconds = 0.0

    def env(self) -> dict[str, str]:
        return {
            "ALLOWED_HOSTS": HOST,
            # Both instances sign with one key (sync cursors), as a real deployment would.
            "SECRET_KEY": self.secret_key,
            "API_THROTTLE_ANONYMOUS": "100000/minute",
            "API_THROTTLE_USER": "100000/minute",
            "API_THROTTLE_LOGIN": "100000/minute",
            "REDIS_URL": "redis://127.0.0.1:6379/0" if self.cache == "redis" else "",
        }

    def start(self) -> None:
        started = time.monotonic()
        self.secret_key = secrets.token_urlsafe(50)
        assert self.database.directory is not None
        for number in range(self.instances):
            log = self.database.directory / f"gunicorn-{number}.log"
            self.servers.append(Server(self.database.url, log, self.env()))
        deadline = time.monotonic() + READY_TIMEOUT
        for server in self.servers:
            server.wait_listening(deadline)
        for server in self.servers:
            server.wait_healthy(deadline)
        self.start_seconds = time.monotonic() - started

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- gunicorn instance {n} (port {s.port}) ---\n{s.log_tail()}"
            for n, s in enumerate(self.servers)
        )

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- clients -------------------------------------------------------------------------------


class TransportError(Exception):
    """No HTTP answer: refused, reset, closed before the answer, or timed out."""


class Connection:
    """One keep-alive HTTP connection to one instance (http.client, loopback only)."""

    def __init__(self, port: int):
        self.port = port
        self._http: http.client.HTTPConnection | None = None
        self._used = 0.0
        self.local_port = 0  # the client side's port, to find the worker serving it

    def request(
        self, method: str, path: str, body: dict | None, token: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        if self._http is not None and time.monotonic() - self._used > IDLE_RECONNECT:
            self.close()
        if self._http is None:
            self._http = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            if self._http.sock is None:
                self._http.connect()
                self.local_port = self._http.sock.getsockname()[1]
            payload = None if body is None else json.dumps(body).encode()
            self._http.request(method, path, body=payload, headers=headers)
            response = self._http.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise TransportError(f"{type(error).__name__}: {error}") from error
        self._used = time.monotonic()
        if response.will_close:
            self.close()
        return response.status, dict(response.getheaders()), data

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


class Traffic:
    """Counters shared by all clients of a scenario (thread-safe)."""

    def __init__(self, retries: bool, deadline: float):
        self.retries = retries
        self.deadline = deadline
        self.lock = threading.Lock()
        self.requests = self.attempts = self.in_flight = self.completed = 0
        self.busy: set[Connection] = set()  # connections with a request in flight
        self.server_errors = self.connection_errors = self.throttled = 0
        self.client_errors = self.gave_up = self.duplicates = self.crashes = 0
        self.accepted: dict[str, int] = {}
        self.acknowledged: set[str] = set()
        self.rejected: list[dict] = []
        self.final_accepted = 0
        self.failures: list[str] = []
        self.first_send: float | None = None
        self.last_answer = 0.0

    def begin_uploads(self) -> None:
        """Every device is signed in: the timed part starts."""
        self.first_send = time.monotonic()

    def fail(self, kind: str, text: str) -> None:
        with self.lock:
            setattr(self, kind, getattr(self, kind) + 1)
            if len(self.failures) < 50:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {text[:300]}")

    def post(self, connection: Connection, path: str, body: dict, token: str = "") -> dict | None:
        """POST with the scenario's retry policy; the JSON answer, or None when it failed.

        Retried (when retries are on): no answer, 5xx, 429 (honouring Retry-After), with
        exponential backoff and jitter. Other answers are final.
        """
        with self.lock:
            self.requests += 1
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with self.lock:
                self.attempts += 1
                self.in_flight += 1
                self.busy.add(connection)
            wait = None
            try:
                status, headers, data = connection.request("POST", path, body, token)
            except TransportError as error:
                self.fail("connection_errors", f"{path} attempt {attempt}: {error}")
            else:
                if status == 200:
                    return json.loads(data)
                text = f"{path} attempt {attempt}: HTTP {status} {data[:200]!r}"
                if status >= 500:
                    self.fail("server_errors", text)
                elif status == 429:
                    self.fail("throttled", text)
                    with contextlib.suppress(ValueError):
                        wait = float(headers.get("Retry-After", ""))
                else:
                    self.fail("client_errors", text)
                    return None
            finally:
                with self.lock:
                    self.in_flight -= 1
                    self.busy.discard(connection)
                    self.completed += 1
                    self.last_answer = time.monotonic()
            if not self.retries or attempt == MAX_ATTEMPTS or time.monotonic() > self.deadline:
                break
            backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
            time.sleep(min(wait if wait is not None else backoff * random.uniform(0.5, 1.5), 30))
        with self.lock:
            self.gave_up += 1
        return None

    def record(self, answer: dict, *, final: bool) -> None:
        with self.lock:
            for review_id in answer.get("accepted", []):
                self.accepted[review_id] = self.accepted.get(review_id, 0) + 1
                self.acknowledged.add(review_id)
            self.duplicates += len(answer.get("duplicate", []))
            self.acknowledged.update(answer.get("duplicate", []))
            self.rejected += answer.get("rejected", [])
            if final:
                self.final_accepted += len(answer.get("accepted", []))


@dataclass(frozen=True)
class Device:
    """One client: a learner's phone or tablet with its own token and upload plan."""

    number: int
    username: str
    reviews: list[dict]
    plan: list[tuple[int, str]]  # (batch index, "send" | "double" | "resend" | "final")
    ports: list[int]
    seed: int
    batch_size: int

    def batch(self, index: int) -> list[dict]:
        return self.reviews[index * self.batch_size : (index + 1) * self.batch_size]


def make_reviews(
    rng: random.Random, *, slugs: list[str], count: int, since: datetime, until: datetime
) -> list[dict]:
    """A device's reviews: random past moments in increasing order over the learner's cards,
    realistic ratings and durations, ids generated on the device."""
    span = (until - since).total_seconds()
    moments = sorted(since + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    return [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "question": rng.choice(slugs),
            "rating": rng.choices(RATINGS, RATING_WEIGHTS)[0],
            "reviewed_at": moment.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "duration_ms": rng.randint(1500, 25000),
        }
        for moment in moments
    ]


def make_plan(rng: random.Random, size: LoadSize) -> list[tuple[int, str]]:
    """Send every batch in order; a share of them twice at once (`double`), a share again
    one or two batches later (`resend`); then the full re-send (`final`)."""
    batches = size.batches_per_client
    doubles = set(rng.sample(range(batches), round(size.double_share * batches)))
    resends = set(rng.sample(range(batches), round(size.resend_share * batches)))
    due: dict[int, list[int]] = {}
    for index in resends:
        due.setdefault(min(batches - 1, index + rng.randint(0, 2)), []).append(index)
    plan = []
    for index in range(batches):
        plan.append((index, "double" if index in doubles else "send"))
        plan += [(earlier, "resend") for earlier in sorted(due.get(index, []))]
    if size.final_resend:
        plan += [(index, "final") for index in range(batches)]
    return plan


def send_twice(
    traffic: Traffic, connections: tuple[Connection, Connection], body: dict, token: str
) -> list[dict | None]:
    """The same upload over two connections at the same moment (a barrier releases both)."""
    answers: list[dict | None] = [None, None]
    together = threading.Barrier(2)

    def send(slot: int) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=30)
        answers[slot] = traffic.post(connections[slot], "/api/v1/reviews", body, token)

    other = threading.Thread(target=send, args=(1,), daemon=True)
    other.start()
    send(0)
    other.join(timeout=REQUEST_TIMEOUT * MAX_ATTEMPTS + 60)
    return answers


def run_device(device: Device, traffic: Traffic, start: threading.Barrier) -> None:
    rng = random.Random(device.seed)
    connections = [Connection(port) for port in device.ports]
    # A batch sent twice at once goes to each instance, or twice to the only one.
    twin = Connection(device.ports[1] if len(device.ports) > 1 else device.ports[0])
    try:
        login = traffic.post(
            connections[0],
            "/api/v1/auth/login",
            {"username": device.username, "password": PASSWORD},
        )
        if login is None:
            start.abort()
            return
        token = login["token"]
        start.wait(timeout=120)
        for index, kind in device.plan:
            if time.monotonic() > traffic.deadline:
                traffic.fail("gave_up", f"{device.username}: deadline passed")
                return
            body = {"reviews": device.batch(index)}
            if kind == "double":
                for answer in send_twice(traffic, (connections[0], twin), body, token):
                    if answer is not None:
                        traffic.record(answer, final=False)
            else:
                connection = connections[rng.randrange(len(connections))]
                answer = traffic.post(connection, "/api/v1/reviews", body, token)
                if answer is not None:
                    traffic.record(answer, final=kind == "final")
    except threading.BrokenBarrierError:
        traffic.fail("gave_up", f"{device.username}: another device could not sign in")
    except Exception as error:
        traffic.fail("crashes", f"{device.username}: {type(error).__name__}: {error}")
    finally:
        for connection in [*connections, twin]:
            connection.close()


def _worker_serving(server: Server, client_ports: set[int]) -> int | None:
    """The worker holding an accepted connection from one of `client_ports`, if any.

    /proc/net/tcp maps the connection (server port, client port) to a socket inode; the
    worker is the child of the master with that socket among its file descriptors.
    """
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        columns = line.split()
        local, remote, inode = columns[1], columns[2], columns[9]
        if int(local.rsplit(":", 1)[1], 16) == server.port and (
            int(remote.rsplit(":", 1)[1], 16) in client_ports
        ):
            inodes.add(f"socket:[{inode}]")
    for pid in server.worker_pids() if inodes else []:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return pid
    return None


def _kill_a_worker(
    cluster: Cluster, traffic: Traffic, after: int, report: LoadReport, stop: threading.Event
) -> None:
    """Once `after` requests were answered, SIGKILL the worker of the first instance that is
    serving an upload at that moment (any worker, if none is found within 10 s); then wait
    for gunicorn to replace it."""
    server = cluster.servers[0]
    victim = None
    give_up_looking = None
    while not stop.is_set():
        with traffic.lock:
            ready = traffic.completed >= after
            ports = {c.local_port for c in traffic.busy if c.port == server.port}
        if ready:
            give_up_looking = give_up_looking or time.monotonic() + 10
            victim = _worker_serving(server, ports) if ports else None
            if victim is not None:
                report.killed_serving = True
                break
            if time.monotonic() > give_up_looking:
                workers = server.worker_pids()
                victim = random.choice(workers) if workers else None
                break
        stop.wait(0.002)
    if victim is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(victim, signal.SIGKILL)
    report.killed_pid = victim
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = server.worker_pids()
        if victim not in now and len(now) == 2:
            report.worker_restarted = True
            return
        time.sleep(0.1)
    report.worker_restarted = False


def run_scenario(
    cluster: Cluster,
    size: LoadSize,
    *,
    retries: bool,
    kill_worker: bool = False,
    tag: str = "",
    seed: int = 1,
    timeout: float = 900.0,
) -> LoadReport:
    """Create fresh learners, let their devices upload, inspect the database."""
    database = cluster.database
    tag = tag or f"s{next(_counter)}"
    prefix = f"load-{tag}-"
    report = LoadReport(
        database=database.flavour,
        instances=cluster.instances,
        size=size,
        retries=retries,
        cache=cluster.cache,
        kill_worker=kill_worker,
    )
    began = time.monotonic()
    # Learners joined a year ago; their reviews are spread over that year, up to an hour ago.
    created = json.loads(
        run_python(
            database.url,
            "-m",
            "tests.load.harness",
            "learners",
            f"--prefix={prefix}",
            f"--count={size.learners}",
            "--since-days=400",
        )
    )
    slugs = created["slugs"]
    report.phases["learners"] = time.monotonic() - began
    until = datetime.now(UTC) - timedelta(hours=1)
    since = until - timedelta(days=365)
    rng = random.Random(seed)
    ports = [server.port for server in cluster.servers]
    devices = []
    for learner in range(size.learners):
        cards = rng.sample(slugs, min(size.cards_per_learner, len(slugs)))
        for device in range(size.devices_per_learner):
            number = learner * size.devices_per_learner + device
            device_rng = random.Random(seed * 1_000_003 + number)
            devices.append(
                Device(
                    number=number,
                    username=created["usernames"][learner],
                    reviews=make_reviews(
                        device_rng,
                        slugs=cards,
                        count=size.reviews_per_client,
                        since=since,
                        until=until,
                    ),
                    plan=make_plan(device_rng, size),
                    ports=ports,
                    seed=device_rng.getrandbits(32),
                    batch_size=size.batch_size,
                )
            )
    traffic = Traffic(retries, deadline=time.monotonic() + timeout)
    start = threading.Barrier(len(devices), action=traffic.begin_uploads)
    threads = [
        threading.Thread(target=run_device, args=(d, traffic, start), daemon=True) for d in devices
    ]
    stop_killer = threading.Event()
    killer = None
    if kill_worker:
        planned = sum(2 if kind == "double" else 1 for d in devices for _, kind in d.plan)
        killer = threading.Thread(
            target=_kill_a_worker,
            args=(cluster, traffic, len(devices) + planned // 3, report, stop_killer),
            daemon=True,
        )
        killer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, traffic.deadline - time.monotonic() + 30))
    report.clients_unfinished = sum(thread.is_alive() for thread in threads)
    report.load_average = os.getloadavg()[0]
    stop_killer.set()
    if killer is not None:
        killer.join(timeout=70)
    if traffic.first_send is not None:
        report.phases["sign-in"] = traffic.first_send - began - report.phases["learners"]
        report.elapsed = traffic.last_answer - traffic.first_send
    _fill_traffic(report, traffic)
    checked = time.monotonic()
    _fill_database(report, database.url, prefix, devices, traffic)
    report.phases["checks"] = time.monotonic() - checked
    if report.problems():
        report.server_log = cluster.logs()
    return report


def _fill_traffic(report: LoadReport, traffic: Traffic) -> None:
    with traffic.lock:
        report.requests, report.attempts = traffic.requests, traffic.attempts
        report.server_errors = traffic.server_errors
        report.connection_errors = traffic.connection_errors
        report.throttled, report.client_errors = traffic.throttled, traffic.client_errors
        report.gave_up, report.clients_crashed = traffic.gave_up, traffic.crashes
        report.accepted = sum(traffic.accepted.values())
        report.accepted_twice = sum(1 for n in traffic.accepted.values() if n > 1)
        report.duplicates_reported = traffic.duplicates
        report.rejected = len(traffic.rejected)
        report.final_resend_accepted = traffic.final_accepted
        report.failures = list(traffic.failures)
        report.failures += [f"rejected: {r}" for r in traffic.rejected[:5]]


def _fill_database(
    report: LoadReport, url: str, prefix: str, devices: list[Device], traffic: Traffic
) -> None:
    found = json.loads(run_python(url, "-m", "tests.load.harness", "inspect", f"--prefix={prefix}"))
    sent: dict[str, set[str]] = {}
    for device in devices:
        sent.setdefault(device.username, set()).update(r["id"] for r in device.reviews)
    rejected = {r["id"] for r in traffic.rejected}
    stored_all: set[str] = set()
    for username, ids in sent.items():
        stored = set(found["stored"].get(username, []))
        stored_all |= stored
        report.unique_sent += len(ids)
        report.stored += found["counts"].get(username, 0)
        report.missing += len(ids - stored - rejected)
        report.unexpected += len(stored - ids)
    report.acknowledged_missing = len(traffic.acknowledged - stored_all)
    report.duplicate_rows = found["duplicate_rows"]
    report.unique_constraint = found["unique_constraint"]
    report.review_classes_drifted = found["review_classes_drifted"]
    report.review_days_drifted = found["review_days_drifted"]
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_card_states", "--verbosity=0"],
        cwd=ROOT,
        env=django_env(url),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        start_new_session=True,
    )
    counted = re.search(r"(\d+) cards checked, (\d+) drifted", done.stdout)
    if counted:
        report.cards_checked, report.cards_drifted = map(int, counted.groups())
    else:
        report.failures.append(f"verify_card_states: {done.stdout[-500:]} {done.stderr[-1500:]}")


@contextlib.contextmanager
def load_cluster(database_url: str | None, *, cache: str = "auto") -> Iterator[Cluster]:
    """A fresh database of the flavour of `database_url` with its servers, removed after."""
    with LoadDatabase(database_url) as database, Cluster(database, cache=cache) as cluster:
        yield cluster


def run_load(
    size: LoadSize,
    database_url: str | None = None,
    *,
    retries: bool = True,
    kill_worker: bool = False,
    cache: str = "auto",
    seed: int = 1,
) -> LoadReport:
    """One whole run: database, servers, learners, uploads, checks, clean-up."""
    with load_cluster(database_url, cache=cache) as cluster:
        report = run_scenario(cluster, size, retries=retries, kill_worker=kill_worker, seed=seed)
        report.phases = {
            "database": cluster.database.create_seconds,
            "servers": cluster.start_seconds,
            **report.phases,
        }
        return report


# --- the children: Django with DATABASE_URL set --------------------------------------------


def _learners(prefix: str, count: int, since_days: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from quizapp.study.services import learner_settings_get
    from quizapp.study.sync import studyable_questions

    user_model = get_user_model()
    usernames = []
    for number in range(1, count + 1):
        user = user_model(
            username=f"{prefix}{number}",
            date_joined=timezone.now() - timedelta(days=since_days),
        )
        user.set_password(PASSWORD)
        user.save()
        learner_settings_get(user=user)
        usernames.append(user.username)
    slugs = list(studyable_questions(user=None).order_by("slug").values_list("slug", flat=True))
    return {"usernames": usernames, "slugs": slugs}


def _inspect(prefix: str) -> dict:
    """What the database holds for the learners named `prefix…`, and whether their cached
    classes and day totals still equal what the log says."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from quizapp.study import review_days
    from quizapp.study.models import CardState, Review, ReviewDay
    from quizapp.study.scheduling import ReviewInput
    from quizapp.study.services import learner_settings_get, scheduler_config

    users = list(get_user_model().objects.filter(username__startswith=prefix))
    stored: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    classes_drifted = days_drifted = 0
    for user in users:
        reviews = Review.objects.filter(user=user)
        stored[user.username] = [str(u) for u in reviews.values_list("uuid", flat=True)]
        counts[user.username] = reviews.count()
        settings = learner_settings_get(user=user)
        config = scheduler_config(settings)
        for card in CardState.objects.filter(user=user):
            log = list(
                Review.objects.for_card(user.pk, card.question_id)
                .in_replay_order()
                .only("rating", "reviewed_at", "state_before")
            )
            _, states = review_days.card_states_before(
                [ReviewInput(r.rating, r.reviewed_at) for r in log],
                reset_at=card.reset_at,
                config=config,
                card_id=card.question_id,
            )
            classes_drifted += sum(r.state_before != s for r, s in zip(log, states, strict=True))
        recount = review_days.review_days_recount(settings=settings)
        rows = {row.day: row for row in ReviewDay.objects.filter(user=user)}
        for day in set(recount) | set(rows):
            expected = recount.get(day, review_days.EMPTY).as_dict()
            row = rows.get(day)
            actual = {name: getattr(row, name) for name in expected} if row else None
            if actual != expected:
                days_drifted += 1
    duplicate_rows = (
        Review.objects.filter(user__in=users)
        .values("user_id", "uuid")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Review._meta.db_table)
    unique_constraint = any(
        c["unique"] and sorted(c["columns"]) == ["user_id", "uuid"] for c in constraints.values()
    )
    return {
        "stored": stored,
        "counts": counts,
        "duplicate_rows": duplicate_rows,
        "unique_constraint": unique_constraint,
        "review_classes_drifted": classes_drifted,
        "review_days_drifted": days_drifted,
    }


def main(argv: list[str]) -> None:
    import argparse

    import django

    parser = argparse.ArgumentParser(prog="python -m tests.load.harness")
    commands = parser.add_subparsers(dest="command", required=True)
    learners = commands.add_parser("learners")
    learners.add_argument("--prefix", required=True)
    learners.add_argument("--count", type=int, required=True)
    learners.add_argument("--since-days", type=int, default=400)
    inspect = commands.add_parser("inspect")
    inspect.add_argument("--prefix", required=True)
    args = parser.parse_args(argv)
    django.setup()
    if args.command == "learners":
        print(json.dumps(_learners(args.prefix, args.count, args.since_days)))
    else:
        print(json.dumps(_inspect(args.prefix)))


if __name__ == "__main__":
    main(sys.argv[1:])
