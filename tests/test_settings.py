"""Settings are read once per process, so each case runs a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "QUIZAPP_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-for-the-deploy-check-only-0123456789",
    "ALLOWED_HOSTS": "quiz.example.com",
}


def run(args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "QUIZAPP_ENV"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_as_json(expression, **env):
    code = (
        "import json, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'quizapp.settings');"
        f"from django.conf import settings as s; print(json.dumps({expression}, default=str))"
    )
    result = run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sqlite_is_the_default_with_wal_immediate_and_a_busy_timeout():
    database = settings_as_json("s.DATABASES['default']")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"].endswith("db.sqlite3")
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
    assert "busy_timeout" in options["init_command"]


def test_database_url_selects_postgresql():
    database = settings_as_json(
        "s.DATABASES['default']", DATABASE_URL="postgres://quiz:pw@db.internal:5433/quizdb"
    )
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"]) == ("quizdb", "db.internal", 5433)
    assert database["USER"] == "quiz"
    assert "transaction_mode" not in database.get("OPTIONS", {})


def test_redis_url_selects_the_redis_cache_and_the_database_cache_is_the_default():
    default = settings_as_json("s.CACHES['default']['BACKEND']")
    redis = settings_as_json("s.CACHES['default']", REDIS_URL="redis://127.0.0.1:6379/3")
    assert default == "django.core.cache.backends.db.DatabaseCache"
    assert redis["BACKEND"] == "quizapp.cache.FailOpenRedisCache"  # Django's, failing open
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_development_defaults_are_debug_on_and_hardening_off():
    values = settings_as_json("[s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS]")
    assert values == [True, False, 0]


def test_production_settings_switch_on_the_hardening():
    values = settings_as_json(
        "[s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, bool(s.SECURE_CSP)]",
        **PRODUCTION_ENV,
    )
    assert values == [False, True, True, True, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"], True]


def test_production_deploy_check_passes_at_warning_level():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_start_up_without_secret_key_fails_with_instructions():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "token_urlsafe" in result.stderr


def test_unknown_environment_name_is_refused():
    result = run(["manage.py", "check"], QUIZAPP_ENV="staging")
    assert result.returncode != 0
    assert "QUIZAPP_ENV must be" in result.stderr


def test_postgresql_gives_up_on_connecting_and_on_slow_statements():
    """Without a connect timeout, psycopg waits 130 s for a server that accepts the connection
    and never answers, holding a server thread all that time."""
    options = settings_as_json(
        "s.DATABASES['default']['OPTIONS']", DATABASE_URL="postgres://quiz@db.internal/quizdb"
    )
    assert options == {"connect_timeout": 5, "options": "-c statement_timeout=30s"}
    tuned = settings_as_json(
        "s.DATABASES['default']['OPTIONS']",
        DATABASE_URL="postgres://quiz@db.internal/quizdb",
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_STATEMENT_TIMEOUT="0",  # e.g. set on the database role instead (PgBouncer)
    )
    assert tuned == {"connect_timeout": 2}
