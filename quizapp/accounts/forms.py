"""Form pieces shared by the faces that check or set passwords (the web's "Change password" and
"Delete my account", the admin's own "Change password" and its user editor)."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.http import HttpRequest

from quizapp.accounts.services import user_password_set


class PasswordSetBySignOutMixin:
    """For Django's password forms (SetPasswordMixin): the password is set by
    `user_password_set`, which also signs the user out everywhere."""

    def set_password_and_save(self, user, password_field_name="password1", commit=True, **kwargs):
        if not commit:
            raise ValueError("A password is set by saving it, with everything that ends with it.")
        # The admin's form can also turn password login off (SetUnusablePasswordMixin).
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data[password_field_name] if usable else None
        return user_password_set(user=user, password=password)


class CurrentPasswordMixin:
    """For a form that asks for the signed-in user's password. It is checked through
    authenticate(), not check_password(): a wrong one counts towards the lock-out as at the
    login, and a locked-out one is refused (quizapp/accounts/login_policy.py), so the form
    cannot be used to guess the password either."""

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def confirm_current_password(self, password: str, message: str, code: str) -> str:
        user = self.request.user
        checked = authenticate(self.request, username=user.get_username(), password=password)
        if checked is None or checked.pk != user.pk:
            raise forms.ValidationError(message, code=code)
        return password


class PasswordChangeForm(
    CurrentPasswordMixin, PasswordSetBySignOutMixin, auth_forms.PasswordChangeForm
):
    """Django's form, with the current password checked under the login policy, and the new one
    set by the service that also signs the learner out everywhere else."""

    def clean_old_password(self) -> str:
        return self.confirm_current_password(
            self.cleaned_data["old_password"],
            self.error_messages["password_incorrect"],
            "password_incorrect",
        )


class AdminOwnPasswordChangeForm(PasswordChangeForm):
    """The admin's "Change password" page: the same rules as the web's, in the admin's look."""

    required_css_class = "required"
