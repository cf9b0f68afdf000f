"""Who may reach what in the student web app: every URL pattern is classified
(tests/security/web_pages.py), anonymous visitors are sent to log in, a second learner gets
404 for another learner's objects, students get nothing from the teacher admin, and forms
ignore the fields a learner may not set."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from quizapp.accounts.models import User
from quizapp.bank.models import Choice
from quizapp.classroom.models import Enrolment
from quizapp.quizzes.models import Attempt, Response
from quizapp.study.models import CardState, LearnerSettings, Review
from tests.factories import ClassroomFactory
from tests.security.web_pages import (
    OBJECT,
    PAGES,
    PUBLIC,
    SHARED,
    frontend_pattern_names,
    url_of,
)


def signed_in_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot() -> dict:
    """Row counts that no refused request may change."""
    return {
        "attempts": Attempt.objects.count(),
        "responses": Response.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "reviews": Review.objects.count(),
        "cards": CardState.objects.count(),
        "users": User.objects.count(),
    }


def request(client: Client, method: str, url: str, data=None):
    return getattr(client, method.lower())(url, data or {})


def test_every_web_url_pattern_is_classified():
    names = frontend_pattern_names()
    assert len(names) == len(set(names)), "two web patterns share a name"
    assert set(names) == set(PAGES), (
        "classify new web pages in tests/security/web_pages.py "
        f"(missing: {set(names) - set(PAGES)}, stale: {set(PAGES) - set(names)})"
    )


SIGNED_IN_ONLY = [
    (name, method) for name, page in PAGES.items() if page.kind != PUBLIC for method in page.methods
]


@pytest.mark.parametrize(("name", "method"), SIGNED_IN_ONLY)
def test_anonymous_visitors_are_sent_to_log_in_and_change_nothing(client, world, name, method):
    before = snapshot()
    response = request(client, method, url_of(name, world), {"question": world.studyable.pk})
    assert response.status_code == 302, (name, method)
    assert response["Location"].startswith("/accounts/login/?next="), name
    assert snapshot() == before


@pytest.mark.parametrize(
    "name", [name for name, page in PAGES.items() if "PUT" not in page.methods]
)
def test_each_page_refuses_the_methods_it_does_not_take(world, name):
    response = signed_in_as(world.learner).put(url_of(name, world))
    assert response.status_code == 405, name


OBJECT_REQUESTS = [
    (name, method) for name, page in PAGES.items() if page.kind == OBJECT for method in page.methods
]


@pytest.mark.parametrize(("name", "method"), OBJECT_REQUESTS)
def test_a_second_learner_gets_404_for_another_learners_objects(world, name, method):
    before = snapshot()
    choice = Choice.objects.get(question=world.quiz_only, is_correct=True)
    response = request(
        signed_in_as(world.other_learner), method, url_of(name, world), {"answer": choice.pk}
    )
    assert response.status_code == 404, (name, method)
    assert snapshot() == before
    assert Enrolment.objects.filter(student=world.learner, classroom=world.classroom).exists()


@pytest.mark.parametrize(
    "name", [name for name, page in PAGES.items() if page.kind == OBJECT and "GET" in page.methods]
)
def test_the_owner_does_reach_their_objects(world, name):
    assert signed_in_as(world.learner).get(url_of(name, world)).status_code == 200, name


def test_a_draft_quiz_or_one_not_open_to_the_learner_is_404(world):
    learner = signed_in_as(world.learner)
    world.public_quiz.published = False
    world.public_quiz.save()
    assert learner.get(reverse("quiz_detail", args=[world.public_quiz.pk])).status_code == 404
    assert learner.post(reverse("quiz_start", args=[world.public_quiz.pk])).status_code == 404
    assert learner.get(reverse("quiz_detail", args=[10**9])).status_code == 404


@pytest.mark.parametrize("name", [n for n, page in PAGES.items() if page.kind == SHARED])
def test_shared_content_is_open_to_every_learner_and_unknown_slugs_are_404(world, name):
    other = signed_in_as(world.other_learner)
    assert other.get(url_of(name, world)).status_code == 200
    assert other.get(reverse(name, args=["no-such-thing"])).status_code == 404


@pytest.mark.parametrize("view_name", ["study", "practice", "study_deck", "practice_deck"])
@pytest.mark.parametrize("card", ["draft", "quiz_only", "missing", "garbage"])
def test_only_studyable_cards_can_be_opened_with_card(world, view_name, card):
    """`?card=` opens a flashcard, answer included: only for a published question in a deck,
    never a draft or a quiz's own question (its answer would leak before the quiz)."""
    question_id = {
        "draft": world.draft.pk,
        "quiz_only": world.quiz_only.pk,
        "missing": 10**9,
        "garbage": "1; DROP TABLE",
    }[card]
    url = reverse(view_name, args=[world.deck.slug] if view_name.endswith("_deck") else None)
    response = signed_in_as(world.learner).get(url, {"card": question_id})
    assert response.status_code == 404
    assert signed_in_as(world.learner).get(url, {"card": world.studyable.pk}).status_code == 200


def test_a_quiz_question_cannot_be_practised_or_rated_as_a_card(world):
    learner = signed_in_as(world.learner)
    right = Choice.objects.get(question=world.quiz_only, is_correct=True)
    before = snapshot()
    graded = learner.post(
        reverse("practice_answer"), {"question": world.quiz_only.pk, "answer": right.pk}
    )
    assert graded.status_code == 404  # no grading oracle for quiz answers
    rated = learner.post(
        reverse("study_review"),
        {
            "question": world.quiz_only.pk,
            "rating": 3,
            "review_id": "0b0f6a8e-8f43-4c4e-9d0e-1d2f3a4b5c6d",
        },
    )
    assert rated.status_code == 404
    assert snapshot() == before


def test_the_source_page_neither_lists_nor_highlights_quiz_questions(world):
    learner = signed_in_as(world.learner)
    html = learner.get(reverse("source_detail", args=[world.source.slug])).content.decode()
    assert world.studyable.prompt in html
    assert world.quiz_only.prompt not in html
    highlighted = learner.get(
        reverse("source_detail", args=[world.source.slug]), {"q": world.quiz_only.slug}
    ).content.decode()
    assert "<mark" not in highlighted


def test_the_class_page_shows_teachers_but_no_other_student(world):
    Enrolment.objects.create(
        classroom=world.classroom, student=world.other_learner, joined_at=world.attempt.started_at
    )
    html = signed_in_as(world.learner).get(reverse("class_list")).content.decode()
    assert world.classroom.name in html and world.teacher.username in html
    assert world.other_learner.username not in html


# --------------------------------------------------------------------------- teacher admin


def admin_urls() -> list[str]:
    """Every route of the admin site with each parameter filled in: one URL per view."""
    urls = []

    def walk(patterns, prefix):
        for entry in patterns:
            route = getattr(entry.pattern, "_route", None)
            if route is None:  # a regex: the app index and the catch-all, added below
                continue
            path = prefix + re.sub(r"<(?:\w+:)?(\w+)>", "1", route)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, path)
            elif isinstance(entry, URLPattern):
                urls.append(path)

    walk(admin.site.get_urls(), "/admin/")
    urls += ["/admin/quizzes/", "/admin/classroom/", "/admin/accounts/"]
    return sorted(set(urls) - {"/admin/login/", "/admin/logout/"})


def test_the_admin_has_many_routes_to_check():
    urls = admin_urls()
    assert len(urls) > 60
    assert "/admin/quizzes/attempt/" in urls and "/admin/classroom/classroom/1/change/" in urls


def test_students_get_nothing_from_the_teacher_admin(world):
    student = signed_in_as(world.learner)
    for url in admin_urls():
        response = student.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_students_cannot_sign_in_to_the_admin(client, world):
    response = client.post(
        "/admin/login/", {"username": world.learner.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 200  # the form again, with a message for non-staff
    assert "_auth_user_id" not in client.session


# --------------------------------------------------------------------------- mass assignment


def test_the_settings_form_ignores_fields_it_does_not_have(world):
    learner = signed_in_as(world.learner)
    response = learner.post(
        reverse("learner_settings"),
        {
            "desired_retention": "0.85",
            "new_cards_per_day": "10",
            "max_reviews_per_day": "200",
            "learning_steps": "1m 10m",
            "relearning_steps": "10m",
            "maximum_interval": "36500",
            "time_zone": "UTC",
            "day_start_hour": "4",
            "user": world.other_learner.pk,
            "parameters": "[0.1, 0.2]",
            "reviews_since_fit": "999",
            "is_staff": "on",
            "username": "someone-else",
        },
    )
    assert response.status_code == 302
    settings = LearnerSettings.objects.get(user=world.learner)
    assert settings.new_cards_per_day == 10
    assert settings.parameters is None and settings.reviews_since_fit == 0
    assert not LearnerSettings.objects.filter(user=world.other_learner).exists()
    world.learner.refresh_from_db()
    assert not world.learner.is_staff and world.learner.username != "someone-else"


def test_a_rating_form_sets_only_the_learners_own_review(world):
    learner = signed_in_as(world.learner)
    response = learner.post(
        reverse("study_review"),
        {
            "question": world.studyable.pk,
            "rating": 3,
            "review_id": "0b0f6a8e-8f43-4c4e-9d0e-1d2f3a4b5c6d",
            "user": world.other_learner.pk,
            "stability": "9999",
            "state": "2",
            "due": "2000-01-01T00:00:00Z",
            "reviewed_at": "2000-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 302
    review = Review.objects.get(question=world.studyable)
    assert review.user == world.learner and review.reviewed_at.year > 2000
    card = CardState.objects.get(question=world.studyable)
    assert card.user == world.learner and card.stability < 100
    assert not Review.objects.filter(user=world.other_learner).exists()


def test_an_answer_form_cannot_set_its_own_grade(world):
    learner = signed_in_as(world.learner)
    wrong = Choice.objects.get(question=world.quiz_only, is_correct=False)
    shown = world.attempt.questions.get(question=world.quiz_only).display_order
    learner.post(
        reverse("attempt_answer", args=[world.attempt.pk, world.quiz_only.pk]),
        # Quiz options are numbered as shown (1, 2, ...), not by bank id.
        {
            "answer": shown.index(wrong.pk) + 1,
            "correct": "true",
            "score": "1",
            "points_awarded": "100",
        },
    )
    response = Response.objects.get(
        attempt_question__attempt=world.attempt, attempt_question__question=world.quiz_only
    )
    assert response.correct is False and response.score == 0
    world.attempt.refresh_from_db()
    assert world.attempt.score is None and world.attempt.status == Attempt.Status.IN_PROGRESS


def test_starting_a_quiz_or_joining_a_class_is_for_oneself(world):
    learner = signed_in_as(world.learner)
    learner.post(
        reverse("quiz_start", args=[world.public_quiz.pk]), {"user": world.other_learner.pk}
    )
    assert not Attempt.objects.filter(user=world.other_learner).exists()
    other_class = ClassroomFactory()
    learner.post(
        reverse("class_list"), {"code": other_class.join_code, "student": world.other_learner.pk}
    )
    assert Enrolment.objects.filter(classroom=other_class, student=world.learner).exists()
    assert not Enrolment.objects.filter(student=world.other_learner).exists()


def test_signing_up_cannot_make_staff(client, db):
    client.post(
        reverse("signup"),
        {
            "username": "eve",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": "1",
        },
    )
    eve = User.objects.get(username="eve")
    assert not eve.is_staff and not eve.is_superuser and not eve.groups.exists()
