from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from quizapp.accounts.forms import PasswordSetBySignOutMixin
from quizapp.accounts.models import User


class PasswordSetForm(PasswordSetBySignOutMixin, AdminPasswordChangeForm):
    """Setting a user's password (or turning password login off) signs them out everywhere."""


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    change_password_form = PasswordSetForm
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "date_joined")
