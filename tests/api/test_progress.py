import uuid
from datetime import timedelta

from django.utils import timezone

from quizapp.study.services import review_record
from tests.api.conftest import error_of


def test_progress_shows_the_learners_figures(
    api, learner, questions, django_assert_max_num_queries
):
    for question in questions[:2]:
        review_record(
            user=learner,
            question=question,
            rating=3,
            reviewed_at=timezone.now() - timedelta(minutes=5),
            review_id=uuid.uuid4(),
        )
    with django_assert_max_num_queries(20):
        response = api.get("/api/v1/progress")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "today",
        "reviews_per_day",
        "retention",
        "retention_reviews",
        "retention_per_week",
        "forecast",
        "decks",
        "desired_retention",
        "exams",
    }
    assert body["exams"] == []
    assert len(body["reviews_per_day"]) == 365
    assert sum(day["reviews"] for day in body["reviews_per_day"]) == 2
    assert body["today"]["streak"] == 1
    assert len(body["forecast"]) == 30
    capitals = next(d for d in body["decks"] if d["slug"] == "capitals")
    assert capitals["started"] == 2 and capitals["total"] == 5


def test_progress_is_each_learners_own(api, other_api, learner, questions):
    review_record(
        user=learner,
        question=questions[0],
        rating=3,
        reviewed_at=timezone.now() - timedelta(minutes=5),
        review_id=uuid.uuid4(),
    )
    theirs = other_api.get("/api/v1/progress").json()
    assert sum(day["reviews"] for day in theirs["reviews_per_day"]) == 0
    assert theirs["today"]["streak"] == 0


def test_progress_needs_sign_in(anonymous, db):
    response = anonymous.get("/api/v1/progress")
    assert response.status_code == 401
    error_of(response)


def test_progress_takes_no_writes(api, learner):
    assert api.post("/api/v1/progress", {}).status_code == 405


def test_progress_shows_the_exams_coming(api, learner, questions, deck, time_machine):
    from datetime import UTC, datetime, timedelta

    from quizapp.classroom.services import assignment_create, classroom_join
    from tests.factories import ClassroomFactory, TeacherFactory

    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    time_machine.move_to(now, tick=False)
    teacher = TeacherFactory()
    classroom = ClassroomFactory(teachers=[teacher], name="Year 9")
    classroom_join(user=learner, code=classroom.join_code)
    assignment_create(
        classroom=classroom,
        by=teacher,
        deck=deck,
        due_at=now + timedelta(days=5),
        exam_date=(now + timedelta(days=5)).date(),
    )
    (exam,) = api.get("/api/v1/progress").json()["exams"]
    assert exam == {
        "deck": "capitals",
        "deck_title": "Capitals",
        "exam_date": "2026-03-07",
        "source": "Year 9",
        "days_left": 5,
        "cards_to_review": 5,
        "brought_forward_today": 0,
    }
