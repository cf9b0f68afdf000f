"""The API benchmark's parts (bench/api.py): its reference view, its figures (no timing)."""

import pytest
from django.urls import resolve

from bench.api import BARE, QUEUE, REVIEWS, Measurement, parse_wrk, results
from tests.api.conftest import error_of

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:41234/api/v1/study/queue
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.05ms    4.12ms  61.20ms   88.00%
    Req/Sec    95.12     10.33   120.00     70.00%
  Latency Distribution
     50%   20.10ms
     75%   22.31ms
     90%   25.50ms
     99%    1.02s
  571 requests in 3.01s, 1.90MB read
  Socket errors: connect 0, read 0, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:    189.70
Transfer/sec:    646.51KB
"""


def test_wrk_output_gives_requests_errors_and_percentiles():
    measured = parse_wrk(WRK_OUTPUT)
    assert measured.requests == 571 and measured.seconds == pytest.approx(3.01)
    assert measured.errors == 3
    assert measured.percentile(0.5) == pytest.approx(0.0201)
    assert measured.percentile(0.99) == pytest.approx(1.02)


def test_python_latencies_give_percentiles_and_rates_pool():
    first = Measurement(requests=3, seconds=1.0, latencies=[0.01, 0.02, 0.03])
    second = Measurement(requests=1, errors=1, seconds=1.0, latencies=[0.5])
    first.add(second)
    assert first.per_second == 2.0 and first.errors == 1
    assert first.percentile(0.5) == 0.03 and first.percentile(0.99) == 0.5


def test_each_figure_is_a_ratio_to_the_bare_view_with_its_target():
    measured = {
        BARE: Measurement(requests=1000, seconds=10.0, latencies=[0.01] * 10),
        QUEUE: Measurement(requests=800, seconds=10.0, latencies=[0.02] * 10),
        REVIEWS: Measurement(requests=400, seconds=10.0, latencies=[0.03] * 10),
    }
    queue, reviews, bare = results(measured, generator="wrk", url="sqlite:///x")
    assert queue.ratio == pytest.approx(0.8) and queue.met is True
    assert reviews.ratio == pytest.approx(0.4) and reviews.met is False
    assert bare.figure == 100.0 and "p50 10.0 ms" in bare.notes
    assert "2 sync workers" in queue.details


def test_the_bare_view_is_not_in_the_sites_urls(api):
    assert resolve(BARE).func.view_class.__name__ == "NotFoundView"
    response = api.get(BARE)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_the_bench_urlconf_adds_only_the_bare_view(api, settings, learner):
    settings.ROOT_URLCONF = "bench.api_urls"
    response = api.get(BARE)
    assert response.status_code == 200 and response.json() == {"user": learner.pk}
    assert api.get("/api/v1/me").status_code == 200
