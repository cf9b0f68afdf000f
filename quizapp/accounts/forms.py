"""Form pieces shared by the faces that set passwords (the web's "Change password", the admin's
user editor)."""

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
