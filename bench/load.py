"""Exactly-once uploads under load: reviews per second through gunicorn, promises checked.

The full-size run of ``tests/load/test_exactly_once.py`` (one implementation, in
``tests/load/harness.py``): 8 clients, two devices for each of 4 learners, each uploading 300
reviews in batches of 25 to gunicorn (2 gthread workers × 4 threads on 127.0.0.1); 30% of the
batches re-sent, 20% sent twice at the same moment, and a full re-send at the end. On
PostgreSQL (``BENCH_DATABASE_URL``, a fresh sibling database on that server, dropped after)
two gunicorn instances share the database and the clients spread over both; on SQLite (the
default: a temporary file) there is one instance.

Three runs on one set of servers, each with fresh learners: the reference, where every batch
is sent once (no re-sends, nothing twice); the load with retries off, where every request must
succeed at its first attempt; the load with retries on and one gunicorn worker killed with
SIGKILL while it serves an upload. The figures are unique reviews stored per second, as a
ratio to the reference. After each run the database must hold exactly the reviews sent, each
once, every acknowledged one, with every card state equal to the replay of its reviews
(``verify_card_states``) and the per-day totals equal to a recount: a broken promise fails the
benchmark. ``--quick`` runs the CI size (4 clients × 100 reviews).
"""

from __future__ import annotations

import os

from bench import Result
from tests.load.harness import FULL, REDUCED, LoadReport, load_cluster, run_scenario


def run(quick: bool) -> list[Result]:
    size = REDUCED if quick else FULL
    server = os.environ.get("BENCH_DATABASE_URL", "")
    with load_cluster(server) as cluster:
        calm = run_scenario(cluster, size.calm(), retries=False, tag="calm")
        strict = run_scenario(cluster, size, retries=False, tag="strict")
        killed = run_scenario(cluster, size, retries=True, kill_worker=True, tag="kill")
    reports = (calm, strict, killed)
    broken = [report for report in reports if report.problems()]
    if broken:
        raise RuntimeError("a promise broke:\n" + "\n".join(r.summary() for r in broken))
    reference = calm.reviews_per_second
    instances = "2 gunicorn instances" if cluster.instances == 2 else "1 gunicorn instance"
    where = f"{cluster.database.flavour}, {instances}"
    details = "\n".join(["```", *(report.summary() for report in reports), "```"])
    return [
        Result(
            name=f"load: {where}, retries off",
            figure=strict.reviews_per_second,
            unit="reviews/s",
            reference=reference,
            reference_name="each batch sent once",
            notes=notes(strict),
            details=details,
        ),
        Result(
            name=f"load: {where}, a worker killed mid-run",
            figure=killed.reviews_per_second,
            unit="reviews/s",
            reference=reference,
            reference_name="each batch sent once",
            notes=notes(killed),
        ),
    ]


def notes(report: LoadReport) -> str:
    text = (
        f"{report.unique_sent:,} reviews, {report.requests} requests, "
        f"{report.retried} retries, {report.server_errors} × 5xx, "
        f"{report.duplicates_reported:,} duplicates reported; stored {report.stored:,}, "
        f"{report.cards_drifted} of {report.cards_checked} cards drifted"
    )
    if report.kill_worker:
        text += f"; worker killed while serving: {'yes' if report.killed_serving else 'no'}"
    return text
