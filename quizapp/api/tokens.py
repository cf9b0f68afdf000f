"""Device tokens (django-rest-knox): stored hashed, one per signed-in device, with an expiry
that every authenticated request pushes forward (see REST_KNOX in settings and docs/api.md)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.http import HttpRequest
from knox.models import AuthToken


@dataclass(frozen=True)
class DeviceToken:
    token: str
    """The secret; shown once, only its hash is stored."""
    expiry: datetime


@transaction.atomic
def device_token_create(*, user, request: HttpRequest | None = None) -> DeviceToken:
    """Sign a device in: a new token for it. Past API_MAX_DEVICE_TOKENS live tokens, the least
    recently used one is revoked (with auto-refresh the earliest expiry is the least recently
    used device)."""
    instance, token = AuthToken.objects.create(user=user)
    live = AuthToken.objects.filter(user=user).order_by("-expiry", "-created")
    stale = list(live.values_list("digest", flat=True)[settings.API_MAX_DEVICE_TOKENS :])
    if stale:
        AuthToken.objects.filter(digest__in=stale).delete()
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return DeviceToken(token=token, expiry=instance.expiry)


@transaction.atomic
def device_token_revoke(*, token: AuthToken, request: HttpRequest | None = None) -> None:
    """Sign one device out."""
    user = token.user
    token.delete()
    user_logged_out.send(sender=user.__class__, request=request, user=user)


@transaction.atomic
def device_tokens_revoke_all(*, user, request: HttpRequest | None = None) -> int:
    """Sign every device out. Returns how many tokens were revoked."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    user_logged_out.send(sender=user.__class__, request=request, user=user)
    return count
