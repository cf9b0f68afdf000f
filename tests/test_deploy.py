"""Production settings keep no state on the app server, so many servers can run at once."""

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
        "session": "django.contrib.sessions.backends.db",
        "cache": "quizapp.cache.FailOpenRedisCache",
        "tasks": "django_tasks_db.DatabaseBackend",
        "static": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "db": "django.db.backends.postgresql",
    }


def test_without_redis_the_shared_cache_is_the_database_not_process_memory():
    backend = settings_as_json("s.CACHES['default']['BACKEND']", **PRODUCTION_ENV)
    assert backend == "django.core.cache.backends.db.DatabaseCache"
