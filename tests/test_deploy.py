"""Production settings keep no state on the app server, so many servers can run at once."""

from tests.load.nginx import SHIPPED, Nginx
from tests.test_settings import PRODUCTION_ENV, settings_as_json


def test_production_keeps_sessions_cache_and_tasks_off_the_local_machine():
    values = settings_as_json(
        "{'session': s.SESSION_ENGINE, 'cache': s.CACHES['default']['BACKEND'],"
        " 'tasks': s.TASKS['default']['BACKEND'], 'static': s.STORAGES['staticfiles']['BACKEND'],"
        " 'db': s.DATABASES['default']['ENGINE']}",
        **PRODUCTION_ENV,
        DATABASE_URL="postgres://quizapp@db.internal:5432/quizapp",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert values == {
        "session": "quizapp.accounts.sessions",  # database sessions, with their user
        "cache": "quizapp.cache.FailOpenRedisCache",
        "tasks": "django_tasks_db.DatabaseBackend",
        "static": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "db": "django.db.backends.postgresql",
    }


def test_without_redis_the_shared_cache_is_the_database_not_process_memory():
    backend = settings_as_json("s.CACHES['default']['BACKEND']", **PRODUCTION_ENV)
    assert backend == "django.core.cache.backends.db.DatabaseCache"


def test_the_documented_nginx_configuration_is_valid(tmp_path):
    """deploy/nginx.conf, with local ports and a throw-away certificate, passes `nginx -t`;
    tests/load/test_slow_clients.py runs it in front of gunicorn."""
    result = Nginx(tmp_path, app_port=8000).check()
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_nginx_configuration_buffers_requests_and_bounds_slow_clients():
    directives = {
        " ".join(line.split("#")[0].split()).rstrip(";")
        for line in SHIPPED.read_text().splitlines()
    }
    assert {
        "proxy_request_buffering on",
        "proxy_buffering on",
        "client_header_timeout 10s",
        "client_body_timeout 10s",
        "proxy_set_header X-Forwarded-Proto $scheme",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for",
    } <= directives
