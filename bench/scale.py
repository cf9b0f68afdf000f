"""Scale: pages and endpoints for a long history or a big class, against a little one.

A school with a thousand learners, years of reviews and classes of hundreds must feel as fast
as the demo. Each figure is the median time of one request through Django's test client
(middleware, authentication, view, template or serializer; no network) in a large database,
for a learner or class with a long history; the reference is the same request, in the same
run, in a small database for a learner or class with little history. Target: ratio ≤ 2.0.

- ``/`` (signed in) and ``GET /api/v1/decks``, ``/progress/`` and ``GET /api/v1/progress``:
  the learner with 100,000 reviews in the large database against one with 100 reviews in the
  small one (``generate_load --extra-learner``; the learner with 100 reviews is the same in
  both databases).
- ``GET /api/v1/sync`` from a recent cursor: a cursor is taken after a full sync, three
  reviews are uploaded, and the sync from that cursor is timed (same two learners).
- The admin's class results and item-analysis pages, signed in as the classes' teacher: a
  class of 500 students against a class of 5 (``generate_load --quiz-class``), each student
  with one or two submitted attempts at a 20-question quiz.

The large database is 1,000 learners × 1,000 cards with 2,000,000 reviews in 40 classes, plus
those learners and classes; the small one has 5 learners with the same cards. Both are built
once by ``manage.py generate_load`` into ``bench/.data/`` (or on the ``BENCH_DATABASE_URL``
PostgreSQL server) and reused while complete (``--rebuild`` rebuilds them); each run migrates
them first. Each database is served by its own Django process, with the clock set to the
morning after the histories end (time-machine); the parent asks them for one round of every
request in turn, so drift hits both alike. Each process works inside one transaction that it
rolls back when done, so the uploads, sessions and tokens of a run leave the databases as
built. API throttles are raised for the run (``API_THROTTLE_USER``), not switched off.
Each request's query count is reported; for a figure over its target, the slowest queries of
the request in the large database (run again alone) with their plans, and a profile.

    python -m bench.scale status           # (internal) what $DATABASE_URL holds, as JSON
    python -m bench.scale serve LEARNER CLASS WARMUP   # (internal) answer "round"/"report"
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench import Result, at_most, median
from bench.queue import (
    NOW,
    SEED,
    UNTIL,
    Database,
    database_url,
    ensure,
    environment,
    server_version,
    shorten,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
TARGET = at_most(2.0)
WARMUP = {True: 3, False: 10}  # untimed rounds per database, by quick
ROUNDS = {True: 10, False: 150}  # timed rounds per database, by quick
SYNC_WRITES = 3
SLOWEST_QUERIES = 3  # shown, with their plans, for a figure that misses its target
PROFILED, PROFILE_ROWS = 5, 8  # requests profiled for a figure that misses, and lines shown
# Reviews of the two extra learners: the light one first, so it is learner 1000001 in both.
LIGHT_REVIEWS = 100
TEACHER = "load-teacher"


@dataclass(frozen=True)
class Request:
    """One request the benchmark times, as the round's servers name it."""

    key: str
    label: str
    subject: str  # "learner" or "class": what differs between figure and reference


REQUESTS = (
    Request("home", "web home page `/`", "learner"),
    Request("decks", "`GET /api/v1/decks`", "learner"),
    Request("progress_page", "progress page `/progress/`", "learner"),
    Request("progress_api", "`GET /api/v1/progress`", "learner"),
    Request("sync", f"`GET /api/v1/sync` after {SYNC_WRITES} reviews", "learner"),
    Request("class_results", "admin class results", "class"),
    Request("item_analysis", "admin item analysis", "class"),
)


@dataclass(frozen=True)
class Shape:
    """What one benchmark database holds (the arguments of generate_load)."""

    learners: int
    cards: int
    reviews: int
    classes: int
    extra_learners: tuple[int, ...] = ()
    quiz_classes: tuple[int, ...] = ()

    def generate_args(self) -> list[str]:
        return [
            f"--learners={self.learners}",
            f"--cards={self.cards}",
            f"--reviews={self.reviews}",
            f"--classes={self.classes}",
            f"--seed={SEED}",
            f"--until={UNTIL.isoformat()}",
            *(f"--extra-learner={n}" for n in self.extra_learners),
            *(f"--quiz-class={n}" for n in self.quiz_classes),
        ]

    @property
    def total_reviews(self) -> int:
        return self.reviews + sum(self.extra_learners)

    def expected_status(self) -> dict:
        """What `status` reports for a complete database of this shape."""
        return {
            "learners": self.learners + len(self.extra_learners),
            "questions": self.cards,
            "reviews": self.total_reviews,
            "quiz_students": list(self.quiz_classes),
        }

    def __str__(self) -> str:
        extras = ", ".join(f"{n:,}" for n in self.extra_learners)
        quizzes = ", ".join(f"{n:,}" for n in self.quiz_classes)
        return (
            f"{self.learners:,} learners × {self.cards:,} cards, {self.reviews:,} reviews, "
            f"{self.classes} classes; extra learners with {extras} reviews; "
            f"quiz classes of {quizzes} students"
        )


@dataclass(frozen=True)
class Subjects:
    """Who the requests are made for in one database."""

    learner: str
    classroom: str


def extra_learner(number: int) -> str:
    """The username generate_load gives its `number`-th (1-based) --extra-learner."""
    return f"load-learner-{1_000_000 + number}"


def quiz_class(number: int) -> str:
    return f"load-quiz-class-{number:03d}"


@dataclass(frozen=True)
class Scenario:
    """The two databases of a run and whom each is asked about."""

    large: Shape
    small: Shape
    heavy_reviews: int
    big_class: int
    small_class: int

    @property
    def large_subjects(self) -> Subjects:
        # Extra learners: the light one, then the heavy one; quiz classes: big, then small.
        return Subjects(extra_learner(2), quiz_class(1))

    @property
    def small_subjects(self) -> Subjects:
        return Subjects(extra_learner(1), quiz_class(1))


def scenario(quick: bool) -> Scenario:
    if quick:
        heavy, big, small_class = 10_000, 50, 5
        large = Shape(100, 200, 40_000, 4, (LIGHT_REVIEWS, heavy), (big, small_class))
        small = Shape(5, 200, 2_000, 1, (LIGHT_REVIEWS,), (small_class,))
    else:
        heavy, big, small_class = 100_000, 500, 5
        large = Shape(1000, 1000, 2_000_000, 40, (LIGHT_REVIEWS, heavy), (big, small_class))
        small = Shape(5, 1000, 10_000, 1, (LIGHT_REVIEWS,), (small_class,))
    return Scenario(large, small, heavy, big, small_class)


def databases(quick: bool) -> tuple[Database, Database]:
    """(the large database, the small database) of this run."""
    plan = scenario(quick)
    prefix = "quick-" if quick else ""
    return tuple(
        Database(name, shape, database_url("scale", name), module="bench.scale")
        for name, shape in ((f"{prefix}large", plan.large), (f"{prefix}small", plan.small))
    )


# --- figures (pure) -------------------------------------------------------------------------


def percentile(samples: Sequence[float], share: float) -> float:
    """The `share` (0–1) percentile by the nearest-rank method."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = math.ceil(round(share * len(ordered), 9))  # rounded: 0.9 × 10 is not 9.000…02
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def columns(rounds: Sequence[dict[str, float]]) -> dict[str, list[float]]:
    """Per-request samples from rounds of {request key: milliseconds}."""
    found: dict[str, list[float]] = {}
    for round_ in rounds:
        for key, value in round_.items():
            found.setdefault(key, []).append(value)
    return found


# --- the parent: build once, then measure through two Django processes -----------------------


class Server:
    """A Django process on one database, answering one request line at a time."""

    def __init__(self, db: Database, subjects: Subjects, warmup: int):
        self.db = db
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.scale",
                "serve",
                subjects.learner,
                subjects.classroom,
                str(warmup),
            ],
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
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run(quick: bool) -> list[Result]:
    plan = scenario(quick)
    large, small = databases(quick)
    builds = {db.name: ensure(db) for db in (large, small)}
    servers = [
        Server(large, plan.large_subjects, WARMUP[quick]),
        Server(small, plan.small_subjects, WARMUP[quick]),
    ]
    try:
        rounds: dict[str, list[dict[str, float]]] = {large.name: [], small.name: []}
        for turn in range(ROUNDS[quick]):
            # Alternate who goes first, so neither always follows the other's cache effects.
            for server in servers if turn % 2 else reversed(servers):
                rounds[server.db.name].append(server.ask("round"))
        reports = {server.db.name: server.ask("report") for server in servers}
        # Profiles only where they explain something: a figure over its target.
        big, little = columns(rounds[large.name]), columns(rounds[small.name])
        reports[large.name]["profile"] = {
            request.key: servers[0].ask(f"profile {request.key}")
            for request in REQUESTS
            if not TARGET.met_by(median(big[request.key]) / median(little[request.key]))
        }
    finally:
        for server in servers:
            server.close()
    return results(plan, large, small, rounds, reports, builds)


def results(
    plan: Scenario,
    large: Database,
    small: Database,
    rounds: dict[str, list[dict[str, float]]],
    reports: dict[str, dict],
    builds: dict[str, dict],
) -> list[Result]:
    big, little = columns(rounds[large.name]), columns(rounds[small.name])
    report_big, report_little = reports[large.name], reports[small.name]
    found = []
    for request in REQUESTS:
        figure, reference = median(big[request.key]), median(little[request.key])
        queries = (report_big["queries"][request.key], report_little["queries"][request.key])
        if request.subject == "learner":
            name = f"scale: {request.label}, {plan.heavy_reviews:,} reviews"
            reference_name = f"{LIGHT_REVIEWS} reviews, small db"
        else:
            name = f"scale: {request.label}, class of {plan.big_class}"
            reference_name = f"class of {plan.small_class}, small db"
        notes = (
            f"p90 {percentile(big[request.key], 0.9):.1f} vs "
            f"{percentile(little[request.key], 0.9):.1f} ms; "
            f"queries {queries[0]} vs {queries[1]}"
        )
        result = Result(
            name=name,
            figure=figure,
            unit="ms",
            reference=reference,
            reference_name=reference_name,
            target=TARGET,
            notes=notes,
        )
        details = ""
        if result.met is False:
            details = slowest(report_big, request.key)
        if request is REQUESTS[0]:
            details = "\n\n".join(
                part for part in (sizes(large, small, rounds, reports, builds), details) if part
            )
        found.append(replace(result, details=details))
    return found


def sizes(large, small, rounds, reports, builds) -> str:
    lines = []
    for db in (large, small):
        report, built = reports[db.name], builds[db.name]
        lines.append(
            f"- {db.name}: {db.plan}; {report['vendor']} {report['server_version']}; built by "
            f"generate_load in {built['seconds']:.0f} s on {built['built_at'][:10]} "
            f"({built['cpu_count']} cores, load average {built.get('load_average', '?')}); "
            f"{report['learner']} has {report['learner_reviews']:,} reviews, "
            f"{report['learner_cards']:,} card states and {report['learner_days']} review days; "
            f"{report['classroom']} has {report['class_students']} students and "
            f"{report['class_attempts']} quiz attempts; {len(rounds[db.name])} timed rounds"
        )
    return "\n".join(lines)


def slowest(report: dict, key: str) -> str:
    """The slowest queries of one request in the large database, with their plans."""
    lines = [
        f"Why `{key}` grows: its slowest queries in the large database (one request, each "
        f"run again alone, rows fetched), of {report['queries'][key]} whose SELECTs take "
        f"{report['query_ms'][key]:.1f} ms in all; the response is "
        f"{report['bytes'][key]:,} bytes:",
        "",
        "```",
    ]
    for ms, sql, steps in report["slowest"][key]:
        lines.append(f"{ms:.1f} ms  {shorten(sql)}")
        lines += [f"     {step}" for step in steps]
    lines += [
        "```",
        "",
        f"Where the time goes (cProfile, {PROFILED} requests; the functions of the app with "
        "the most time inside them, then the most time in themselves anywhere):",
        "",
        "```",
        report.get("profile", {}).get(key, "(not profiled)").rstrip(),
        "```",
    ]
    return "\n".join(lines)


# --- the children: Django processes with DATABASE_URL set ------------------------------------


def _status() -> dict:
    from django.contrib.auth import get_user_model

    from quizapp.bank.models import Question
    from quizapp.classroom.models import Classroom
    from quizapp.study.models import Review

    learners = get_user_model().objects.filter(username__startswith="load-learner-")
    classes = Classroom.objects.filter(name__startswith="load-quiz-class-").order_by("name")
    return {
        "learners": learners.count(),
        "questions": Question.objects.filter(slug__startswith="load-").count(),
        "reviews": Review.objects.count(),
        "quiz_students": [c.enrolments.count() for c in classes],
    }


class Session:
    """The clients of one database's process and the requests they make."""

    def __init__(self, learner: str, classroom: str):
        from django.contrib.auth import get_user_model
        from django.test import Client
        from knox.models import AuthToken

        from quizapp.classroom.models import Assignment, Classroom

        users = get_user_model().objects
        self.learner = users.get(username=learner)
        self.classroom = Classroom.objects.get(name=classroom)
        self.quiz_id = Assignment.objects.get(classroom=self.classroom, quiz__isnull=False).quiz_id
        self.web = Client()
        self.web.force_login(self.learner)
        self.teacher = Client()
        self.teacher.force_login(users.get(username=TEACHER))
        _, token = AuthToken.objects.create(self.learner)
        self.api = Client(headers={"authorization": f"Bearer {token}"})
        self.cursor = self._recent_cursor()
        self.requests: dict[str, Callable[[], object]] = {
            "home": lambda: self.web.get("/"),
            "decks": lambda: self.api.get("/api/v1/decks"),
            "progress_page": lambda: self.web.get("/progress/"),
            "progress_api": lambda: self.api.get("/api/v1/progress"),
            "sync": lambda: self.api.get("/api/v1/sync", {"since": self.cursor}),
            "class_results": lambda: self.teacher.get(
                f"/admin/classroom/classroom/{self.classroom.pk}/results/"
            ),
            "item_analysis": lambda: self.teacher.get(
                f"/admin/quizzes/quiz/{self.quiz_id}/item-analysis/"
            ),
        }
        assert set(self.requests) == {r.key for r in REQUESTS}

    def _recent_cursor(self) -> str:
        """A cursor from a complete sync, followed by SYNC_WRITES uploaded reviews."""
        from django.utils import timezone

        from quizapp.study.models import CardState

        cursor = None
        while True:
            page = self._ok(self.api.get("/api/v1/sync", {"since": cursor} if cursor else {}))
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        slugs = (
            CardState.objects.filter(user=self.learner)
            .order_by("due", "pk")
            .values_list("question__slug", flat=True)[:SYNC_WRITES]
        )
        reviews = [
            {
                "id": str(uuid.uuid4()),
                "question": slug,
                "rating": 3,
                "reviewed_at": timezone.now().isoformat(),
                "duration_ms": 4000,
            }
            for slug in slugs
        ]
        answer = self._ok(
            self.api.post("/api/v1/reviews", {"reviews": reviews}, content_type="application/json")
        )
        assert len(answer["accepted"]) == SYNC_WRITES, answer
        changed = self._ok(self.api.get("/api/v1/sync", {"since": cursor}))
        assert len(changed["cards"]) >= SYNC_WRITES and not changed["has_more"], changed
        return cursor

    @staticmethod
    def _ok(response) -> dict:
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.content[:500]!r}")
        return response.json()

    def call(self, key: str):
        response = self.requests[key]()
        if response.status_code != 200:
            raise RuntimeError(f"{key}: {response.status_code}: {response.content[:500]!r}")
        return response

    def round(self) -> dict[str, float]:
        timings = {}
        for key in self.requests:
            started = time.perf_counter()
            self.call(key)
            timings[key] = (time.perf_counter() - started) * 1000
        return timings

    def report(self) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from quizapp.quizzes.models import Attempt
        from quizapp.study.models import CardState, Review, ReviewDay

        queries, query_ms, sizes, slowest_queries = {}, {}, {}, {}
        for key in self.requests:
            with CaptureQueriesContext(connection) as captured:
                response = self.call(key)
            queries[key] = len(captured)
            # Django's own timing stops before the rows are fetched: run each SELECT again.
            sqls = [q["sql"] for q in captured.captured_queries]
            timed = [(select_ms(sql), sql) for sql in sqls if is_select(sql)]
            query_ms[key] = sum(ms for ms, _ in timed)
            sizes[key] = len(response.content)
            top = sorted(timed, key=lambda item: item[0], reverse=True)[:SLOWEST_QUERIES]
            slowest_queries[key] = [(ms, sql, plan_of(sql)) for ms, sql in top]
        return {
            "vendor": connection.vendor,
            "server_version": server_version(connection),
            "queries": queries,
            "query_ms": query_ms,
            "bytes": sizes,
            "slowest": slowest_queries,
            "learner": self.learner.username,
            "learner_reviews": Review.objects.filter(user=self.learner).count(),
            "learner_cards": CardState.objects.filter(user=self.learner).count(),
            "learner_days": ReviewDay.objects.filter(user=self.learner).count(),
            "classroom": self.classroom.name,
            "class_students": self.classroom.enrolments.count(),
            "class_attempts": Attempt.objects.filter(quiz_id=self.quiz_id).count(),
        }


def profile_of(call: Callable[[], object], *, rows: int = PROFILE_ROWS) -> str:
    """A short cProfile summary of PROFILED calls: the app's own functions by cumulative
    time, then every function by internal time (milliseconds per call of `call`)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILED):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, name) → (cc, nc, tt, ct, callers)
    app = [str(ROOT / "quizapp"), str(ROOT / "frontend")]

    def where(function) -> str:
        path, line, name = function
        for prefix in (str(ROOT) + "/", str(Path(sys.prefix)) + "/"):
            path = path.removeprefix(prefix)
        return f"{path}:{line}({name})"

    ours = sorted(
        (item for item in stats.items() if item[0][0].startswith(tuple(app))),
        key=lambda item: item[1][3],
        reverse=True,
    )[:rows]
    busiest = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:rows]
    lines = ["cumulative ms  calls  (the app's functions)"]
    lines += [
        f"{ct * 1000 / PROFILED:>13.1f}  {nc // PROFILED:>5}  {where(function)}"
        for function, (_, nc, _, ct, _) in ours
    ]
    lines.append("  internal ms  calls  (any function)")
    lines += [
        f"{tt * 1000 / PROFILED:>13.1f}  {nc // PROFILED:>5}  {where(function)}"
        for function, (_, nc, tt, _, _) in busiest
    ]
    return "\n".join(lines)


def is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT")


def select_ms(sql: str, repeat: int = 3) -> float:
    """The best of `repeat` runs of a logged SELECT (parameters inlined), rows fetched."""
    from django.db import connection

    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                cursor.execute(sql)
                cursor.fetchall()
            except Exception:  # a logged statement is not always valid SQL again
                return 0.0
            best = min(best, time.perf_counter() - started)
    return best * 1000


def plan_of(sql: str) -> list[str]:
    """The query plan of a logged (parameters inlined) SELECT; empty for anything else."""
    from django.db import connection

    if not is_select(sql):
        return []
    with connection.cursor() as cursor:
        try:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                return [row[3] for row in cursor.fetchall()]
            cursor.execute("EXPLAIN " + sql)
            return [row[0] for row in cursor.fetchall()]
        except Exception as error:  # a logged statement is not always valid SQL again
            return [f"(no plan: {error.__class__.__name__})"]


def serve(learner: str, classroom: str, warmup: int) -> None:
    import time_machine
    from django.db import transaction

    # The morning after the histories end, as the queue benchmark; the clock runs on from it.
    with time_machine.travel(NOW, tick=True), transaction.atomic():
        session = Session(learner, classroom)
        for _ in range(warmup):
            session.round()
        for request in sys.stdin:
            if request.strip() == "round":
                answer = session.round()
            elif request.strip() == "report":
                answer = session.report()
            elif request.startswith("profile ") and request.split()[1] in session.requests:
                key = request.split()[1]
                answer = profile_of(lambda key=key: session.call(key))
            else:
                raise SystemExit(f"unknown request {request!r}")
            print(json.dumps(answer, default=str), flush=True)
        # Uploads, sessions and tokens of the run: gone, the database stays as built.
        transaction.set_rollback(True)


def main(argv: list[str]) -> None:
    import django

    if not (argv == ["status"] or (len(argv) == 4 and argv[0] == "serve")):
        raise SystemExit("usage: python -m bench.scale status | serve LEARNER CLASS WARMUP")
    django.setup()
    if argv == ["status"]:
        print(json.dumps(_status()))
    else:
        serve(argv[1], argv[2], int(argv[3]))


if __name__ == "__main__":
    main(sys.argv[1:])
