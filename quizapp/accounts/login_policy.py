"""One policy for every password check: the web and admin logins, the API's sign-in, and the
password confirmations of "Change password" and "Delete my account" (docs/security.md).

Each goes through `authenticate(request, …)`, so django-axes counts its failures, in the
database (every worker and server sees them), and refuses a locked-out one before the password
is checked. Two limits, each over the last AXES_COOLOFF_TIME:

1. one username from one address: AXES_FAILURE_LIMIT failures lock that pair out (axes' own
   rule), for AXES_COOLOFF_TIME from the last failure;
2. one address, whatever the usernames: AXES_ADDRESS_FAILURE_LIMIT failures lock the address
   out (password spraying), until fewer than that remain in the window.

Nothing is counted per username alone: a stranger could then lock anyone out.
"""

from dataclasses import dataclass
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone


@dataclass(frozen=True)
class Lockout:
    by_address: bool  # the whole address, not only this username from it
    ends: datetime


def _address_lockout_ends(request: HttpRequest, now: datetime) -> datetime | None:
    """When the lock-out of the request's address ends, or None if it is not locked out.

    It lifts once the failures still inside the window fall under the limit: the newest
    attempts that reach the limit stop counting when the oldest of them leaves the window."""
    cool_off = get_cool_off(request)
    rows = (
        AccessAttempt.objects.filter(
            ip_address=getattr(request, "axes_ip_address", None),
            attempt_time__gte=now - cool_off,
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    counted = 0
    for attempt_time, failures in rows:
        counted += failures
        if counted >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return attempt_time + cool_off
    return None


def _pair_lockout_ends(request: HttpRequest, credentials: dict | None, now: datetime):
    cool_off = get_cool_off(request)
    recent = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
        attempt_time__gte=now - cool_off,
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (recent["failures"] or 0) < settings.AXES_FAILURE_LIMIT:
        return None
    return recent["last"] + cool_off


def lockout_of(request: HttpRequest, credentials: dict | None = None) -> Lockout:
    """Which lock-out refused this request, and when it ends (for the answer's Retry-After).
    Failures during a lock-out are not recorded, so they do not extend it."""
    now = timezone.now()
    by_address = _address_lockout_ends(request, now)
    by_pair = _pair_lockout_ends(request, credentials, now)
    ends = max((end for end in (by_address, by_pair) if end is not None), default=now)
    return Lockout(by_address=by_address is not None, ends=ends)


class LoginPolicyHandler(AxesDatabaseHandler):
    """axes' database handler (rule 1) with the limit per address (rule 2) added."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or (
            _address_lockout_ends(request, timezone.now()) is not None
        )

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure just recorded may reach the address's limit: refuse this request too,
        # as axes does when it reaches the pair's.
        if (
            request is not None
            and not getattr(request, "axes_locked_out", False)
            and _address_lockout_ends(request, timezone.now()) is not None
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
