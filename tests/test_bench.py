"""The benchmark runner: results, ratios, the table and docs/benchmarks.md (no timing)."""

from datetime import UTC, datetime
from itertools import pairwise
from types import ModuleType

import pytest
from fsrs import Rating, Scheduler

import bench.__main__ as runner
from bench import Result, at_least, at_most
from bench.queue import FULL, INDEX_IN_PLAN, QUICK, Size, databases
from bench.queue import results as queue_results
from bench.replay import histories, replay_bare, replay_ours
from quizapp.study.scheduling import SchedulerConfig

MEASURED_AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def fake_benchmark(*results: Result, fails: bool = False) -> ModuleType:
    module = ModuleType("bench.fake", "Fake: a benchmark for the tests.\n\nMore words.")

    def run(quick: bool) -> list[Result]:
        if fails:
            raise RuntimeError("it broke")
        return list(results)

    module.run = run
    return module


def test_ratio_is_the_figure_over_its_reference_and_meets_a_ceiling():
    result = Result("queue", 3.0, "ms", reference=2.0, target=at_most(1.5))
    assert result.ratio == 1.5
    assert result.met is True
    assert Result("queue", 3.1, "ms", reference=2.0, target=at_most(1.5)).met is False


def test_a_floor_target_is_met_from_above():
    assert Result("replay", 60.0, "reviews/s", reference=100.0, target=at_least(0.5)).met
    assert not Result("replay", 40.0, "reviews/s", reference=100.0, target=at_least(0.5)).met
    assert str(at_least(0.5)) == "≥ 0.5"
    assert str(at_most(1.5)) == "≤ 1.5"


@pytest.mark.parametrize("reference", [None, 0.0])
def test_without_a_reference_there_is_no_ratio_and_no_verdict(reference):
    result = Result("x", 1.0, "ms", reference=reference, target=at_most(1.5))
    assert result.ratio is None
    assert result.met is None


def test_without_a_target_there_is_no_verdict():
    assert Result("x", 1.0, "ms", reference=2.0).met is None


def test_a_benchmark_runs_into_a_titled_section():
    result = Result("fake figure", 2.0, "ms", reference=1.0)
    section = runner.run_benchmark("fake", quick=True, loader=lambda name: fake_benchmark(result))
    assert section.title == "Fake: a benchmark for the tests"
    assert section.results == [result]
    assert section.quick
    assert not section.error


def test_a_failing_benchmark_is_reported_not_raised():
    section = runner.run_benchmark(
        "fake", quick=False, loader=lambda name: fake_benchmark(fails=True)
    )
    assert section.results == []
    assert "RuntimeError: it broke" in section.error


def sections():
    ok = Result(
        "queue: screen", 3.0, "ms", reference=2.5, reference_name="alone", target=at_most(1.5)
    )
    missed = Result("queue: slow", 4.0, "ms", reference=2.0, target=at_most(1.5), notes="plan")
    throughput = Result("replay", 12_345.6, "reviews/s", reference=24_691.2, details="sizes")
    return [
        runner.Section("queue", "Study queue", [ok, missed], 1.0, quick=False, database="SQLite"),
        runner.Section("replay", "Replay speed", [throughput], 2.0, quick=True),
    ]


def test_the_table_shows_figures_ratios_and_verdicts():
    table = runner.text_table(sections())
    lines = table.splitlines()
    assert lines[0].split() == runner.COLUMNS
    assert "3 ms" in table and "2.5 ms (alone)" in table
    assert "1.20" in table and "≤ 1.5" in table and "yes" in table
    assert "2.00" in table and "NO" in table
    assert "12,346 reviews/s" in table and "0.50" in table


def test_markdown_names_the_machine_the_database_and_each_figure():
    document = runner.markdown(sections(), measured_at=MEASURED_AT)
    assert document.startswith("# Benchmarks")
    assert "Measured 2026-03-02 12:00 UTC" in document
    assert "cores" in document and "database: SQLite" in document and "database: none" in document
    assert "| queue: screen | 3 ms | 2.5 ms (alone) | 1.20 | ≤ 1.5 | yes |  |" in document
    assert "quick sizes" in document and "full sizes" in document
    assert "**replay**\n\nsizes" in document
    assert document.index("<!-- bench:replay -->") < document.index("<!-- bench:queue -->")


def test_markdown_rewrites_only_the_sections_that_ran():
    before = runner.markdown(sections(), measured_at=MEASURED_AT)
    fresh = runner.Section("queue", "Study queue", [Result("queue: new", 1.0, "ms")], 1.0, False)
    after = runner.markdown([fresh], previous=before, measured_at=MEASURED_AT)
    assert "queue: new" in after
    assert "queue: screen" not in after
    assert after.count("<!-- bench:replay -->") == 1
    assert "12,346 reviews/s" in after


def test_main_runs_the_named_benchmark_and_writes_the_document(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "BENCHMARKS", ("fake", "other"))
    result = Result("fake figure", 1.0, "ms")
    monkeypatch.setattr(runner, "load", lambda name: fake_benchmark(result))
    output = tmp_path / "benchmarks.md"
    assert runner.main(["fake", "--quick", f"--output={output}"]) == 0
    assert "<!-- bench:fake -->" in output.read_text()
    assert "<!-- bench:other -->" not in output.read_text()
    assert "fake figure" in capsys.readouterr().out


def test_main_refuses_an_unknown_benchmark(capsys):
    with pytest.raises(SystemExit):
        runner.main(["nonsense"])
    assert "unknown benchmark nonsense" in capsys.readouterr().err


def test_the_queue_reference_is_the_same_learner_alone_in_separate_databases(monkeypatch):
    assert FULL.alone() == Size(1, 1000, 2000)
    assert QUICK.alone() == Size(1, 200, 400)
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    large, alone = databases(quick=False)
    assert large.url.endswith("bench/.data/queue-large.sqlite3")
    assert alone.url.endswith("bench/.data/queue-alone.sqlite3")
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgres://u@db:5432/quizapp")
    large, alone = databases(quick=True)
    assert large.url == "postgres://u@db:5432/quizapp_bench_quick_large"
    assert alone.is_postgres


def test_replay_benchmark_compares_like_with_like():
    cards = histories(1, 20)
    assert cards == histories(1, 20)
    assert all(a.reviewed_at < b.reviewed_at for h in cards for a, b in pairwise(h))
    ours = replay_ours(cards, SchedulerConfig(), 1)
    bare = replay_bare(
        [[(Rating(r.rating), r.reviewed_at) for r in h] for h in cards],
        Scheduler(enable_fuzzing=False),
        1,
    )
    assert [(m.stability, m.due) for m in ours] == [(c.stability, c.due) for c in bare]


@pytest.mark.parametrize(
    ("line", "index"),
    [
        ("SEARCH study_cardstate USING INDEX cardstate_user_due (user_id=?)", "cardstate_user_due"),
        (
            "SEARCH study_review USING COVERING INDEX review_user_time (user_id=?)",
            "review_user_time",
        ),
        ("->  Index Scan using cardstate_user_id_f on study_cardstate", "cardstate_user_id_f"),
        ("->  Bitmap Index Scan on cardstate_user_due  (cost=0.00..4.31)", "cardstate_user_due"),
    ],
)
def test_index_names_are_read_from_sqlite_and_postgresql_plans(line, index):
    assert INDEX_IN_PLAN.findall(line) == [index]


def queue_report(indexes, queue=(("review", "load-q-000001"),)):
    return {
        "vendor": "sqlite",
        "server_version": "3.40.1",
        "query_count": 11,
        "plans": [("SELECT 1", ["SCAN t"])],
        "due_card_indexes": indexes,
        "queue": list(queue),
        "queue_kinds": "1 review",
        "learner_reviews": 2000,
        "learner_cards": 157,
    }


def test_queue_results_compare_medians_and_check_the_plan():
    large, alone = databases(quick=True)
    samples = {large.name: [[2.0, 1.0], [4.0, 2.0], [3.0, 1.5]], alone.name: [[2.0, 1.0]] * 3}
    build = {"seconds": 12.0, "built_at": "2026-03-02T12:00:00+00:00", "cpu_count": 2}
    reports = {large.name: queue_report(["cardstate_user_due"]), alone.name: queue_report([])}
    builds = {large.name: build, alone.name: build}
    screen, queue_only, counts_only = queue_results(large, alone, samples, reports, builds)
    assert (screen.figure, screen.reference, screen.ratio) == (4.5, 3.0, 1.5)
    assert screen.met is True
    assert "plan uses cardstate_user_due: yes" in screen.notes
    assert "same queue in both: yes" in screen.notes
    assert "built by generate_load in 12 s" in screen.details
    assert (queue_only.figure, counts_only.figure) == (3.0, 1.5)
    assert queue_only.target is None

    reports[large.name] = queue_report(["study_cardstate_user_id_febcdd03"], queue=())
    screen = queue_results(large, alone, samples, reports, builds)[0]
    assert "NO, it uses study_cardstate_user_id_febcdd03" in screen.notes
    assert "same queue in both: NO" in screen.notes


# --- bench/scale.py and bench/throughput.py -------------------------------------------------


def test_percentiles_use_the_nearest_rank():
    from bench.scale import percentile

    samples = [float(n) for n in range(10, 0, -1)]  # 10 … 1, unordered on purpose
    assert percentile(samples, 0.5) == 5.0
    assert percentile(samples, 0.9) == 9.0
    assert percentile(samples, 0.99) == 10.0
    assert percentile([3.0], 0.9) == 3.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_scale_databases_hold_the_extra_learners_and_quiz_classes_they_compare(monkeypatch):
    from bench.scale import databases, extra_learner, quiz_class, scenario
    from quizapp.study.management.commands.generate_load import EXTRA_LEARNER_START

    plan = scenario(quick=False)
    assert plan.large.reviews == 2_000_000 and plan.large.learners == 1000
    assert plan.large.classes == 40
    # The light learner is the first extra learner in both databases: the same history.
    assert plan.large.extra_learners == (100, 100_000) and plan.small.extra_learners == (100,)
    assert plan.large.quiz_classes == (500, 5) and plan.small.quiz_classes == (5,)
    assert plan.large_subjects.learner == extra_learner(2) == "load-learner-1000002"
    assert plan.small_subjects.learner == f"load-learner-{EXTRA_LEARNER_START + 1}"
    assert plan.large_subjects.classroom == quiz_class(1) == "load-quiz-class-001"
    args = plan.large.generate_args()
    assert "--extra-learner=100000" in args and "--quiz-class=500" in args
    assert args.index("--extra-learner=100") < args.index("--extra-learner=100000")
    assert plan.small.expected_status() == {
        "learners": 6,
        "questions": 1000,
        "reviews": 10_100,
        "quiz_students": [5],
    }
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    large, small = databases(quick=True)
    assert large.url.endswith("bench/.data/scale-quick-large.sqlite3")
    assert small.marker.name == "scale-quick-small.sqlite.json"
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgres://u@db:5432/quizapp")
    large, _ = databases(quick=False)
    assert large.url == "postgres://u@db:5432/quizapp_scale_large"


def scale_report(queries=7, slow_sql="SELECT 1"):
    from bench.scale import REQUESTS

    keys = [request.key for request in REQUESTS]
    return {
        "vendor": "sqlite",
        "server_version": "3.40.1",
        "queries": dict.fromkeys(keys, queries),
        "query_ms": dict.fromkeys(keys, 1.5),
        "bytes": dict.fromkeys(keys, 2048),
        "slowest": {key: [[1.2, slow_sql, ["SCAN t"]]] for key in keys},
        "profile": dict.fromkeys(keys, "(profile)"),
        "learner": "load-learner-1000002",
        "learner_reviews": 100_003,
        "learner_cards": 1000,
        "learner_days": 365,
        "classroom": "load-quiz-class-001",
        "class_students": 500,
        "class_attempts": 620,
    }


def test_scale_results_are_medians_of_interleaved_rounds_with_their_query_counts():
    from bench.scale import REQUESTS, databases, scenario
    from bench.scale import results as scale_results

    plan = scenario(quick=True)
    large, small = databases(quick=True)
    keys = [request.key for request in REQUESTS]
    rounds = {
        large.name: [dict.fromkeys(keys, ms) for ms in (3.0, 5.0, 4.0)],
        small.name: [dict.fromkeys(keys, ms) for ms in (2.0, 2.0, 2.0)],
    }
    rounds[large.name][1]["item_analysis"] = 50.0  # one slow class page: 4, 50, 4 ms
    rounds[large.name][2]["item_analysis"] = 4.0
    rounds[large.name][0]["item_analysis"] = 60.0
    reports = {large.name: scale_report(), small.name: scale_report(queries=6)}
    build = {"seconds": 12.0, "built_at": "2026-03-02T12:00:00+00:00", "cpu_count": 2}
    found = scale_results(
        plan, large, small, rounds, reports, {large.name: build, small.name: build}
    )
    assert [r.figure for r in found[:5]] == [4.0] * 5
    assert all(r.reference == 2.0 and r.ratio == 2.0 and r.met for r in found[:5])
    assert found[0].name == "scale: web home page `/`, 10,000 reviews"
    assert found[0].reference_name == "100 reviews, small db"
    assert "queries 7 vs 6" in found[0].notes and "p90 5.0 vs 2.0 ms" in found[0].notes
    assert "built by generate_load in 12 s" in found[0].details
    analysis = found[-1]
    assert analysis.name == "scale: admin item analysis, class of 50"
    assert analysis.reference_name == "class of 5, small db"
    assert (analysis.figure, analysis.met) == (50.0, False)
    # A miss is explained: the request's slowest queries with their plans, and its profile.
    assert "SELECT 1" in analysis.details and "SCAN t" in analysis.details
    assert "(profile)" in analysis.details
    assert not found[1].details


def test_throughput_counts_requests_per_worker_from_the_access_log():
    from bench.throughput import requests_per_worker

    lines = ["<101>", "<102>", "<101>\n", "<101>", ""]
    assert requests_per_worker(lines, [101, 102, 103]) == {101: 3, 102: 1, 103: 0}


def test_throughput_reads_resident_memory_from_proc_status():
    from bench.throughput import vm_rss_kib

    status = "Name:\tgunicorn\nVmPeak:\t  300000 kB\nVmRSS:\t   91236 kB\nThreads:\t5\n"
    assert vm_rss_kib(status) == 91236
    with pytest.raises(ValueError):
        vm_rss_kib("Name:\tgunicorn\n")


def test_throughput_results_compare_sessions_with_the_bare_view_and_memory_with_the_budget():
    from bench.scale import databases
    from bench.throughput import BARE, QUEUE, REVIEWS, Memory, Window
    from bench.throughput import results as throughput_results

    bare, session = Window(), Window()
    bare.add(Window(requests=400, seconds=2.0, latencies={BARE: [0.004, 0.005]}))
    bare.add(Window(requests=400, seconds=2.0))
    session.add(
        Window(requests=500, errors=1, seconds=4.0, latencies={QUEUE: [0.01], REVIEWS: [0.008]})
    )
    memory = Memory(
        rss_mb={11: 90.0, 12: 120.0},
        start_mb={11: 80.0, 12: 82.0},
        served={11: 10_400, 12: 9_600},
        seconds=50.0,
    )
    _, small = databases(quick=True)
    rate, rss = throughput_results(
        {"bare": bare, "session": session}, memory, small, per_worker=10_000
    )
    assert (rate.figure, rate.reference, rate.ratio) == (125.0, 200.0, 0.625)
    assert rate.met is True
    assert "queue p50 10.0 / p99 10.0 ms" in rate.notes and "1 errors of 500" in rate.notes
    assert "bare p50" in rate.details
    assert (rss.figure, rss.reference, rss.ratio, rss.met) == (120.0, 150.0, 0.8, True)
    assert "worker 2: 120 MB after 9,600 requests (82 MB warmed up)" in rss.notes
    assert "NOT every worker reached 10,000 requests" in rss.notes
    # A miss is explained: in-process times of each request, and where the session's go.
    slow = Window(requests=100, seconds=4.0, latencies={QUEUE: [0.05]})
    profile = {"median_ms": {"bare": 1.2, "queue": 15.0}, "profile": {"queue": "(queue profile)"}}
    rate, _ = throughput_results(
        {"bare": bare, "session": slow}, memory, small, per_worker=10_000, profile=profile
    )
    assert rate.met is False
    assert "bare 1.2 ms, queue 15.0 ms" in rate.details and "(queue profile)" in rate.details


def test_throughput_uses_the_bare_view_of_the_api_benchmark():
    from bench.api_urls import BARE_PATH
    from bench.throughput import BARE

    assert f"/{BARE_PATH}" == BARE


@pytest.mark.django_db
def test_the_throughput_breakdown_times_and_profiles_each_session_request(settings, student):
    from knox.models import AuthToken

    from bench.throughput import _profile
    from tests.factories import DeckFactory, QuestionFactory

    settings.ROOT_URLCONF = "bench.api_urls"
    QuestionFactory(deck=DeckFactory())
    _, token = AuthToken.objects.create(user=student)
    found = _profile(token, 2)
    assert set(found["median_ms"]) == {"bare", "queue", "queue + review"}
    assert "quizapp/api/views/study.py" in found["profile"]["queue"]


def test_the_benchmarks_child_commands_refuse_unknown_arguments():
    from bench import scale, throughput

    with pytest.raises(SystemExit, match="usage"):
        throughput.main(["profile"])
    with pytest.raises(SystemExit, match="usage"):
        scale.main(["serve", "someone"])


def test_exam_benchmark_compares_the_same_learners_with_and_without_exam_mode():
    from bench.exam import simulate

    figures = simulate(4)
    assert 0 < figures["share_without"] <= 1 and 0 < figures["share_with"] <= 1
    assert figures["reviews_with"] > 0 and figures["reviews_without"] > 0
    assert simulate(4) == figures  # seeded: the same learners each run
