"""Password guessing, one policy for every password check (web, admin and API logins, the
password confirmations of "Change password" and "Delete my account"): django-axes locks a
username at one address after AXES_FAILURE_LIMIT failures, and an address after
AXES_ADDRESS_FAILURE_LIMIT failures across usernames, for AXES_COOLOFF_TIME. The API login is
also throttled per address (429 with Retry-After); nothing counts per username alone, so a
stranger cannot lock a learner out."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StudentFactory
from tests.security.conftest import ADMIN_LOGIN, API_LOGIN, api_login, error_of, web_login

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LIMIT = 5
ADDRESS_LIMIT = 30
COOL_OFF = timedelta(minutes=15)
LOGINS_3_PER_MINUTE = {"anonymous": "1000/minute", "user": "1000/minute", "login": "3/minute"}


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(START, tick=False)


@pytest.fixture
def relaxed_api_throttles(settings):
    """Take the API's own login throttle out of the way, to see axes alone."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anonymous": "1000/minute",
            "user": "1000/minute",
            "login": "1000/minute",
        },
    }


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, address="10.0.0.1", url="/accounts/login/"):
    return [
        web_login(client, username, "wrong-password", address, url).status_code
        for _ in range(times)
    ]


def test_the_documented_limits_are_the_settings():
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert settings.AXES_ADDRESS_FAILURE_LIMIT == ADDRESS_LIMIT
    assert settings.AXES_COOLOFF_TIME == COOL_OFF
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_HANDLER == "quizapp.accounts.login_policy.LoginPolicyHandler"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_the_web_login_locks_a_username_at_one_address_after_five_failures(client, learner):
    assert fail(client, learner.username, LIMIT - 1) == [200] * (LIMIT - 1)
    locked = web_login(client, learner.username, "wrong-password")
    assert locked.status_code == 429
    # Even the right password is refused now, and nobody is signed in.
    refused = web_login(client, learner.username)
    assert refused.status_code == 429
    assert not signed_in(client)
    # Counted in the database, so every worker process sees the same count.
    attempt = AccessAttempt.objects.get(username=learner.username, ip_address="10.0.0.1")
    assert attempt.failures_since_start == LIMIT


def test_the_lock_out_page_says_when_to_try_again_and_is_accessible(client, learner):
    fail(client, learner.username, LIMIT)
    response = web_login(client, learner.username)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) == COOL_OFF.total_seconds()
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Too many failed logins</h1>" in html
    assert 'role="alert"' in html
    assert "Try again in <strong>15 minutes</strong>" in html
    # Under the Content Security Policy like every page: its scripts carry the nonce.
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script\b[^>]*>", html))


def test_the_same_username_from_another_address_is_not_locked(client, learner):
    fail(client, learner.username, LIMIT)
    assert web_login(client, learner.username).status_code == 429
    other_place = Client()
    response = web_login(other_place, learner.username, address="10.0.0.2")
    assert response.status_code == 302
    assert signed_in(other_place)


def test_another_username_from_the_locked_address_is_not_locked(client, learner):
    fail(client, learner.username, LIMIT)
    neighbour = StudentFactory()
    assert web_login(client, neighbour.username).status_code == 302


def test_the_lock_out_ends_after_the_cool_off(client, learner):
    fail(client, learner.username, LIMIT)
    with time_machine.travel(START + COOL_OFF - timedelta(seconds=1), tick=False):
        response = web_login(client, learner.username)
        assert response.status_code == 429
        assert response["Retry-After"] == "1"
    with time_machine.travel(START + COOL_OFF + timedelta(seconds=1), tick=False):
        assert web_login(client, learner.username).status_code == 302
        assert signed_in(client)


def test_attempts_during_the_lock_out_do_not_extend_it(client, learner):
    fail(client, learner.username, LIMIT)
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        assert fail(client, learner.username, 3) == [429] * 3
        assert web_login(client, learner.username).status_code == 429
    with time_machine.travel(START + COOL_OFF + timedelta(seconds=1), tick=False):
        assert web_login(client, learner.username).status_code == 302


def test_a_successful_login_starts_the_count_again(client, learner):
    fail(client, learner.username, LIMIT - 1)
    assert web_login(client, learner.username).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, learner.username, LIMIT - 1) == [200] * (LIMIT - 1)
    assert web_login(client, learner.username).status_code == 302


def test_failures_older_than_the_cool_off_are_forgotten(client, learner):
    fail(client, learner.username, LIMIT - 1)
    with time_machine.travel(START + COOL_OFF + timedelta(minutes=1), tick=False):
        assert fail(client, learner.username, LIMIT - 1) == [200] * (LIMIT - 1)
        assert web_login(client, learner.username).status_code == 302


def test_the_admin_login_locks_out_too(client, teacher):
    assert fail(client, teacher.username, LIMIT - 1, url=ADMIN_LOGIN) == [200] * (LIMIT - 1)
    assert web_login(client, teacher.username, "nope", url=ADMIN_LOGIN).status_code == 429
    response = web_login(client, teacher.username, url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not signed_in(client)
    elsewhere = Client()
    assert (
        web_login(elsewhere, teacher.username, address="10.0.0.9", url=ADMIN_LOGIN).status_code
        == 302
    )
    assert signed_in(elsewhere)


def test_web_and_admin_failures_add_up(client, teacher):
    fail(client, teacher.username, 3)
    fail(client, teacher.username, 2, url=ADMIN_LOGIN)
    assert web_login(client, teacher.username).status_code == 429


# --------------------------------------------------------------------------- API login


def test_the_api_login_counts_failures_too_and_answers_with_the_error_body(
    learner, relaxed_api_throttles
):
    for _ in range(LIMIT - 1):
        response = api_login(learner.username, "wrong-password")
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid_credentials"
    locked = api_login(learner.username, "wrong-password")
    assert locked.status_code == 429
    error = error_of(locked)
    assert error["code"] == "locked_out"
    assert "15 minutes" in error["message"]
    assert int(locked["Retry-After"]) == COOL_OFF.total_seconds()
    refused = api_login(learner.username)
    assert refused.status_code == 429 and error_of(refused)["code"] == "locked_out"
    assert api_login(learner.username, address="10.0.0.2").status_code == 200


def test_the_api_login_still_works_with_axes(learner):
    response = api_login(learner.username)
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry", "user"}


def test_web_and_api_failures_add_up(client, learner, relaxed_api_throttles):
    fail(client, learner.username, 3)
    for _ in range(2):
        api_login(learner.username, "wrong-password")
    assert web_login(client, learner.username).status_code == 429
    assert api_login(learner.username).status_code == 429


# --------------------------------------------------------------------------- one address


def spray(client, count, address="10.0.0.1", url="/accounts/login/"):
    """One wrong password for each of `count` usernames (which need not exist)."""
    return [
        web_login(client, f"someone-{n}", "Password1!", address, url).status_code
        for n in range(count)
    ]


def test_one_address_guessing_across_usernames_is_locked_out(client, learner):
    assert spray(client, ADDRESS_LIMIT - 1) == [200] * (ADDRESS_LIMIT - 1)
    assert spray(client, 1, url=ADMIN_LOGIN) == [429]  # the limit: the admin counts too
    refused = web_login(client, learner.username)  # even a right password, from there
    assert refused.status_code == 429
    assert not signed_in(client)
    html = refused.content.decode()
    assert "Too many failed logins from your address" in html
    assert "Try again in <strong>15 minutes</strong>" in html
    assert api_login(learner.username).status_code == 429
    # Another address is someone else.
    elsewhere = Client()
    assert web_login(elsewhere, learner.username, address="10.0.0.2").status_code == 302


def test_the_address_lock_out_ends_when_its_failures_are_older_than_the_cool_off(client, learner):
    spray(client, ADDRESS_LIMIT)
    with time_machine.travel(START + COOL_OFF - timedelta(seconds=1), tick=False):
        response = web_login(client, learner.username)
        assert (response.status_code, response["Retry-After"]) == (429, "1")
    with time_machine.travel(START + COOL_OFF + timedelta(seconds=1), tick=False):
        assert web_login(client, learner.username).status_code == 302


def test_api_failures_count_towards_the_address_limit(learner, relaxed_api_throttles):
    for n in range(ADDRESS_LIMIT - 1):
        assert api_login(f"someone-{n}", "Password1!").status_code == 400
    locked = api_login(f"someone-{ADDRESS_LIMIT}", "Password1!")
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "locked_out"
    assert "from your address" in error_of(locked)["message"]
    assert api_login(learner.username, address="10.0.0.2").status_code == 200


def test_a_stranger_cannot_lock_a_learner_out_of_api_sign_in(learner):
    """Wrong passwords for the learner's username from many addresses, none of them over its
    own limits: the learner still signs in from theirs."""
    for n in range(3 * LIMIT):
        response = api_login(learner.username, "wrong-password", address=f"198.51.100.{n}")
        assert response.status_code == 400
    assert api_login(learner.username, address="10.0.0.1").status_code == 200


def test_wrong_current_passwords_on_the_password_change_form_count_towards_the_lock_out(
    client, learner
):
    web_login(client, learner.username)
    new = "a-brand-new-passphrase"

    def change(old_password):
        return client.post(
            "/accounts/password/",
            {"old_password": old_password, "new_password1": new, "new_password2": new},
            REMOTE_ADDR="10.0.0.1",
        )

    statuses = [change(f"guess-{n}").status_code for n in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    refused = change(PASSWORD)  # the right one, too late
    assert refused.status_code == 429
    assert "Try again in" in refused.content.decode()
    learner.refresh_from_db()
    assert learner.check_password(PASSWORD)
    # The same count as the login's: this address cannot log in as the learner either.
    assert web_login(Client(), learner.username).status_code == 429


def test_the_api_login_throttle_answers_429_with_retry_after(learner, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": LOGINS_3_PER_MINUTE,
    }
    for _ in range(3):
        api_login(StudentFactory().username, "wrong-password")
    response = api_login(learner.username)
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_forged_x_forwarded_for_does_not_dodge_the_api_throttle(learner, settings):
    """Without NUM_PROXIES, DRF keys its per-address throttle on the whole X-Forwarded-For
    header, which the client writes: a new value per request would never be throttled."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": LOGINS_3_PER_MINUTE,
    }

    def login_forging(username, n):
        return APIClient().post(
            API_LOGIN,
            {"username": username, "password": "wrong-password"},
            format="json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    for n in range(3):  # three usernames, so only the per-address count can add up
        assert login_forging(StudentFactory().username, n).status_code == 400
    response = login_forging(learner.username, 3)
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"


# --------------------------------------------------------------------------- addresses


def test_by_default_the_address_is_the_tcp_peer_and_x_forwarded_for_is_ignored(client, learner):
    for n in range(LIMIT):
        client.post(
            "/accounts/login/",
            {"username": learner.username, "password": "nope"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert web_login(client, learner.username, address="10.0.0.1").status_code == 429


def test_behind_a_proxy_the_client_is_the_address_the_proxy_appended(client, learner, settings):
    # As TRUSTED_PROXY_COUNT=1 configures (tests/security/test_headers.py checks that mapping).
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False

    def through_proxy(client_address, forged="", password="nope"):
        chain = f"{forged}, {client_address}" if forged else client_address
        return client.post(
            "/accounts/login/",
            {"username": learner.username, "password": password},
            REMOTE_ADDR="10.0.0.254",  # the proxy
            HTTP_X_FORWARDED_FOR=chain,
        )

    # Entries the client forged to the left of what the proxy appended change nothing.
    for n in range(LIMIT):
        through_proxy("203.0.113.7", forged=f"198.51.100.{n}")
    assert through_proxy("203.0.113.7", password=PASSWORD).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    # Another client behind the same proxy is someone else.
    assert through_proxy("203.0.113.8", password=PASSWORD).status_code == 302


def test_a_failed_login_costs_a_bounded_number_of_queries_however_many_usernames_failed(
    client, learner, django_assert_max_num_queries
):
    spray(client, ADDRESS_LIMIT - 2)  # many usernames already failed from this address
    for status in (200, 429):  # the last failure before the limit, and the one reaching it
        with django_assert_max_num_queries(14):
            assert web_login(client, learner.username, "wrong-password").status_code == status
    with django_assert_max_num_queries(8):  # refused before any password is checked
        assert web_login(client, learner.username).status_code == 429


def test_wrong_current_passwords_on_the_admins_password_change_count_towards_the_lock_out(
    client, teacher
):
    web_login(client, teacher.username, url=ADMIN_LOGIN)
    new = "a-brand-new-passphrase"

    def change(old_password):
        return client.post(
            "/admin/password_change/",
            {"old_password": old_password, "new_password1": new, "new_password2": new},
            REMOTE_ADDR="10.0.0.1",
        )

    statuses = [change(f"guess-{n}").status_code for n in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    assert change(PASSWORD).status_code == 429  # the right one, too late
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)
    assert web_login(Client(), teacher.username, url=ADMIN_LOGIN).status_code == 429
