"""A quiz's time limit reads and is typed in minutes in the admin, never as "0:15:00"."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from quizapp.quizzes.models import Quiz
from tests.factories import QuizFactory


def test_the_quiz_editor_shows_the_time_limit_in_minutes(client, teacher):
    quiz = QuizFactory(owner=teacher, time_limit=timedelta(minutes=15))
    client.force_login(teacher)
    html = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk])).content.decode()
    assert "Time limit (minutes)" in html
    assert 'name="time_limit" value="15"' in html
    assert "0:15:00" not in html


def test_the_quiz_preview_says_the_time_limit_in_words(client, teacher):
    quiz = QuizFactory(owner=teacher, time_limit=timedelta(hours=1, minutes=30))
    client.force_login(teacher)
    html = client.get(reverse("admin:quizzes_quiz_preview", args=[quiz.pk])).content.decode()
    assert "Time limit: 1 hour 30 minutes." in html
    assert "1:30:00" not in html


def time_limit_field(teacher):
    request = RequestFactory().get("/admin/")
    request.user = teacher
    form = admin.site.get_model_admin(Quiz).get_form(request)()
    return form.fields["time_limit"]


@pytest.mark.parametrize(
    ("typed", "saved"), [("20", timedelta(minutes=20)), (" 5 ", timedelta(minutes=5)), ("", None)]
)
def test_a_time_limit_is_typed_in_whole_minutes(teacher, typed, saved):
    assert time_limit_field(teacher).clean(typed) == saved


@pytest.mark.parametrize("typed", ["0:15:00", "abc", "0", "1441", "2.5", "-3"])
def test_a_time_limit_that_is_no_whole_number_of_minutes_is_refused_saying_how(teacher, typed):
    with pytest.raises(
        ValidationError, match=r"Enter the time limit in whole minutes, e\.g\. 15\."
    ):
        time_limit_field(teacher).clean(typed)
