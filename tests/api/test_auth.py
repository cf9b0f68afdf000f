from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from quizapp.accounts.models import User
from quizapp.study.models import LearnerSettings
from tests.api.conftest import error_of, token_client
from tests.factories import PASSWORD

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def login(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def test_register_creates_a_student_and_returns_it(anonymous, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = anonymous.post(
            REGISTER,
            {"username": "newton", "password": "apple-falls-1687", "email": "n@example.com"},
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "username", "email", "role", "date_joined"}
    assert body["username"] == "newton" and body["role"] == "student"
    user = User.objects.get(username="newton")
    assert user.check_password("apple-falls-1687")
    assert not user.is_staff


def test_register_refuses_a_taken_username_whatever_its_case(anonymous, learner):
    response = anonymous.post(
        REGISTER, {"username": learner.username.upper(), "password": "apple-falls-1687"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "username_taken"


def test_register_applies_the_password_validators(anonymous):
    response = anonymous.post(REGISTER, {"username": "newton", "password": "12345678"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and "password" in error["fields"]
    assert not User.objects.filter(username="newton").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"username": "newton", "password": "apple-falls-1687", "is_staff": True},
        {"username": "newton", "password": "apple-falls-1687", "role": "teacher"},
        {"username": 12345, "password": "apple-falls-1687"},
        {"username": "new ton", "password": "apple-falls-1687"},
        {"username": "x" * 151, "password": "apple-falls-1687"},
        {"username": "newton"},
        ["newton"],
    ],
)
def test_register_rejects_fields_it_does_not_take_and_bad_values(anonymous, db, body):
    response = anonymous.post(REGISTER, body, format="json")
    assert response.status_code == 400
    error_of(response)
    assert not User.objects.exists()


def test_login_returns_a_token_its_expiry_and_the_user(
    anonymous, learner, django_assert_max_num_queries
):
    # 18 are the three login throttles in the database cache, 3 are django-axes (lock-out
    # check, expired-failure clean-up, reset on success).
    with django_assert_max_num_queries(27):
        response = login(anonymous, learner.username)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry", "user"}
    assert body["user"]["username"] == learner.username
    token = AuthToken.objects.get(user=learner)
    assert token.digest != body["token"]  # stored hashed
    expires = token.expiry - timezone.now()
    assert timedelta(days=29) < expires <= settings.REST_KNOX["TOKEN_TTL"]
    me = APIClient(HTTP_AUTHORIZATION=f"Bearer {body['token']}").get("/api/v1/me")
    assert me.status_code == 200 and me.json()["id"] == learner.pk


def test_each_login_is_its_own_device_token(anonymous, learner):
    first = login(anonymous, learner.username).json()["token"]
    second = login(anonymous, learner.username).json()["token"]
    assert first != second
    assert AuthToken.objects.filter(user=learner).count() == 2


def test_devices_beyond_the_limit_sign_out_the_least_recently_used(anonymous, learner, settings):
    settings.API_MAX_DEVICE_TOKENS = 2
    oldest = login(anonymous, learner.username).json()["token"]
    login(anonymous, learner.username)
    login(anonymous, learner.username)
    assert AuthToken.objects.filter(user=learner).count() == 2
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {oldest}").get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_login_with_a_wrong_password_is_refused(anonymous, learner, password):
    response = login(anonymous, learner.username, password)
    assert response.status_code == 400
    assert error_of(response)["code"] in {"invalid_credentials", "invalid"}
    assert not AuthToken.objects.exists()


def test_login_of_a_deactivated_account_is_refused(anonymous, learner):
    learner.is_active = False
    learner.save()
    response = login(anonymous, learner.username)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_credentials"


def test_login_is_throttled_with_retry_after(anonymous, learner, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anonymous": "1000/minute",
            "user": "1000/minute",
            "login": "3/minute",
        },
    }
    for _ in range(3):
        assert login(anonymous, learner.username, "wrong-password").status_code == 400
    response = login(anonymous, learner.username)  # even the right password now waits
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_login_throttle_is_per_address_so_strangers_cannot_trip_a_learners(
    anonymous, learner, settings
):
    """A limit per username would let anyone keep a learner out with a few wrong passwords."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anonymous": "1000/minute",
            "user": "1000/minute",
            "login": "2/minute",
        },
    }
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        anonymous.post(
            LOGIN, {"username": learner.username, "password": "nope"}, REMOTE_ADDR=address
        )
    response = anonymous.post(
        LOGIN, {"username": learner.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.4"
    )
    assert response.status_code == 200


def test_logout_ends_only_this_device(learner, django_assert_max_num_queries):
    phone, tablet = token_client(learner), token_client(learner)
    with django_assert_max_num_queries(12):
        response = phone.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 200


def test_logout_all_ends_every_device(learner, other_learner, django_assert_max_num_queries):
    phone, tablet = token_client(learner), token_client(learner)
    someone_else = token_client(other_learner)
    with django_assert_max_num_queries(12):
        response = phone.post("/api/v1/auth/logout-all")
    assert response.status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 401
    assert someone_else.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/api/v1/auth/logout-all"])
def test_logout_refuses_fields_naming_them_and_signs_nothing_out(learner, path):
    phone, tablet = token_client(learner), token_client(learner)
    response = phone.post(path, {"device": "tablet"})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["device"]
    assert phone.get("/api/v1/me").status_code == 200
    assert tablet.get("/api/v1/me").status_code == 200


def test_logout_needs_a_signed_in_device(anonymous, db):
    response = anonymous.post("/api/v1/auth/logout")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_token_expires_after_its_ttl_without_use(learner):
    client = token_client(learner)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(user=learner).exists()


def test_using_a_token_keeps_it_alive(learner):
    client = token_client(learner)
    start = timezone.now()
    for days in (20, 40, 60):
        with time_machine.travel(start + timedelta(days=days)):
            assert client.get("/api/v1/me").status_code == 200
    with time_machine.travel(start + timedelta(days=60 + 31)):
        assert client.get("/api/v1/me").status_code == 401


def test_a_garbage_token_is_refused(anonymous, db):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = anonymous.get("/api/v1/me")
    assert response.status_code == 401
    error_of(response)


def test_me_shows_the_user_and_settings(api, learner, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == learner.username
    assert set(body["settings"]) == {
        "desired_retention",
        "new_cards_per_day",
        "max_reviews_per_day",
        "time_zone",
        "day_start_hour",
        "suspend_leeches",
        "learning_steps",
        "relearning_steps",
        "maximum_interval",
        "bury_related",
        "personal_parameters",
        "parameters_fitted_at",
        "parameters_review_count",
        "last_fit",
        "updated_at",
    }
    assert body["settings"]["last_fit"] is None
    assert body["settings"]["personal_parameters"] is False


def test_me_shows_how_the_last_refit_was_judged(api, learner):
    from datetime import UTC, datetime

    from quizapp.study.models import LearnerSettings

    fitted_at = datetime(2026, 3, 2, 12, tzinfo=UTC)
    LearnerSettings.objects.update_or_create(
        user=learner,
        defaults={
            "last_fit_at": fitted_at,
            "last_fit_log_loss": 0.4213,
            "last_fit_current_log_loss": 0.4102,
            "last_fit_applied": False,
        },
    )
    settings = api.get("/api/v1/me").json()["settings"]
    assert settings["personal_parameters"] is False
    assert settings["last_fit"] == {
        "at": "2026-03-02T12:00:00Z",
        "log_loss": 0.4213,
        "current_log_loss": 0.4102,
        "applied": False,
    }


def test_me_shows_only_the_caller(api, other_api, learner, other_learner):
    assert api.get("/api/v1/me").json()["id"] == learner.pk
    assert other_api.get("/api/v1/me").json()["id"] == other_learner.pk


def test_settings_change(api, learner, django_assert_max_num_queries):
    # Without cards; a change of retention, zone or day start also re-derives every card
    # (the service replays each card's log), which costs a few queries per card.
    with django_assert_max_num_queries(32):
        response = api.patch(
            "/api/v1/me/settings",
            {
                "desired_retention": 0.85,
                "new_cards_per_day": 7,
                "time_zone": "Asia/Baku",
                "day_start_hour": 5,
            },
        )
    assert response.status_code == 200, response.json()
    stored = LearnerSettings.objects.get(user=learner)
    assert (stored.desired_retention, stored.new_cards_per_day) == (0.85, 7)
    assert (stored.time_zone, stored.day_start_hour) == ("Asia/Baku", 5)
    assert response.json()["time_zone"] == "Asia/Baku"


@pytest.mark.parametrize(
    "change",
    [
        {"desired_retention": 0.5},
        {"desired_retention": 0.99},
        {"desired_retention": "0.9"},
        {"new_cards_per_day": -1},
        {"new_cards_per_day": 10**30},
        {"time_zone": "Mars/Olympus"},
        {"day_start_hour": 24},
        {"day_start_hour": True},
        {"parameters": [0.1] * 21},
        {"user": 2},
    ],
)
def test_settings_refuse_bad_values_and_fields_clients_may_not_set(api, learner, change):
    before = api.get("/api/v1/me").json()["settings"]
    response = api.patch("/api/v1/me/settings", change)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == set(change)
    assert api.get("/api/v1/me").json()["settings"] == before
    assert LearnerSettings.objects.get(user=learner).parameters is None


def test_settings_change_one_learner_only(api, learner, other_learner):
    api.patch("/api/v1/me/settings", {"new_cards_per_day": 3})
    assert LearnerSettings.objects.filter(user=other_learner, new_cards_per_day=3).count() == 0


def test_browser_session_works_with_its_csrf_token(learner, client):
    client.force_login(learner)
    assert client.get("/api/v1/me").status_code == 200
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(learner)
    refused = csrf_client.patch("/api/v1/me/settings", {"new_cards_per_day": 3}, format="json")
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "permission_denied"
    csrf_client.get("/api/v1/me")  # any page sets the cookie in a real browser; here, by hand
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    csrf_client.cookies[settings.CSRF_COOKIE_NAME] = token
    allowed = csrf_client.patch(
        "/api/v1/me/settings", {"new_cards_per_day": 3}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert allowed.status_code == 200
