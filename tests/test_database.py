"""The database connection this suite runs on gives up in bounded time, as in production."""

from django.db import connection


def test_the_database_gives_up_on_a_statement_that_waits_too_long(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "30s"
        else:  # SQLite: a writer waits for the write lock at most the busy timeout
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20_000
