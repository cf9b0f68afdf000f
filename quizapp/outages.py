"""A database that does not answer is an outage, not a bug.

Down, unreachable, or slower than the connect or statement timeout (settings.py): the request
is answered 503 with Retry-After, so clients and load balancers retry, instead of 500. The API
answers with its error body (quizapp/api/errors.py), the web with a plain page that needs
nothing from the database (quizapp/server_errors.py).
"""

from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 10
MESSAGE = "The service is briefly unavailable; try again in a moment."


def is_outage(error: BaseException | None) -> bool:
    """Whether `error` says the database could not be reached or did not answer in time."""
    # OperationalError: refused, timed out, statement cancelled, SQLite busy; InterfaceError:
    # the connection was lost.
    return isinstance(error, OperationalError | InterfaceError)
