import re
from datetime import timedelta

from quizapp.study import scheduling
from quizapp.study.models import ReviewDay
from tests.factories import ReviewDayFactory
from tests.frontend.conftest import NOW, PAGE_BUDGET, page_weight, record

TODAY = scheduling.day_number(NOW, tz="UTC", day_start_hour=4)


def test_progress_shows_four_charts_each_with_a_text_alternative(signed_in, learner, bank):
    record(learner, bank.single, 4, at=NOW - timedelta(days=3))
    record(learner, bank.single, 3, at=NOW)
    record(learner, bank.numeric, 1, at=NOW)
    html = signed_in.get("/progress/").content.decode()
    assert html.count("<svg") == 3 + 1  # heatmap, forecast, retention, one mastery bar
    for chart in ("heatmap", "forecast", "retention"):
        assert f'aria-labelledby="{chart}-heading {chart}-summary"' in html
        assert f'<figcaption id="{chart}-summary">' in html
    assert "3 reviews on 2 days in the past year" in html
    assert "<title>Mar 2: 2 reviews</title>" in html
    assert "True retention over the last 30 days: 100% of 1 review of learned cards" in html
    assert "Capitals" in html and "14% mastered: 1 of 7 cards (2 started)" in html
    assert re.search(r"<dt>Streak</dt><dd>1 day</dd>", html)
    assert re.search(r"<dt>Reviews today</dt><dd>2</dd>", html)
    assert "Reviews per month (table)" in html and "Due cards per day (table)" in html


def test_progress_of_a_new_learner_says_there_is_nothing_yet(signed_in, bank):
    html = signed_in.get("/progress/").content.decode()
    assert "No reviews in the past year yet." in html
    assert "No cards due in the next 30 days." in html
    assert "no retention yet" in html


def test_progress_never_shows_another_learners_reviews(signed_in, other_learner, bank):
    record(other_learner, bank.single, 3)
    html = signed_in.get("/progress/").content.decode()
    assert "No reviews in the past year yet." in html
    assert "0 started" in html


def test_progress_costs_the_same_queries_for_a_long_history(
    signed_in, learner, other_learner, bank, django_assert_max_num_queries
):
    record(learner, bank.single, 3)
    ReviewDay.objects.bulk_create(
        [ReviewDay(user=learner, day=TODAY - n, reviews=200, review_recalled=180,
                   review_forgotten=20) for n in range(1, 365)]
    )  # fmt: skip
    ReviewDayFactory(user=other_learner, day=TODAY)
    with django_assert_max_num_queries(9):
        response = signed_in.get("/progress/")
    assert "72,801 reviews on 365 days" in response.content.decode()
    assert page_weight(response) < PAGE_BUDGET
