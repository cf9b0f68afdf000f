from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils import timezone

from quizapp.accounts.forms import PasswordSetBySignOutMixin
from quizapp.accounts.models import User


class PasswordSetForm(PasswordSetBySignOutMixin, AdminPasswordChangeForm):
    """Setting a user's password (or turning password login off) signs them out everywhere."""


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    change_password_form = PasswordSetForm
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "date_joined")


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request, queryset):
        # django-axes reads the cool-off's reference time from the request, which only its
        # login handling sets: the admin action needs it set to now.
        request.axes_attempt_time = timezone.now()
        return super().cleanup_expired_attempts(request, queryset)
