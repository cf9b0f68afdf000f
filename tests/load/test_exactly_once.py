"""Exactly-once review uploads, proved against real gunicorn servers (tests/load/harness.py).

Runs at the reduced size (4 clients × 100 reviews: 2 learners × 2 devices) on the database
flavour of the current run: with DATABASE_URL pointing to PostgreSQL, a sibling database on
that server served by TWO gunicorn instances (Redis for the shared cache when it answers);
otherwise a SQLite file served by one. CI runs the suite once each way, so both run there.
The full size is `python -m bench load` (docs/reliability.md has its figures).

Both scenarios share one database and one set of servers, each with its own learners:
first with retries off, where every single request must succeed; then with retries on and one
gunicorn worker killed with SIGKILL mid-run.
"""

import os
import random

import pytest

from tests.load.harness import (
    REDUCED,
    LoadReport,
    LoadSize,
    is_postgres,
    load_cluster,
    make_plan,
    run_scenario,
)

SCENARIO_TIMEOUT = 300  # seconds; the reduced size takes about 10


def database_of_this_run() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if is_postgres(url) else None


@pytest.fixture(scope="module")
def cluster():
    """A fresh load database with its gunicorn instances; all removed after, even on failure."""
    with load_cluster(database_of_this_run()) as cluster:
        yield cluster


def assert_promises_held(report: LoadReport, cluster) -> None:
    problems = report.problems()
    assert problems == [], f"{report.summary()}\n{cluster.logs() if problems else ''}"


def test_uploads_from_many_devices_are_stored_exactly_once_and_no_request_fails(
    cluster, print_at_end
):
    report = run_scenario(cluster, REDUCED, retries=False, tag="strict", timeout=SCENARIO_TIMEOUT)
    print_at_end(report.summary())
    assert report.instances == (2 if cluster.database.is_postgres else 1)
    # With retries off, every first attempt succeeded: no 5xx, no dropped connection, no 429.
    assert report.attempts == report.requests
    assert report.server_errors == 0
    # Each review was accepted by exactly one response, and the closing re-send found all.
    assert report.accepted == report.stored == report.unique_sent == 400
    assert report.final_resend_accepted == 0
    assert report.duplicates_reported > 0
    assert report.cards_checked > 0 and report.cards_drifted == 0
    assert_promises_held(report, cluster)


def test_a_worker_killed_mid_run_loses_nothing_once_clients_retry(cluster, print_at_end):
    report = run_scenario(
        cluster, REDUCED, retries=True, kill_worker=True, tag="kill", timeout=SCENARIO_TIMEOUT
    )
    print_at_end(report.summary())
    # The worker was serving an upload when it died, and gunicorn replaced it.
    assert report.killed_pid is not None and report.killed_serving and report.worker_restarted
    assert report.server_errors == 0
    assert report.stored == report.unique_sent == 400
    assert report.acknowledged_missing == 0 and report.duplicate_rows == 0
    assert report.cards_drifted == 0
    assert_promises_held(report, cluster)


# --- the harness itself: its plan and its verdicts ------------------------------------------


def test_each_client_resends_30_percent_sends_20_percent_twice_and_ends_with_everything():
    size = LoadSize(learners=4, reviews_per_client=300, cards_per_learner=12)
    plan = make_plan(random.Random(7), size)
    kinds = [kind for _, kind in plan]
    batches = size.batches_per_client
    assert batches == 12
    assert kinds.count("double") == round(0.2 * batches)
    assert kinds.count("resend") == round(0.3 * batches)
    assert [i for i, kind in plan if kind in ("send", "double")] == list(range(batches))
    assert plan[-batches:] == [(i, "final") for i in range(batches)]
    # A batch is re-sent only after it was first sent.
    first_sent = {i: n for n, (i, kind) in enumerate(plan) if kind in ("send", "double")}
    assert all(first_sent[i] < n for n, (i, kind) in enumerate(plan) if kind == "resend")


def clean_report(**changes) -> LoadReport:
    report = LoadReport(database="SQLite", instances=1, size=REDUCED, retries=False, cache="db")
    values = dict(
        requests=44, attempts=44, accepted=400, unique_sent=400, stored=400,
        unique_constraint=True, cards_checked=16, cards_drifted=0,
    )  # fmt: skip
    for name, value in {**values, **changes}.items():
        setattr(report, name, value)
    return report


def test_a_clean_report_has_no_problems():
    assert clean_report().problems() == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"stored": 399}, "399 reviews stored for 400 unique reviews sent"),
        ({"acknowledged_missing": 1}, "1 acknowledged reviews are not stored"),
        ({"duplicate_rows": 1}, "1 reviews stored twice"),
        ({"accepted_twice": 1}, "1 reviews accepted twice"),
        ({"cards_drifted": 2}, "2 card states drifted from replay"),
        ({"cards_drifted": None}, "None card states drifted from replay"),
        ({"server_errors": 1}, "1 HTTP 5xx answers"),
        ({"connection_errors": 1}, "1 connection errors"),
        ({"unique_constraint": False}, "no unique constraint on (user, uuid) in the database"),
        ({"review_days_drifted": 1}, "1 ReviewDay rows drifted"),
    ],
)
def test_a_broken_promise_is_reported(changes, problem):
    assert problem in clean_report(**changes).problems()


def test_with_retries_on_a_dropped_connection_is_no_problem_but_a_5xx_still_is():
    report = clean_report(retries=True, connection_errors=3, attempts=47, server_errors=1)
    assert report.problems() == ["1 HTTP 5xx answers"]
