import pytest

from tests.factories import StudentFactory, TeacherFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def student(db):
    return StudentFactory()


@pytest.fixture
def other_student(db):
    return StudentFactory()


@pytest.fixture
def teacher(db):
    return TeacherFactory()


@pytest.fixture
def other_teacher(db):
    return TeacherFactory()


@pytest.fixture(autouse=True)
def _no_rendered_questions_kept():
    """Rolled-back tests reuse ids (and frozen clocks reuse stamps): start each test afresh."""
    from quizapp.api.serializers import questions_data_forget

    questions_data_forget()
