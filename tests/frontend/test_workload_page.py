"""The workload simulation on the settings page: ask for it, watch it run, read the result."""

import re

from quizapp.study import services
from quizapp.study.models import WorkloadSimulation
from tests.frontend.conftest import csrf_token


def test_a_simulation_shows_a_chart_and_a_table_of_every_retention(signed_in, learner, bank):
    html = signed_in.get("/settings/").content.decode()
    assert "Simulate my workload" in html and "workload-chart" not in html
    response = signed_in.post("/settings/workload/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/#workload-heading"

    html = signed_in.get("/settings/").content.decode()
    assert '<svg class="workload-chart"' in html
    assert html.count('class="line workload-') == 3  # 30, 90 and 365 days
    result = WorkloadSimulation.objects.get(user=learner).result
    best = result["recommended"]["365"]
    assert f"a desired retention of {best:.2f} costs the least work per card remembered" in html
    year = re.search(r"<summary>The next year \(table\)</summary>(.*?)</table>", html, re.S)
    assert year is not None
    rows = re.findall(r'<tr(?: class="recommended")?><th scope="row">(0\.\d\d)', year.group(1))
    assert rows == ["0.70", "0.75", "0.80", "0.85", "0.90", "0.93", "0.95", "0.97"]
    assert re.search(rf"<th scope=\"row\">{best:.2f} <span class=\"badge\">recommended", html)
    badge = '<span class="badge">'
    mine = rf'<th scope="row">0\.90(?: {badge}recommended</span>)? {badge}yours'
    assert re.search(mine, year.group(1))
    assert "Simulate again" in html


def test_with_htmx_the_section_is_swapped_and_polls_while_it_runs(
    signed_in, learner, bank, monkeypatch
):
    monkeypatch.setattr(services, "INLINE_SIMULATION_CARDS", 2)
    response = signed_in.post("/settings/workload/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section id="workload"')
    assert 'hx-get="/settings/workload/" hx-trigger="every 1s"' in html
    assert 'role="status">Simulating… 0% done.' in html
    WorkloadSimulation.objects.filter(user=learner).update(progress=0.5)
    html = signed_in.get("/settings/workload/", HTTP_HX_REQUEST="true").content.decode()
    assert "Simulating… 50% done." in html
    services.workload_simulation_run(user=learner)
    html = signed_in.get("/settings/workload/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html and '<svg class="workload-chart"' in html


def test_each_learner_sees_only_their_own_simulation(signed_in, learner, other_learner, bank):
    services.workload_simulation_request(user=other_learner)
    html = signed_in.get("/settings/").content.decode()
    assert "workload-chart" not in html and "Simulate my workload" in html


def test_asking_for_a_simulation_needs_the_csrf_token(csrf_client, learner, bank):
    assert csrf_client.post("/settings/workload/").status_code == 403
    assert not WorkloadSimulation.objects.exists()
    token = csrf_token(csrf_client, "/settings/")
    response = csrf_client.post("/settings/workload/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_the_settings_page_with_a_simulation_takes_few_queries(
    signed_in, learner, bank, django_assert_max_num_queries
):
    services.workload_simulation_request(user=learner)
    # Session, user, settings; presets, their decks, the decks; the simulation.
    with django_assert_max_num_queries(7):
        signed_in.get("/settings/")


def test_the_chart_places_each_retention_and_says_the_figures_in_words():
    from frontend.charts import WORKLOAD_LEFT, WORKLOAD_WIDTH, workload_chart

    def point(retention, minutes, memorised):
        return {
            "desired_retention": retention,
            "reviews_per_day": 1.2,
            "minutes_per_day": minutes,
            "memorised": memorised,
            "minutes_per_memorised_card": minutes * 365 / memorised,
        }

    result = {
        "horizons": [30, 365],
        "recommended": {"30": 0.8, "365": 0.7},
        "workloads": {
            "30": [point(0.7, 2.0, 10), point(0.8, 3.0, 20), point(0.97, 9.0, 25)],
            "365": [point(0.7, 0.6, 80), point(0.8, 0.9, 88), point(0.97, 2.0, 96)],
        },
    }
    chart = workload_chart(result, current_retention=0.8)
    assert [line.days for line in chart.lines] == [30, 365]
    xs = [p.x for p in chart.lines[0].points]
    assert xs == [WORKLOAD_LEFT, round(WORKLOAD_LEFT + WORKLOAD_WIDTH / 2.7), WORKLOAD_LEFT + 300]
    ys = [p.y for p in chart.lines[0].points]
    assert ys == sorted(ys, reverse=True)  # more minutes, higher up
    assert chart.recommended_x == WORKLOAD_LEFT
    assert chart.summary == (
        "Over the next year, a desired retention of 0.70 costs the least work per card "
        "remembered: about 1 review (1 minute) a day, with about 80 cards remembered at the "
        "end. At your 0.80: 1 review (1 minute) a day, 88 cards."
    )
    year, month = chart.tables
    assert (year.days, month.days) == (365, 30)
    assert [(r.retention, r.recommended, r.current) for r in year.rows] == [
        ("0.70", True, False),
        ("0.80", False, True),
        ("0.97", False, False),
    ]
