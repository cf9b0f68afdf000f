"""The learner's own account: download their data, delete the account, and the page shown
when a login is locked out for too many failures.

Export and deletion are `quizapp.accounts.data.learner_data_json` and
`quizapp.accounts.services.learner_delete`, the functions the REST API calls too.
"""

import math

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_safe

from quizapp.accounts.data import learner_data_json
from quizapp.accounts.forms import CurrentPasswordMixin, PasswordChangeForm
from quizapp.accounts.login_policy import lockout_of
from quizapp.accounts.services import (
    AccountDeletionRefused,
    learner_delete,
    learner_deletion_refusal,
)
from quizapp.api.errors import error_body

LOCKED_OUT = "Too many failed logins for this account from your address."
LOCKED_OUT_ADDRESS = "Too many failed logins from your address."


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


class AccountDeleteForm(CurrentPasswordMixin, forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it is you.",
    )

    def clean_password(self) -> str:
        return self.confirm_current_password(
            self.cleaned_data["password"], "That is not your password.", "wrong_password"
        )


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
    """Django's password change: every API device and every other browser session of the
    learner ends (PasswordChangeForm); this session stays signed in, under a new key."""

    template_name = "frontend/password_change_form.html"
    form_class = PasswordChangeForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """What django-axes answers a locked-out login (AXES_LOCKOUT_CALLABLE): 429 with
    Retry-After; the API's error body under /api/, else a page saying when to try again."""
    lockout = lockout_of(request, credentials)
    seconds = max(1, math.ceil((lockout.ends - timezone.now()).total_seconds()))
    minutes = math.ceil(seconds / 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if request.path.startswith("/api/"):
        message = LOCKED_OUT_ADDRESS if lockout.by_address else LOCKED_OUT
        response = JsonResponse(
            error_body("locked_out", f"{message} Try again in {wait}."), status=429
        )
    else:
        response = render(
            request,
            "frontend/lockout.html",
            {"wait": wait, "by_address": lockout.by_address},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response
