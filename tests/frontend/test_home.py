import re
from datetime import timedelta

from tests.factories import DeckFactory, QuestionFactory
from tests.frontend.conftest import NOW, record


def deck_row(html: str, title: str) -> dict[str, int]:
    row = re.search(rf"<tr>\s*<th scope=\"row\">{title}.*?</tr>", html, re.S).group(0)
    return {
        kind: int(re.search(rf'class="num count-{kind}">(\d+)<', row).group(1))
        for kind in ("new", "learning", "due")
    }


def test_anonymous_visitors_see_the_landing_page(client, db):
    html = client.get("/").content.decode()
    assert "Log in to start studying" in html and "Create an account" in html


def test_home_shows_counts_per_deck_today_and_the_streak(signed_in, learner, bank):
    record(learner, bank.single, 1, at=NOW - timedelta(days=1))  # learning, due again
    record(learner, bank.true_false, 3, at=NOW)
    html = signed_in.get("/").content.decode()
    assert deck_row(html, "Capitals") == {"new": 5, "learning": 1, "due": 0}
    assert re.search(r"<dt>Reviews</dt><dd>1</dd>", html)
    assert re.search(r"<dt>Streak</dt><dd>2 days</dd>", html)
    assert 'href="/study/capitals/"' in html and 'href="/practice/capitals/"' in html
    assert 'href="/study/"' in html


def test_home_never_shows_another_learners_progress(signed_in, other_learner, bank):
    for question in bank.published:
        record(other_learner, question, 3)
    html = signed_in.get("/").content.decode()
    assert deck_row(html, "Capitals") == {"new": 7, "learning": 0, "due": 0}
    assert re.search(r"<dt>Reviews</dt><dd>0</dd>", html)


def test_home_takes_a_bounded_number_of_queries(
    signed_in, learner, bank, django_assert_max_num_queries
):
    for n in range(5):
        deck = DeckFactory()
        for _ in range(3):
            record(learner, QuestionFactory(deck=deck), 3, at=NOW - timedelta(days=n))
    with django_assert_max_num_queries(10):
        assert signed_in.get("/").status_code == 200
