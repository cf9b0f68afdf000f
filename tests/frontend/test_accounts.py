from quizapp.accounts.models import Role, User
from tests.factories import PASSWORD
from tests.frontend.conftest import csrf_token


def test_signing_up_creates_a_student_and_signs_them_in(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="newbie")
    assert user.role == Role.STUDENT and not user.is_staff
    assert client.get("/study/").status_code == 200


def test_sign_up_with_bad_input_re_renders_with_messages(client, db, student):
    response = client.post(
        "/accounts/signup/",
        {"username": student.username, "password1": "abc", "password2": "abd"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "already exists" in html
    assert "didn’t match" in html or "didn't match" in html
    assert 'role="alert"' in html
    assert User.objects.count() == 1


def test_signed_in_learners_are_sent_home_from_sign_up(signed_in):
    assert signed_in.get("/accounts/signup/")["Location"] == "/"


def test_sign_up_enforces_csrf(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    data = {"username": "x", "password1": "a-long-unusual-pass", "password2": "a-long-unusual-pass"}
    assert client.post("/accounts/signup/", data).status_code == 403
    data["csrfmiddlewaretoken"] = csrf_token(client, "/accounts/signup/")
    assert client.post("/accounts/signup/", data).status_code == 302


def test_changing_the_password(signed_in, learner):
    response = signed_in.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    assert response["Location"] == "/accounts/password/done/"
    learner.refresh_from_db()
    assert learner.check_password("another-long-passphrase")
    assert "Password changed" in signed_in.get("/accounts/password/done/").content.decode()


def test_a_wrong_old_password_re_renders_with_a_message(signed_in, learner):
    response = signed_in.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "x-long-pass-1", "new_password2": "x"},
    )
    assert response.status_code == 200  # Django's own view re-renders with errors
    assert "incorrectly" in response.content.decode()
    learner.refresh_from_db()
    assert learner.check_password(PASSWORD)


def test_password_change_enforces_csrf(csrf_client):
    data = {
        "old_password": PASSWORD,
        "new_password1": "another-long-passphrase",
        "new_password2": "another-long-passphrase",
    }
    assert csrf_client.post("/accounts/password/", data).status_code == 403
    data["csrfmiddlewaretoken"] = csrf_token(csrf_client, "/accounts/password/")
    assert csrf_client.post("/accounts/password/", data).status_code == 302


def test_account_pages_have_few_queries(signed_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        signed_in.get("/accounts/password/")
