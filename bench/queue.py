"""Study queue: one learner's queue and deck counts among 1,000 learners, against alone.

The study screen (``study_queue(limit=20)`` plus ``deck_counts``) must cost a learner the same
whatever the number of other learners: every query is bounded by the learner's own rows
through an index led by the user. The figure is the median time of that pair for
``load-learner-1`` in a database of 1,000 learners × 1,000 cards with 2,000,000 reviews; the
reference is the same learner, with the same history, in a database where they are alone
(``generate_load`` makes a learner's history depend only on the seed and their number).
Target: ratio ≤ 1.5. The query plans are checked for the ``cardstate_user_due`` index.

The databases are built once by ``manage.py generate_load`` (fixed dates, so reruns compare
like with like) into SQLite files under ``bench/.data/`` (git-ignored) and reused while
complete; ``--rebuild`` (``BENCH_REBUILD=1``) rebuilds them. With ``BENCH_DATABASE_URL`` set to
a PostgreSQL URL, databases named ``<its name>_bench_<size>`` on that server are used instead.
`bench.scale` builds and keeps its databases with the same pieces (`Database`, `ensure`).
Each database is served by its own Django process (``DATABASE_URL`` set); the two are asked
for one screen at a time in turn, so machine drift hits both alike.

    python -m bench.queue status   # (internal) what $DATABASE_URL holds, as JSON
    python -m bench.queue serve    # (internal) answer "screen" / "report" lines with JSON
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from bench import Result, at_most, median

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
LEARNER = "load-learner-1"
INDEX = "cardstate_user_due"
# Histories end the study day before UNTIL; the learner opens the app the next morning.
UNTIL = datetime(2026, 1, 1, tzinfo=UTC)
NOW = UNTIL + timedelta(hours=9)
SEED = 1
WARMUP = 10
SCREENS = {True: 100, False: 300}  # timed screens per database, by quick
TARGET = at_most(1.5)
# An index named in a plan line: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN.
INDEX_IN_PLAN = re.compile(r"(?:USING (?:COVERING )?INDEX|Scan using|Index Scan on) (\w+)")


@dataclass(frozen=True)
class Size:
    learners: int
    cards: int
    reviews: int

    def alone(self) -> Size:
        """One learner with the same cards and as many reviews as each learner here."""
        return Size(1, self.cards, self.reviews // self.learners)

    def generate_args(self) -> list[str]:
        return [
            f"--learners={self.learners}",
            f"--cards={self.cards}",
            f"--reviews={self.reviews}",
            f"--seed={SEED}",
            f"--until={UNTIL.isoformat()}",
        ]

    def expected_status(self) -> dict:
        """What `status` reports for a complete database of this size."""
        return {"learners": self.learners, "questions": self.cards, "reviews": self.reviews}

    def __str__(self) -> str:
        learners = "1 learner" if self.learners == 1 else f"{self.learners:,} learners"
        return f"{learners} × {self.cards:,} cards, {self.reviews:,} reviews"


FULL = Size(1000, 1000, 2_000_000)
QUICK = Size(100, 200, 40_000)


class Plan(Protocol):
    """What a benchmark database holds: `Size` here, `bench.scale.Shape` there."""

    def generate_args(self) -> list[str]: ...

    def expected_status(self) -> dict: ...


@dataclass(frozen=True)
class Database:
    """A benchmark database: built by generate_load from `plan`, served by `module`'s child
    processes (``python -m <module> status|serve``)."""

    name: str
    plan: Plan
    url: str
    module: str = "bench.queue"

    @property
    def kind(self) -> str:
        return self.module.rsplit(".", 1)[-1]

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgres://", "postgresql://"))

    @property
    def marker(self) -> Path:
        """Written after a complete build: what was built and how long it took."""
        return (
            DATA / f"{self.kind}-{self.name}.{'postgresql' if self.is_postgres else 'sqlite'}.json"
        )

    @property
    def sqlite_path(self) -> Path:
        return Path(urlsplit(self.url).path)


def database_url(kind: str, name: str, *, server_kind: str = "") -> str:
    """A SQLite file under bench/.data/, or a database beside ``BENCH_DATABASE_URL``'s (named
    with `server_kind`, when given, instead of `kind`)."""
    server = os.environ.get("BENCH_DATABASE_URL", "")
    if server.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(server)
        base = parts.path.lstrip("/") or "quizapp"
        server_name = f"{base}_{server_kind or kind}_{name.replace('-', '_')}"
        return urlunsplit(parts._replace(path=f"/{server_name}"))
    return f"sqlite:///{DATA / f'{kind}-{name}.sqlite3'}"


def databases(quick: bool) -> tuple[Database, Database]:
    """(the database of many learners, the database of the one learner)."""
    size = QUICK if quick else FULL
    prefix = "quick-" if quick else ""
    large, alone = f"{prefix}large", f"{prefix}alone"
    return (
        Database(large, size, database_url("queue", large, server_kind="bench")),
        Database(alone, size.alone(), database_url("queue", alone, server_kind="bench")),
    )


# --- the parent: build once, then measure through two Django processes -----------------------


THROTTLE = "1000000/minute"


def environment(db: Database) -> dict[str, str]:
    # DEBUG makes Django keep every query in memory; a production server would not. API
    # throttles are raised for the run, not switched off.
    return {
        **os.environ,
        "DATABASE_URL": db.url,
        "DJANGO_SETTINGS_MODULE": "quizapp.settings",
        "DEBUG": "false",
        "API_THROTTLE_USER": THROTTLE,
        "API_THROTTLE_ANONYMOUS": THROTTLE,
    }


def manage(db: Database, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=environment(db), cwd=ROOT, check=True)


def status(db: Database) -> dict:
    if not db.is_postgres and not db.sqlite_path.exists():
        return {}
    done = subprocess.run(
        [sys.executable, "-m", db.module, "status"],
        env=environment(db),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout) if done.returncode == 0 else {}


def is_complete(db: Database) -> bool:
    if not db.marker.exists():
        return False
    built = json.loads(db.marker.read_text())
    return built.get("args") == db.plan.generate_args() and status(db) == db.plan.expected_status()


def recreate(db: Database) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    if not db.is_postgres:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db.sqlite_path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(db.url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')


def build(db: Database) -> None:
    print(f"building the {db.kind} {db.name} database ({db.plan})…", file=sys.stderr, flush=True)
    db.marker.unlink(missing_ok=True)
    recreate(db)
    manage(db, "migrate", "--no-input", "--verbosity=0")
    started = time.monotonic()
    manage(db, "generate_load", *db.plan.generate_args())
    record = {
        "args": db.plan.generate_args(),
        "seconds": round(time.monotonic() - started, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
    }
    db.marker.write_text(json.dumps(record))


def ensure(db: Database) -> dict:
    """Build the database unless a complete one is there, and bring its schema up to date (a
    database built before a migration gets it); returns its build record."""
    if os.environ.get("BENCH_REBUILD") or not is_complete(db):
        build(db)
    else:
        manage(db, "migrate", "--no-input", "--verbosity=0")
    return json.loads(db.marker.read_text())


class Server:
    """A Django process on one database, answering one request line at a time."""

    def __init__(self, db: Database):
        self.db = db
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.queue", "serve"],
            env=environment(db),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, request: str):
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.db.name} server stopped (see its error above)")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def run(quick: bool) -> list[Result]:
    large, alone = databases(quick)
    builds = {db.name: ensure(db) for db in (large, alone)}
    servers = [Server(large), Server(alone)]
    try:
        samples: dict[str, list[list[float]]] = {large.name: [], alone.name: []}
        for turn in range(SCREENS[quick]):
            # Alternate who goes first, so neither always follows the other's cache effects.
            for server in servers if turn % 2 else reversed(servers):
                samples[server.db.name].append(server.ask("screen"))
        reports = {server.db.name: server.ask("report") for server in servers}
    finally:
        for server in servers:
            server.close()
    return results(large, alone, samples, reports, builds)


def results(
    large: Database,
    alone: Database,
    samples: dict[str, list[list[float]]],
    reports: dict[str, dict],
    builds: dict[str, dict],
) -> list[Result]:
    def figure(db: Database, part: int | None) -> float:
        return median([sum(s) if part is None else s[part] for s in samples[db.name]])

    big, small = reports[large.name], reports[alone.name]
    same_queue = big["queue"] == small["queue"]
    # Checked where it matters: with one learner's rows a planner may rightly scan the table.
    used = big["due_card_indexes"]
    index_note = "yes" if used == [INDEX] else f"NO, it uses {', '.join(used) or 'no index'}"
    notes = (
        f"plan uses {INDEX}: {index_note}; "
        f"same queue in both: {'yes' if same_queue else 'NO'}; {big['query_count']} queries"
    )
    rows = [
        ("study_queue + deck_counts", None, TARGET, notes),
        ("study_queue (limit 20) alone", 0, None, ""),
        ("deck_counts alone", 1, None, ""),
    ]
    return [
        Result(
            name=f"queue: {label}, 1 of {large.plan.learners:,} learners",
            figure=figure(large, part),
            unit="ms",
            reference=figure(alone, part),
            reference_name="the same learner alone",
            target=target,
            notes=note,
            details=details(large, alone, samples, reports, builds) if part is None else "",
        )
        for label, part, target, note in rows
    ]


def details(large, alone, samples, reports, builds) -> str:
    lines = []
    for db in (large, alone):
        report, built = reports[db.name], builds[db.name]
        lines.append(
            f"- {db.name}: {db.plan}; {report['vendor']} {report['server_version']}; built by "
            f"generate_load in {built['seconds']:.0f} s on {built['built_at'][:10]} "
            f"({built['cpu_count']} cores, load average {built.get('load_average', '?')}); "
            f"{LEARNER} has {report['learner_reviews']:,} reviews and "
            f"{report['learner_cards']:,} card states; their queue: {report['queue_kinds']}; "
            f"{len(samples[db.name])} timed screens"
        )
    lines += ["", f"Query plans in the {large.name} database (one screen, in order):", "", "```"]
    for number, (sql, steps) in enumerate(reports[large.name]["plans"], 1):
        lines.append(f"{number}. {shorten(sql)}")
        lines += [f"     {step}" for step in steps]
    lines.append("```")
    return "\n".join(lines)


def shorten(sql: str, width: int = 150) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 1] + "…"


# --- the children: Django processes with DATABASE_URL set ------------------------------------


def _status() -> dict:
    from django.contrib.auth import get_user_model

    from quizapp.bank.models import Question
    from quizapp.study.models import Review

    learners = get_user_model().objects.filter(username__startswith="load-learner-")
    return {
        "learners": learners.count(),
        "questions": Question.objects.filter(slug__startswith="load-").count(),
        "reviews": Review.objects.count(),
    }


class Screen:
    """The learner's study screen: what is timed, and what is reported about it."""

    def __init__(self):
        from django.contrib.auth import get_user_model

        self.user = get_user_model().objects.get(username=LEARNER)

    def __call__(self) -> tuple[list, list[float]]:
        from quizapp.study.selectors import deck_counts, study_queue

        started = time.perf_counter()
        queue = study_queue(user=self.user, limit=20, now=NOW)
        middle = time.perf_counter()
        deck_counts(user=self.user, now=NOW)
        ended = time.perf_counter()
        return queue, [(middle - started) * 1000, (ended - middle) * 1000]

    def report(self) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from quizapp.study.models import CardState, Review

        with CaptureQueriesContext(connection) as queries:
            queue, _ = self()
        plans = explain(self)
        # The indexes that find the due cards (the learning, then the review query); the
        # (user, due) one is meant for them. deck_counts may use any index led by the user.
        due_card_indexes = {
            name
            for sql, steps in plans
            if sql.startswith('SELECT "study_cardstate"."id"')
            and '"study_cardstate"."due" <' in sql
            for step in steps
            for name in INDEX_IN_PLAN.findall(step)
            if "cardstate" in name
        }
        kinds: dict[str, int] = {}
        for entry in queue:
            kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
        return {
            "vendor": connection.vendor,
            "server_version": server_version(connection),
            "query_count": len(queries),
            "plans": plans,
            "due_card_indexes": sorted(due_card_indexes),
            "queue": [(entry.kind, entry.question.slug) for entry in queue],
            "queue_kinds": ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "empty",
            "learner_reviews": Review.objects.filter(user=self.user).count(),
            "learner_cards": CardState.objects.filter(user=self.user).count(),
        }


def server_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
        else:
            cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def explain(screen) -> list[tuple[str, list[str]]]:
    """The plan of every SELECT one screen runs, as (sql, plan lines)."""
    from django.db import connection

    captured: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        screen()
    plans = []
    with connection.cursor() as cursor:
        for sql, params in captured:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                steps = [row[3] for row in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN " + sql, params)
                steps = [row[0] for row in cursor.fetchall()]
            plans.append((sql, steps))
    return plans


def serve() -> None:
    screen = Screen()
    for _ in range(WARMUP):
        screen()
    for request in sys.stdin:
        if request.strip() == "screen":
            answer = screen()[1]
        elif request.strip() == "report":
            answer = screen.report()
        else:
            raise SystemExit(f"unknown request {request!r}")
        print(json.dumps(answer, default=str), flush=True)


def main(argv: list[str]) -> None:
    import django

    if argv not in (["status"], ["serve"]):
        raise SystemExit("usage: python -m bench.queue status|serve (run by python -m bench)")
    django.setup()
    if argv == ["status"]:
        print(json.dumps(_status()))
    else:
        serve()


if __name__ == "__main__":
    main(sys.argv[1:])
