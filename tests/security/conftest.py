from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from quizapp.classroom.services import assignment_create, classroom_join, invitation_create
from quizapp.quizzes.services import attempt_start, attempt_submit
from quizapp.study.services import deck_preset_create
from tests.factories import (
    PASSWORD,
    ChoiceQuestionFactory,
    ClassroomFactory,
    DeckFactory,
    ParagraphFactory,
    QuestionFactory,
    QuizFactory,
    QuoteFactory,
    SourceFactory,
    StudentFactory,
    TeacherFactory,
)

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
API_LOGIN = "/api/v1/auth/login"


@pytest.fixture(autouse=True)
def _fresh_throttles(db):
    """API throttle counts live in the shared cache (a database table here): start at 0."""
    cache.clear()


# Accounts made a year ago, so reviews dated in the past are theirs to record.
JOINED = timezone.now() - timedelta(days=365)


@pytest.fixture
def learner(db):
    return StudentFactory(date_joined=JOINED)


@pytest.fixture
def other_learner(db):
    return StudentFactory(date_joined=JOINED)


@pytest.fixture
def teacher(db):
    return TeacherFactory()


def web_login(client, username, password=PASSWORD, address="10.0.0.1", url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def api_login(username, password=PASSWORD, address="10.0.0.1"):
    return APIClient().post(
        API_LOGIN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def token_client(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def session_keys_of(user) -> set[str]:
    """The stored browser sessions signed in as `user`, whatever the session engine."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return {
        row.session_key
        for row in store.get_model_class().objects.all()
        if store().decode(row.session_data).get(SESSION_KEY) == str(user.pk)
    }


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


@dataclass
class World:
    """One learner's belongings, a second learner, and content of every visibility."""

    learner: object
    other_learner: object
    teacher: object
    deck: object
    source: object
    studyable: object  # published, in a deck
    quiz_only: object  # published, in no deck: a quiz's question, never a flashcard
    draft: object
    public_quiz: object
    class_quiz: object  # assigned to the learner's class only
    classroom: object
    attempt: object  # the learner's, in progress
    submitted: object  # the learner's, submitted
    preset: object = None  # the learner's named deck preset
    invitation: object = None  # the learner's, open, to another class of the teacher's


@pytest.fixture
def world(db, learner, other_learner, teacher) -> World:
    source = SourceFactory(slug="the-article")
    paragraph = ParagraphFactory(source=source, number=1, text="Yerevan is the capital of Armenia.")
    deck = DeckFactory(slug="capitals")
    studyable = QuestionFactory(deck=deck, source=source, prompt="Yerevan is a capital.")
    QuoteFactory(question=studyable, paragraph=paragraph)
    quiz_only = ChoiceQuestionFactory(
        source=source, prompt="Which is the capital?", choices=[("Yerevan", True), ("Baku", False)]
    )
    QuoteFactory(question=quiz_only, paragraph=paragraph)
    draft = QuestionFactory(deck=deck, status="draft")
    # Not `studyable`: the attempt in progress would withhold it from study.
    public_quiz = QuizFactory(owner=teacher, questions=[quiz_only])
    class_quiz = QuizFactory(owner=teacher, visibility="assigned", questions=[quiz_only])
    classroom = ClassroomFactory(teachers=[teacher])
    classroom_join(user=learner, code=classroom.join_code)
    assignment_create(
        classroom=classroom,
        quiz=class_quiz,
        due_at=timezone.now() + timedelta(days=7),
        by=teacher,
    )
    submitted = attempt_start(user=learner, quiz=class_quiz)
    attempt_submit(attempt=submitted)
    attempt = attempt_start(user=learner, quiz=public_quiz)
    preset = deck_preset_create(user=learner, name="Exam")
    invitation = invitation_create(
        classroom=ClassroomFactory(teachers=[teacher]), username=learner.username, by=teacher
    )
    return World(
        learner, other_learner, teacher, deck, source, studyable, quiz_only, draft,
        public_quiz, class_quiz, classroom, attempt, submitted, preset, invitation,
    )  # fmt: skip
