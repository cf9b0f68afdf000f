"""The learner's own account: download their data, delete the account, and the page shown
when a login is locked out for too many failures.

Export and deletion are `quizapp.accounts.data.learner_data_json` and
`quizapp.accounts.services.learner_delete`, the functions the REST API calls too.
"""

import math
from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_safe

from quizapp.accounts.data import learner_data_json
from quizapp.accounts.services import (
    AccountDeletionRefused,
    learner_delete,
    learner_deletion_refusal,
    user_devices_sign_out,
)
from quizapp.api.errors import error_body

LOCKED_OUT = "Too many failed logins for this account from your address."


@login_required
@require_safe
def account_export(request: HttpRequest) -> StreamingHttpResponse:
    """Everything stored about the learner, as a JSON file (streamed: it can be large)."""
    response = StreamingHttpResponse(
        learner_data_json(user=request.user), content_type="application/json"
    )
    day = timezone.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="quizapp-my-data-{day}.json"'
    add_never_cache_headers(response)
    return response


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it is you.",
    )

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # authenticate(), not check_password(): wrong passwords count towards the lock-out,
        # as at the login, so this form cannot be used to guess the password either.
        user = authenticate(
            self.request, username=self.request.user.get_username(), password=password
        )
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError("That is not your password.", code="wrong_password")
        return password


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Asks for the password (GET shows what will happen); POST deletes the account."""
    refusal = learner_deletion_refusal(user=request.user)
    form = AccountDeleteForm(request.POST or None, request=request)
    status = 200
    if request.method == "POST":
        status = 403 if refusal else 422
        if refusal is None and form.is_valid():
            try:
                learner_delete(user=request.user)
            except AccountDeletionRefused as error:
                refusal, status = error.message, 403
            else:
                logout(request)
                messages.success(request, "Your account and your data were deleted. Goodbye!")
                return redirect("home")
    return render(
        request, "frontend/account_delete.html", {"form": form, "refusal": refusal}, status=status
    )


class PasswordChange(auth_views.PasswordChangeView):
    """Django's password change (other browser sessions end by themselves: the session auth
    hash covers the password; this one is kept), which also signs out every API device."""

    template_name = "frontend/password_change_form.html"

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user_devices_sign_out(user=form.user)
        return response


def _seconds_left(request: HttpRequest, credentials: dict | None) -> int:
    """Until the lock-out of this username and address ends: the cool-off counts from the
    last failure recorded before it (failures during a lock-out are not recorded)."""
    cool_off = get_cool_off(request) or timedelta()
    last = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(last=Max("attempt_time"))["last"]
    ends = (last or timezone.now()) + cool_off
    return max(1, math.ceil((ends - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """What django-axes answers a locked-out login (AXES_LOCKOUT_CALLABLE): 429 with
    Retry-After; the API's error body under /api/, else a page saying when to try again."""
    seconds = _seconds_left(request, credentials)
    minutes = math.ceil(seconds / 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body("locked_out", f"{LOCKED_OUT} Try again in {wait}."), status=429
        )
    else:
        response = render(request, "frontend/lockout.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response
