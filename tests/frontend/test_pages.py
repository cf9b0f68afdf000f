"""What every student page shares: login required, the page-weight budget, CSP-safe markup."""

import re

import pytest

from tests.frontend.conftest import PAGE_BUDGET, page_weight, record

LOGIN_REQUIRED = [
    "/study/",
    "/study/capitals/",
    "/practice/",
    "/practice/capitals/",
    "/progress/",
    "/sources/",
    "/sources/the-article/",
    "/settings/",
    "/accounts/password/",
]
POSTS_REQUIRING_LOGIN = ["/reviews/", "/reviews/undo/", "/answers/", "/settings/"]


@pytest.mark.parametrize("url", LOGIN_REQUIRED)
def test_anonymous_visitors_are_sent_to_log_in(client, bank, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", POSTS_REQUIRING_LOGIN)
def test_anonymous_posts_are_sent_to_log_in_and_change_nothing(client, bank, url):
    response = client.post(url, {"question": bank.single.pk, "rating": 3})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def pages(bank) -> list[str]:
    return [
        "/",
        "/study/",
        "/study/capitals/",
        "/practice/",
        f"/practice/?card={bank.matching.pk}",
        "/progress/",
        "/sources/",
        f"/sources/the-article/?q={bank.single.slug}",
        "/settings/",
        "/accounts/password/",
    ]


def test_every_page_fits_the_weight_budget_and_is_csp_safe(signed_in, learner, bank):
    record(learner, bank.single, 3)
    for url in pages(bank):
        response = signed_in.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert page_weight(response) < PAGE_BUDGET, url
        # The CSP allows no inline styles or event handlers, and only scripts with the nonce.
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        for script in re.findall(r"<script[^>]*>", html):
            assert "nonce=" in script, (url, script)
        assert 'id="announcer"' in html and 'aria-live="polite"' in html, url
        assert '<main id="main"' in html, url


def test_the_anonymous_pages_are_light_too(client, db):
    for url in ["/", "/accounts/login/", "/accounts/signup/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert page_weight(response) < PAGE_BUDGET


def test_pages_load_htmx_from_django_htmx_and_the_shortcuts_module_with_the_nonce(signed_in, bank):
    response = signed_in.get("/study/")
    html = response.content.decode()
    # The nonce is URL-safe base64 and may start with "-": compare with the policy's, not a pattern.
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert f'<script type="module" src="/static/frontend/shortcuts.js" nonce="{nonce}">' in html
    assert "unpkg.com" not in html and "cdn" not in html.lower()
