"""Request rates, counted in the shared cache so that every worker process sees every request.

Rates are read from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when a request is checked (not
when this module is imported), so settings overrides apply at once.
"""

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:  # DRF's views import the throttle classes named in the settings
    from rest_framework.views import APIView


class RateFromSettingsThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonymousThrottle(RateFromSettingsThrottle):
    """Requests without a user, per client address."""

    scope = "anonymous"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserThrottle(RateFromSettingsThrottle):
    """Requests of a signed-in user, across all their devices."""

    scope = "user"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class LoginThrottle(RateFromSettingsThrottle):
    """Login attempts per client address, whatever the username. There is no such limit per
    username: a stranger could trip it to keep a learner out (quizapp/accounts/login_policy.py
    has the failure limits, for every login)."""

    scope = "login"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
