"""Sessions and device tokens: a new session key at every login, logout that ends the session
or the device, a deactivated account refused at its next request, a password change ending
every other session and device, and tokens that expire."""

from datetime import timedelta

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from quizapp.accounts.models import Session
from tests.factories import PASSWORD
from tests.security.conftest import ADMIN_LOGIN, session_keys_of, token_client, web_login

NEW_PASSWORD = "a-brand-new-passphrase"


def session_key(client: Client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def is_signed_in(client: Client) -> bool:
    return client.get("/settings/").status_code == 200


def test_the_session_key_changes_at_web_login(client, learner):
    before = client.session  # a session from before login, as an attacker could plant
    before["visited"] = True
    before.save()
    planted = session_key(client)
    assert web_login(client, learner.username).status_code == 302
    after = session_key(client)
    assert after and after != planted
    assert not Session.objects.filter(session_key=planted).exists()
    # The planted key signs nobody in.
    fixated = Client()
    fixated.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert not is_signed_in(fixated)
    assert is_signed_in(client)


def test_the_session_key_changes_at_admin_login(client, teacher):
    client.session.save()
    planted = session_key(client)
    response = web_login(client, teacher.username, url=ADMIN_LOGIN)
    assert response.status_code == 302
    assert session_key(client) != planted
    assert not Session.objects.filter(session_key=planted).exists()
    assert client.get("/admin/").status_code == 200


def test_logout_ends_the_session_on_the_server(client, learner):
    web_login(client, learner.username)
    key = session_key(client)
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not is_signed_in(replay)


def test_logout_is_a_post(client, learner):
    web_login(client, learner.username)
    assert client.get("/accounts/logout/").status_code == 405
    assert is_signed_in(client)


def test_api_logout_ends_this_device_only(learner):
    phone, tablet = token_client(learner), token_client(learner)
    assert phone.post("/api/v1/auth/logout").status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 200


def test_api_logout_all_ends_every_device_and_the_browser_session(learner, other_learner):
    phone, tablet = token_client(learner), token_client(learner)
    someone_else = token_client(other_learner)
    browser = APIClient()
    browser.force_login(learner)
    assert browser.post("/api/v1/auth/logout-all").status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 401
    assert browser.get("/api/v1/me").status_code in (401, 403)
    assert someone_else.get("/api/v1/me").status_code == 200
    assert not AuthToken.objects.filter(user=learner).exists()


def test_a_deactivated_account_is_refused_at_its_next_request(learner, teacher):
    browser, device = Client(), token_client(learner)
    web_login(browser, learner.username)
    admin = Client()
    web_login(admin, teacher.username, url=ADMIN_LOGIN)
    assert is_signed_in(browser) and device.get("/api/v1/me").status_code == 200
    assert admin.get("/admin/").status_code == 200
    type(learner).objects.filter(pk__in=[learner.pk, teacher.pk]).update(is_active=False)
    # The session still exists, but ModelBackend.get_user refuses an inactive user.
    response = browser.get("/settings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert device.get("/api/v1/me").status_code == 401  # knox checks is_active too
    assert admin.get("/admin/")["Location"].startswith("/admin/login/")
    # Nor can it sign in again, anywhere.
    assert web_login(Client(), learner.username).status_code == 200
    assert web_login(Client(), teacher.username, url=ADMIN_LOGIN).status_code == 200


def test_a_password_change_ends_every_other_session_and_device(learner):
    here, elsewhere = Client(), Client()
    web_login(here, learner.username)
    web_login(elsewhere, learner.username, address="10.0.0.2")
    device = token_client(learner)
    response = here.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    # The other session is deleted, not only refused when next used.
    assert session_keys_of(learner) == {session_key(here)}
    assert is_signed_in(here)  # the session that changed it stays signed in
    assert not is_signed_in(elsewhere)
    assert device.get("/api/v1/me").status_code == 401
    assert not AuthToken.objects.filter(user=learner).exists()


def admin_sets_password(admin_client, user, **fields):
    return admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **fields},
    )


def test_a_password_set_by_an_administrator_ends_the_users_devices_and_sessions(
    learner, other_learner, admin_client
):
    browser, device = Client(), token_client(learner)
    web_login(browser, learner.username)
    bystander = token_client(other_learner)
    assert device.get("/api/v1/me").status_code == 200
    response = admin_sets_password(admin_client, learner)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{learner.pk}/change/"
    assert device.get("/api/v1/me").status_code == 401
    assert not AuthToken.objects.filter(user=learner).exists()
    assert not is_signed_in(browser)
    assert session_keys_of(learner) == set()
    assert bystander.get("/api/v1/me").status_code == 200
    assert admin_client.get("/admin/").status_code == 200  # the administrator's own session
    # The new password works; the old one does not.
    assert web_login(Client(), learner.username, NEW_PASSWORD, "10.0.0.3").status_code == 302
    assert web_login(Client(), learner.username, PASSWORD, "10.0.0.4").status_code == 200


def test_disabling_a_users_password_in_the_admin_ends_their_devices_too(learner, admin_client):
    device = token_client(learner)
    response = admin_sets_password(
        admin_client,
        learner,
        usable_password="false",
        password1="",
        password2="",
        **{"unset-password": "Disable password-based authentication"},  # the button pressed
    )
    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{learner.pk}/change/"
    learner.refresh_from_db()
    assert not learner.has_usable_password()
    assert device.get("/api/v1/me").status_code == 401


def test_a_refused_admin_password_ends_nothing(learner, admin_client):
    device = token_client(learner)
    response = admin_sets_password(admin_client, learner, password2="something-else-entirely")
    assert response.status_code == 200
    assert device.get("/api/v1/me").status_code == 200


def test_an_administrator_setting_their_own_password_stays_signed_in_here_only(
    admin_user, admin_client
):
    elsewhere, device = Client(), token_client(admin_user)
    elsewhere.force_login(admin_user)
    assert admin_sets_password(admin_client, admin_user).status_code == 302
    assert admin_client.get("/admin/").status_code == 200
    assert session_keys_of(admin_user) == {session_key(admin_client)}
    assert elsewhere.get("/admin/").status_code == 302
    assert device.get("/api/v1/me").status_code == 401


def test_setting_a_password_in_the_admin_costs_a_bounded_number_of_queries(
    learner, admin_client, django_assert_max_num_queries
):
    for _ in range(3):
        token_client(learner)
    with django_assert_max_num_queries(20):
        assert admin_sets_password(admin_client, learner).status_code == 302


def test_a_refused_password_change_ends_nothing(learner):
    here = Client()
    web_login(here, learner.username)
    device = token_client(learner)
    here.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert device.get("/api/v1/me").status_code == 200


def test_a_device_token_expires_after_its_time_to_live_unused(learner):
    device = token_client(learner)
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    with time_machine.travel(timezone.now() + ttl - timedelta(minutes=1)):
        assert device.get("/api/v1/me").status_code == 200  # used: pushed forward
    with time_machine.travel(timezone.now() + 2 * ttl):
        response = device.get("/api/v1/me")
    assert response.status_code == 401
    assert not AuthToken.objects.filter(user=learner).exists()


def test_a_browser_session_expires_after_its_age(client, learner):
    web_login(client, learner.username)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        assert not is_signed_in(client)


def test_a_teachers_own_password_change_in_the_admin_ends_their_other_sessions_and_devices(
    teacher,
):
    here, elsewhere = Client(), Client()
    web_login(here, teacher.username, url=ADMIN_LOGIN)
    web_login(elsewhere, teacher.username, address="10.0.0.2", url=ADMIN_LOGIN)
    device = token_client(teacher)
    response = here.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/password_change/done/"
    teacher.refresh_from_db()
    assert teacher.check_password(NEW_PASSWORD)
    assert session_keys_of(teacher) == {session_key(here)}
    assert here.get("/admin/").status_code == 200  # the session that changed it stays
    assert elsewhere.get("/admin/").status_code == 302  # to the login
    assert device.get("/api/v1/me").status_code == 401
