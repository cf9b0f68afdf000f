"""REST API throughput: the study queue and a one-review upload, against a bare authenticated view.

gunicorn (2 sync workers, as deployed) serves the app on 127.0.0.1 at a port the kernel picks,
from a database prepared for this run: SQLite under ``bench/.data/`` or, with
``BENCH_DATABASE_URL`` set to a PostgreSQL URL, a database named ``<its name>_bench_api`` on
that server. It holds one learner with a device token and a deck of 300 questions, a third of
them studied (so the queue mixes learning cards with new ones).

Figures are requests per second under a closed-loop load of 4 clients, each measured for the
same time, in rounds that take turns so machine drift hits all three alike:

* ``GET /api/v1/study/queue`` (20 cards with content and intervals);
* ``POST /api/v1/reviews`` with one review (a fresh UUID each time, the current time);
* the reference: ``GET /api/bench/bare``, a DRF view that only authenticates the token, runs
  the throttles and renders a tiny JSON body, served by the same server in the same run
  (``bench/api_urls.py``; the bench selects it with ``ROOT_URLCONF``, production URLs never
  contain it).

Targets: queue ≥ 0.7 and review upload ≥ 0.5 of the bare view's requests per second. p50 and
p99 latencies are in the notes. The load comes from wrk when it is installed (a Lua script
makes each review's id), else from Python threads with keep-alive ``http.client``
connections (gunicorn's sync workers close each connection, so both reconnect per request).
Throttles stay on, with rates raised through ``API_THROTTLE_*`` so none refuses.

    python -m bench.api prepare   # (internal) migrate and seed $DATABASE_URL, print JSON
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import Result, at_least

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
LEARNER = "bench-learner"
DECK = "bench-deck"
QUESTIONS = 300
STUDIED = 100
WORKERS = 2
CLIENTS = 4
SECONDS = {True: 3.0, False: 15.0}  # per measurement window
ROUNDS = {True: 1, False: 3}
WARMUP_SECONDS = 1.5
BARE = "/api/bench/bare"
QUEUE = "/api/v1/study/queue"
REVIEWS = "/api/v1/reviews"
TARGETS = {QUEUE: at_least(0.7), REVIEWS: at_least(0.5)}
UNLIMITED = "1000000000/minute"


# --- the database ---------------------------------------------------------------------------


def database_url() -> str:
    server = os.environ.get("BENCH_DATABASE_URL", "")
    if server.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(server)
        name = f"{parts.path.lstrip('/') or 'quizapp'}_bench_api"
        return urlunsplit(parts._replace(path=f"/{name}"))
    return f"sqlite:///{DATA / 'api.sqlite3'}"


def recreate(url: str) -> None:
    """A fresh database each run: uploads from an earlier run would change the queue."""
    DATA.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{urlsplit(url).path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')


def environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "quizapp.settings",
        "ROOT_URLCONF": "bench.api_urls",
        # DEBUG keeps every query in memory; production runs without it.
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_THROTTLE_USER": UNLIMITED,
        "API_THROTTLE_ANONYMOUS": UNLIMITED,
        "API_THROTTLE_LOGIN": UNLIMITED,
    }


@dataclass(frozen=True)
class Prepared:
    token: str
    slugs: list[str]


def prepare_database(url: str) -> Prepared:
    recreate(url)
    done = subprocess.run(
        [sys.executable, "-m", "bench.api", "prepare"],
        env=environment(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"preparing the database failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Prepared(token=data["token"], slugs=data["slugs"])


def prepare() -> dict:
    """(Runs in a child process with DATABASE_URL set.) Migrate and seed; the token and the
    question slugs as JSON."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from knox.models import AuthToken

    from quizapp.accounts.models import User
    from quizapp.bank.models import Deck, DeckQuestion, Question
    from quizapp.study.services import ReviewPayload, reviews_record_batch

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    now = timezone.now()
    learner = User.objects.create_user(LEARNER, date_joined=now - timedelta(days=60))
    deck = Deck.objects.create(slug=DECK, title="Benchmark deck")
    questions = Question.objects.bulk_create(
        Question(
            slug=f"bench-{n:04d}",
            type="true_false",
            prompt=f"Statement {n} of the benchmark deck is true.",
            explanation="The benchmark says so.",
            answer_bool=n % 2 == 0,
            status=Question.Status.PUBLISHED,
        )
        for n in range(QUESTIONS)
    )
    DeckQuestion.objects.bulk_create(
        DeckQuestion(deck=deck, question=q, position=n) for n, q in enumerate(questions)
    )
    rng = random.Random(1)
    history = []
    for n, question in enumerate(questions[:STUDIED]):
        for step in range(3):
            history.append(
                ReviewPayload(
                    uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    question_id=question.pk,
                    rating=rng.choice((1, 3, 3, 4)),
                    reviewed_at=now - timedelta(days=20 - 6 * step, minutes=n),
                    duration_ms=4000,
                )
            )
    reviews_record_batch(user=learner, payloads=history)
    _, token = AuthToken.objects.create(user=learner)
    return {"token": token, "slugs": [q.slug for q in questions]}


# --- the server -----------------------------------------------------------------------------


class Server:
    """gunicorn on 127.0.0.1, on a port the kernel chose: the socket is bound here and handed
    to gunicorn as a file descriptor, so no other process can take the port in between."""

    def __init__(self, url: str):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.listener.getsockname()[1]
        fd = self.listener.fileno()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "quizapp.wsgi:application",
                f"--bind=fd://{fd}",
                f"--workers={WORKERS}",
                "--worker-class=sync",
                "--timeout=120",
                "--log-level=warning",
            ],
            env=environment(url),
            cwd=ROOT,
            pass_fds=(fd,),
        )
        self.listener.close()  # gunicorn has its own copy

    def wait_until_ready(self, token: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{BARE}", headers={"Authorization": f"Bearer {token}"}
        )
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped while starting (see its errors above)")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within a minute")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- the load -------------------------------------------------------------------------------


@dataclass
class Measurement:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds; Python generator only
    p50: float | None = None  # seconds; wrk reports these itself
    p99: float | None = None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def add(self, other: Measurement) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies += other.latencies
        # wrk's percentiles cannot be pooled exactly; keep the worst window's.
        for name in ("p50", "p99"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None:
                setattr(self, name, theirs if mine is None else max(mine, theirs))

    def percentile(self, share: float) -> float | None:
        if self.latencies:
            ordered = sorted(self.latencies)
            return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
        return self.p50 if share == 0.5 else self.p99


def review_body(slugs: list[str], rng: random.Random) -> bytes:
    review = {
        "id": str(uuid.uuid4()),
        "question": rng.choice(slugs),
        "rating": rng.randint(1, 4),
        "reviewed_at": datetime.now(UTC).isoformat(),
        "duration_ms": 3000,
    }
    return json.dumps({"reviews": [review]}).encode()


def run_together(work: Callable[..., None], each: Sequence[tuple]) -> None:
    """`work(*args)` for each `args`, in threads released at the same moment; returns when
    all have finished."""
    start = threading.Barrier(len(each) + 1)

    def released(*args) -> None:
        start.wait()
        work(*args)

    threads = [threading.Thread(target=released, args=args, daemon=True) for args in each]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()


def python_load(port: int, token: str, path: str, seconds: float, slugs: list[str]):
    """CLIENTS threads, each sending one request after another for `seconds`."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    results = [Measurement() for _ in range(CLIENTS)]

    def client(measurement: Measurement, seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        began = time.perf_counter()
        deadline = began + seconds
        while (now := time.perf_counter()) < deadline:
            body = review_body(slugs, rng) if path == REVIEWS else None
            try:
                connection.request("POST" if body else "GET", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            measurement.latencies.append(time.perf_counter() - now)
            measurement.requests += 1
            measurement.errors += not ok
        measurement.seconds = time.perf_counter() - began
        connection.close()

    run_together(client, [(results[n], n) for n in range(CLIENTS)])
    total = Measurement(seconds=max(r.seconds for r in results))
    for result in results:
        total.requests += result.requests
        total.errors += result.errors
        total.latencies += result.latencies
    return total


WRK_SCRIPT = """
local counter = 0
local slugs = {SLUGS}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)  -- a global of that thread's Lua state
end
function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
end
local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    return string.format("%x", c == "x" and math.random(0, 15) or math.random(8, 11))
  end))
end
wrk.headers["Authorization"] = "Bearer {TOKEN}"
wrk.headers["Content-Type"] = "application/json"
if "{METHOD}" == "POST" then
  request = function()
    counter = counter + 1
    local at = os.date("!%Y-%m-%dT%H:%M:%S", os.time())
      .. string.format(".%06dZ", (counter * 8 + thread_id) % 1000000)
    local body = string.format(
      '{"reviews":[{"id":"%s","question":"%s","rating":%d,"reviewed_at":"%s",'
      .. '"duration_ms":3000}]}',
      uuid4(), slugs[math.random(#slugs)], math.random(1, 4), at)
    return wrk.format("POST", nil, nil, body)
  end
end
"""

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk_load(port: int, token: str, path: str, seconds: float, slugs: list[str]):
    script = (
        WRK_SCRIPT.replace("{SLUGS}", "{" + ", ".join(f'"{s}"' for s in slugs) + "}")
        .replace("{TOKEN}", token)
        .replace("{METHOD}", "POST" if path == REVIEWS else "GET")
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        done = subprocess.run(
            [
                "wrk",
                "--threads=2",
                f"--connections={CLIENTS}",
                f"--duration={max(1, round(seconds))}s",
                "--timeout=60s",
                "--latency",
                f"--script={file.name}",
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(file.name)
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> Measurement:
    requests = int(re.search(r"(\d+) requests in ([\d.]+\w+)", output).group(1))
    elapsed = _seconds(re.search(r"\d+ requests in ([\d.]+\w+)", output).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    p50 = _seconds(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))
    p99 = _seconds(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))
    return Measurement(requests=requests, errors=errors, seconds=elapsed, p50=p50, p99=p99)


# --- the run --------------------------------------------------------------------------------


def milliseconds(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.1f} ms"


def run(quick: bool) -> list[Result]:
    url = database_url()
    prepared = prepare_database(url)
    load = wrk_load if shutil.which("wrk") else python_load
    server = Server(url)
    try:
        server.wait_until_ready(prepared.token)
        measured = {path: Measurement() for path in (BARE, QUEUE, REVIEWS)}
        order = list(measured)
        for path in order:  # warm up: imports, connections, caches
            load(server.port, prepared.token, path, WARMUP_SECONDS, prepared.slugs)
        for round_number in range(ROUNDS[quick]):
            turn = order[round_number % 3 :] + order[: round_number % 3]
            for path in turn:
                window = load(server.port, prepared.token, path, SECONDS[quick], prepared.slugs)
                measured[path].add(window)
    finally:
        server.stop()
    return results(measured, generator="wrk" if load is wrk_load else "Python threads", url=url)


def results(measured: dict[str, Measurement], *, generator: str, url: str) -> list[Result]:
    bare = measured[BARE]

    def notes(m: Measurement) -> str:
        text = f"p50 {milliseconds(m.percentile(0.5))}, p99 {milliseconds(m.percentile(0.99))}"
        return text + (f"; {m.errors} errors of {m.requests}" if m.errors else "")

    details = (
        f"gunicorn {WORKERS} sync workers on 127.0.0.1, {CLIENTS} clients ({generator}), "
        f"{'PostgreSQL' if url.startswith('postgres') else 'SQLite'}; one learner, a deck of "
        f"{QUESTIONS} questions ({STUDIED} studied). Requests: "
        + ", ".join(f"{path} {m.requests} in {m.seconds:.1f} s" for path, m in measured.items())
        + "."
    )
    names = {
        QUEUE: "api: GET study/queue",
        REVIEWS: "api: POST reviews (1 review)",
    }
    out = [
        Result(
            names[path],
            measured[path].per_second,
            "req/s",
            reference=bare.per_second,
            reference_name="bare view",
            target=TARGETS[path],
            notes=notes(measured[path]),
            details=details if path == QUEUE else "",
        )
        for path in (QUEUE, REVIEWS)
    ]
    out.append(Result("api: bare authenticated view", bare.per_second, "req/s", notes=notes(bare)))
    return out


def main(argv: list[str]) -> int:
    if argv == ["prepare"]:
        print(json.dumps(prepare()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
