from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from quizapp.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "date_joined")
