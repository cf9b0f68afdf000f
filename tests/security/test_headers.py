"""Response headers and production configuration: a Content Security Policy with a fresh
nonce on every page (and on every script tag of it), frame denial, nosniff, the referrer and
opener policies; HSTS and the HTTPS redirect in production; the deploy check; JSON-only API."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.settings import api_settings

from tests.security.web_pages import PAGES, PUBLIC, url_of
from tests.test_settings import PRODUCTION_ENV, settings_as_json

ROOT = Path(settings.BASE_DIR)
HTML_PAGES = [name for name, page in PAGES.items() if page.html and "GET" in page.methods]
ANONYMOUS_PAGES = ["home", "login", "signup"]


def nonce_of(response) -> str:
    policy = response["Content-Security-Policy"]
    match = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
    assert match, policy
    return match.group(1)


def assert_hardened(response, where: str) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'", where
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, where
    assert directives["frame-ancestors"] == "'none'", where
    assert directives["object-src"] == "'none'", where
    assert directives["base-uri"] == "'self'", where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where


def assert_scripts_carry_the_nonce(response, where: str) -> str:
    nonce = nonce_of(response)
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, where
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, (where, tag)
    # htmx (from django-htmx) and the keyboard-shortcuts module both load, with the nonce.
    assert re.search(rf'<script src="/static/django_htmx/htmx-2[^"]*" [^>]*nonce="{nonce}"', html)
    assert re.search(
        rf'<script type="module" src="/static/frontend/shortcuts.js" nonce="{nonce}"', html
    )
    assert not re.search(r"\son[a-z]+=", html), where  # no inline event handlers
    return nonce


def test_the_html_page_list_covers_every_get_page():
    assert {"home", "attempt_detail", "account_delete", "learner_settings"} <= set(HTML_PAGES)
    assert "account_export" not in HTML_PAGES  # JSON, tested below


@pytest.mark.parametrize("name", HTML_PAGES)
def test_every_page_has_the_policy_and_its_scripts_the_nonce(client, world, name):
    if PAGES[name].kind != PUBLIC or name not in ANONYMOUS_PAGES:
        client.force_login(world.learner)
    response = client.get(url_of(name, world))
    assert response.status_code == 200, name
    assert response["Content-Type"].startswith("text/html"), name
    assert_hardened(response, name)
    first = assert_scripts_carry_the_nonce(response, name)
    again = client.get(url_of(name, world))
    assert nonce_of(again) != first, "a nonce is used once"


def test_anonymous_pages_have_the_policy_too(client, world):
    for name in ANONYMOUS_PAGES:
        response = client.get(url_of(name, world))
        assert_hardened(response, name)
        assert_scripts_carry_the_nonce(response, name)


def test_htmx_partial_responses_keep_the_headers(client, world):
    client.force_login(world.learner)
    response = client.get("/study/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # only the swapped region
    assert_hardened(response, "htmx partial")


def test_the_admin_and_json_answers_are_hardened_too(client, world):
    client.force_login(world.teacher)
    assert_hardened(client.get("/admin/"), "admin")
    client.force_login(world.learner)
    export = client.get("/settings/data.json")
    assert export["Content-Type"] == "application/json"
    assert_hardened(export, "export")
    assert_hardened(client.get("/api/v1/me"), "api")
    assert_hardened(client.get("/healthz"), "healthz")


@pytest.mark.parametrize(
    "path",
    [
        "/static/frontend/quizapp.css",
        # A document a visitor can open: its inline script must not run.
        "/static/drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.html",
    ],
)
def test_static_files_are_hardened_too(client, settings, path):
    """whitenoise answers them before the views' middleware runs; the policy still applies."""
    settings.WHITENOISE_USE_FINDERS = True  # serve from the apps' folders, no collectstatic
    response = client.get(path)
    assert response.status_code == 200
    assert response.has_header("Last-Modified")  # served by whitenoise, not a view
    assert_hardened(response, path)
    assert "nonce-" not in response["Content-Security-Policy"]


def test_no_web_or_api_view_turns_the_browsable_api_on():
    assert [JSONRenderer] == api_settings.DEFAULT_RENDERER_CLASSES

    def views(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from views(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                yield getattr(entry.callback, "cls", None)

    checked = [cls for cls in views(get_resolver().url_patterns) if cls is not None]
    assert len(checked) > 20
    for cls in checked:
        for renderer in getattr(cls, "renderer_classes", []):
            assert not issubclass(renderer, BrowsableAPIRenderer), cls


# --------------------------------------------------------------------------- production


def production_response(
    tmp_path, path: str, secure: bool, host: str = "quiz.example.com", **env: str
) -> dict:
    """A request through the full middleware stack with the production settings (settings
    are read once per process, so in a fresh interpreter)."""
    code = f"""
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizapp.settings")
import django; django.setup()
from django.test import Client
response = Client().get({path!r}, secure={secure!r}, headers={{"host": {host!r}}})
body = response.json() if response["Content-Type"] == "application/json" else None
print(json.dumps({{"status": response.status_code, "headers": dict(response.items()),
                  "json": body}}))
"""
    env = {
        **{k: v for k, v in os.environ.items() if k != "QUIZAPP_ENV"},
        **PRODUCTION_ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "DATABASE_CONNECT_TIMEOUT": "2",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_over_https(tmp_path):
    response = production_response(tmp_path, "/healthz", secure=True)
    assert response["status"] == 200
    headers = response["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_production_redirects_plain_http_to_https(tmp_path):
    response = production_response(tmp_path, "/sources/", secure=False)
    assert response["status"] == 301
    assert response["headers"]["Location"] == "https://quiz.example.com/sources/"


def test_production_cookies_are_secure_and_the_api_is_json_only():
    values = settings_as_json(
        "[s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'], s.DEBUG]",
        **PRODUCTION_ENV,
    )
    assert values == [True, True, True, ["rest_framework.renderers.JSONRenderer"], False]


def test_client_addresses_come_from_the_tcp_peer_unless_proxies_are_declared():
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)  # axes' default
    direct = settings_as_json(
        "[getattr(s, 'AXES_IPWARE_META_PRECEDENCE_ORDER', None), s.REST_FRAMEWORK['NUM_PROXIES']]"
    )
    assert direct == [None, 0]
    behind_two = settings_as_json(
        "[s.AXES_IPWARE_META_PRECEDENCE_ORDER, s.AXES_IPWARE_PROXY_COUNT, s.IPWARE_STRICT,"
        " s.REST_FRAMEWORK['NUM_PROXIES']]",
        TRUSTED_PROXY_COUNT="2",
    )
    assert behind_two == [["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"], 1, False, 2]


def test_axes_own_checks_pass():
    """A wrong backend order, a missing middleware or a lock-out callable that does not import
    are axes warnings, which `check --deploy --fail-level WARNING` (tests/test_settings.py)
    would fail on; here they are checked in-process, so the cause shows at once."""
    problems = [m for m in checks.run_checks() if m.id and m.id.startswith("axes.")]
    assert problems == []
