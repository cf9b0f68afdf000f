import re
from datetime import timedelta

from django.test import Client

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
    # With the settings (again) and the exams coming, for the exam notices.
    with django_assert_max_num_queries(12):
        assert signed_in.get("/").status_code == 200


def test_home_says_how_many_cards_to_review_before_an_exam(
    signed_in, learner, other_learner, bank, time_machine
):
    from quizapp.classroom.services import assignment_create, classroom_join
    from tests.factories import ClassroomFactory, TeacherFactory

    teacher = TeacherFactory()
    classroom = ClassroomFactory(teachers=[teacher], name="Year 9")
    classroom_join(user=learner, code=classroom.join_code)
    # Two cards learnt with Easy yesterday: below 0.9 by an exam in ten days; five unstarted.
    record(learner, bank.true_false, 4, at=NOW - timedelta(days=1))
    record(learner, bank.single, 4, at=NOW - timedelta(days=1))
    exam = (NOW + timedelta(days=10)).date()
    assignment_create(
        classroom=classroom,
        by=teacher,
        deck=bank.deck,
        due_at=NOW + timedelta(days=9),
        exam_date=exam,
    )
    html = signed_in.get("/").content.decode()
    assert "<strong>7 cards to review before the exam on Thu 12 Mar</strong>" in html
    assert "Capitals (Year 9)" in html
    assert 'href="/study/capitals/" aria-label="Study Capitals for the exam"' in html

    other = Client()
    other.force_login(other_learner)
    assert "before the exam" not in other.get("/").content.decode()
