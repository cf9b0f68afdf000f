"""The pages a learner meets when something is wrong: the login lock-out (of one account from
an address, or of the whole address) and the 503 page of a database outage. Each is checked
with axe-core, at phone and desktop width, in light and dark."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD, StudentFactory
from tests.test_outages import database_not_answering

SIZES = {"phone": {"viewport": PHONE, "is_mobile": True}, "desktop": {"viewport": DESKTOP}}


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def failures_from_here(username: str, count: int) -> None:
    AccessAttempt.objects.create(
        username=username,
        ip_address="127.0.0.1",
        user_agent="earlier",
        failures_since_start=count,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )


def submit_login(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


@pytest.mark.parametrize("size", SIZES)
def test_the_lock_out_pages_say_what_is_locked_and_for_how_long(
    new_page, live_server, axe_check, size
):
    learner = StudentFactory()
    failures_from_here(learner.username, settings.AXES_FAILURE_LIMIT)
    page = new_page(**SIZES[size])
    submit_login(page, learner.username)
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("This account cannot log in")
    expect(page.get_by_text("Try again in 15 minutes.")).to_be_visible()
    no_sideways_scroll(page)
    axe_check(page, f"lockout-account-{size}")

    neighbour = StudentFactory()
    failures_from_here("someone-else", settings.AXES_ADDRESS_FAILURE_LIMIT)
    submit_login(page, neighbour.username)
    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins from your address")
    expect(page.get_by_text("every login from here is refused")).to_be_visible()
    expect(page.get_by_text("someone sharing your network")).to_be_visible()
    no_sideways_scroll(page)
    axe_check(page, f"lockout-address-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_the_outage_page_says_to_try_again(new_page, live_server, axe_check, size):
    """The 503 page the server renders when its database does not answer (made here through
    the test client, served to the browser as it is, headers included)."""
    with connection.execute_wrapper(database_not_answering):
        outage = Client(raise_request_exception=False).post(
            "/accounts/login/", {"username": "anyone", "password": PASSWORD}
        )
    assert outage.status_code == 503
    page = new_page(**SIZES[size])
    page.route(
        "**/accounts/login/",
        lambda route: route.fulfill(
            status=outage.status_code, headers=dict(outage.items()), body=outage.content
        ),
    )
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="quizapp is briefly unavailable")).to_be_visible()
    expect(page.get_by_role("link", name="reload this page")).to_be_visible()
    no_sideways_scroll(page)
    # The one server error this test means to show.
    assert page.problems == [f"GET {live_server.url}/accounts/login/: HTTP 503"]
    page.problems.clear()
    axe_check(page, f"unavailable-{size}")
