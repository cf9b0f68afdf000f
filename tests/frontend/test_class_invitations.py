"""A teacher's invitation on the student's Classes page: accept to join, or decline."""

import pytest
from django.urls import reverse

from quizapp.classroom.models import Enrolment, Invitation
from quizapp.classroom.services import classroom_create, invitation_create
from tests.factories import TeacherFactory
from tests.frontend.conftest import NOW


@pytest.fixture
def invitation(learner):
    teacher = TeacherFactory(first_name="Anna", last_name="Petrosyan")
    classroom = classroom_create(name="9B history", teacher=teacher)
    return invitation_create(classroom=classroom, username=learner.username, by=teacher, now=NOW)


def invitation_url(action, invitation):
    return reverse(f"class_invitation_{action}", args=[invitation.pk])


def test_an_invited_student_sees_the_invitation_and_joins_by_accepting(signed_in, invitation):
    page = signed_in.get(reverse("class_list")).content.decode()
    assert "Anna Petrosyan invited you to <strong>9B history</strong>." in page
    assert "You are not in a class yet." in page  # invited is not enrolled
    response = signed_in.post(invitation_url("accept", invitation))
    assert response.status_code == 302 and response["Location"] == reverse("class_list")
    page = signed_in.get(reverse("class_list")).content.decode()
    assert "You joined 9B history." in page
    assert "invited you" not in page
    assert '<h2 id="class-' in page and "Leave 9B history" in page
    assert Enrolment.objects.get().classroom == invitation.classroom


def test_a_declined_invitation_goes_away_and_enrols_nobody(signed_in, invitation):
    response = signed_in.post(invitation_url("decline", invitation))
    assert response.status_code == 302
    page = signed_in.get(reverse("class_list")).content.decode()
    assert "You declined the invitation to 9B history." in page
    assert "invited you" not in page and "Leave 9B history" not in page
    assert not Enrolment.objects.exists() and not Invitation.objects.exists()


def test_someone_elses_invitation_is_404(client, other_learner, invitation):
    client.force_login(other_learner)
    for action in ("accept", "decline"):
        assert client.post(invitation_url(action, invitation)).status_code == 404
    assert Invitation.objects.get() == invitation and not Enrolment.objects.exists()


def test_answering_an_invitation_is_a_post_with_its_csrf_token(csrf_client, invitation):
    assert csrf_client.get(invitation_url("accept", invitation)).status_code == 405
    assert csrf_client.post(invitation_url("accept", invitation)).status_code == 403
    assert not Enrolment.objects.exists()


def test_the_classes_page_with_invitations_has_bounded_queries(
    signed_in, learner, invitation, django_assert_max_num_queries
):
    for name in ("9C", "9D", "9E"):
        teacher = TeacherFactory()
        classroom = classroom_create(name=name, teacher=teacher)
        invitation_create(classroom=classroom, username=learner.username, by=teacher)
    with django_assert_max_num_queries(10):
        page = signed_in.get(reverse("class_list")).content.decode()
    assert page.count(">Accept</button>") == 4
