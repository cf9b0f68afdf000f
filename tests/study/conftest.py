import uuid
from datetime import UTC, datetime

import pytest

from tests.factories import DeckFactory, QuestionFactory

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def deck(db):
    return DeckFactory()


@pytest.fixture
def questions(deck):
    return [QuestionFactory(deck=deck) for _ in range(5)]


@pytest.fixture
def learner(student):
    student.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
    student.save(update_fields=["date_joined"])
    return student


def new_id() -> uuid.UUID:
    return uuid.uuid4()
