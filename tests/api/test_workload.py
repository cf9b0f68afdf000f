"""The workload simulation over the API: ask, poll, read."""

from datetime import UTC, datetime

import pytest

from quizapp.study import services
from quizapp.study.simulation import RETENTIONS
from tests.api.conftest import error_of

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_a_small_collection_is_simulated_at_once(api, learner, questions):
    assert api.get("/api/v1/me/workload").status_code == 404
    response = api.post("/api/v1/me/workload")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["progress"]) == ("done", 1.0)
    result = body["result"]
    assert (result["started_cards"], result["new_cards"]) == (0, 5)
    assert [h["days"] for h in result["horizons"]] == [30, 90, 365]
    for horizon in result["horizons"]:
        assert [w["desired_retention"] for w in horizon["workloads"]] == list(RETENTIONS)
        assert horizon["recommended_retention"] in RETENTIONS
        assert all(w["minutes_per_day"] > 0 for w in horizon["workloads"])
    assert api.get("/api/v1/me/workload").json() == body


def test_a_large_collection_runs_in_the_background_and_shows_progress(
    api, learner, questions, monkeypatch
):
    monkeypatch.setattr(services, "INLINE_SIMULATION_CARDS", 2)
    response = api.post("/api/v1/me/workload")
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["result"]) == ("queued", None)
    services.workload_simulation_run(user=learner)
    body = api.get("/api/v1/me/workload").json()
    assert body["status"] == "done" and body["result"]["new_cards"] == 5


def test_each_learner_sees_only_their_own_simulation(api, other_api, learner, questions):
    api.post("/api/v1/me/workload")
    assert other_api.get("/api/v1/me/workload").status_code == 404


def test_asking_takes_no_body(api, learner):
    response = api.post("/api/v1/me/workload", {"retention": 0.9}, format="json")
    assert response.status_code == 400
    assert "retention" in error_of(response)["fields"]


def test_reading_it_takes_few_queries(api, learner, questions, django_assert_max_num_queries):
    api.post("/api/v1/me/workload")
    # As GET me: the token and the throttle's cache rows; then the simulation.
    with django_assert_max_num_queries(9):
        assert api.get("/api/v1/me/workload").status_code == 200
