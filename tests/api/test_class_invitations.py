"""Invitations over the API: a learner lists the teachers' invitations, accepts or declines."""

import pytest

from quizapp.classroom.models import Enrolment, Invitation
from quizapp.classroom.services import classroom_create, invitation_create
from tests.api.conftest import JOINED, error_of
from tests.factories import TeacherFactory

INVITATIONS = "/api/v1/classes/invitations"


@pytest.fixture
def invitation(learner):
    teacher = TeacherFactory(first_name="Anna", last_name="Petrosyan")
    classroom = classroom_create(name="9B history", teacher=teacher)
    return invitation_create(classroom=classroom, username=learner.username, by=teacher, now=JOINED)


def test_a_learner_lists_their_open_invitations(
    api, other_api, learner, invitation, django_assert_max_num_queries
):
    for name in ("9C", "9D"):
        teacher = TeacherFactory()
        invitation_create(
            classroom=classroom_create(name=name, teacher=teacher),
            username=learner.username,
            by=teacher,
        )
    with django_assert_max_num_queries(12):  # signing in and throttling take 6
        response = api.get(INVITATIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"][-1] == {
        "id": invitation.pk,
        "class_name": "9B history",
        "teachers": ["Anna Petrosyan"],
        "invited_by": "Anna Petrosyan",
        "invited_at": "2026-01-01T00:00:00Z",
    }
    assert other_api.get(INVITATIONS).json()["count"] == 0


def test_accepting_joins_the_class(api, invitation):
    response = api.post(f"{INVITATIONS}/{invitation.pk}/accept")
    assert response.status_code == 201
    assert response.json()["name"] == "9B history" and response.json()["role"] == "student"
    assert [c["name"] for c in api.get("/api/v1/classes").json()["results"]] == ["9B history"]
    assert api.get(INVITATIONS).json()["count"] == 0
    again = api.post(f"{INVITATIONS}/{invitation.pk}/accept")
    assert again.status_code == 404 and error_of(again)["code"] == "not_found"


def test_declining_enrols_nobody(api, invitation):
    response = api.post(f"{INVITATIONS}/{invitation.pk}/decline")
    assert response.status_code == 204
    assert api.get("/api/v1/classes").json()["count"] == 0
    assert not Invitation.objects.exists() and not Enrolment.objects.exists()


def test_someone_elses_invitation_is_404(other_api, invitation):
    for action in ("accept", "decline"):
        response = other_api.post(f"{INVITATIONS}/{invitation.pk}/{action}")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert Invitation.objects.get() == invitation and not Enrolment.objects.exists()


def test_answering_takes_no_body(api, invitation):
    response = api.post(f"{INVITATIONS}/{invitation.pk}/accept", {"classroom": 1}, format="json")
    assert response.status_code == 400 and "classroom" in error_of(response)["fields"]
    assert not Enrolment.objects.exists()
