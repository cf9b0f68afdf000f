from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.functional import cached_property

TEACHERS_GROUP = "Teachers"


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    TEACHER = "teacher", "Teacher"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A person using quizapp. Students are the default; teachers and admins are staff.

    The role is derived from Django's own flags and the Teachers group rather than stored
    twice, so the admin's user editor and `role` can never disagree.
    """

    class Meta:
        ordering = ["username"]

    @cached_property
    def role(self) -> Role:
        if self.is_superuser:
            return Role.ADMIN
        if self.is_staff and self.groups.filter(name=TEACHERS_GROUP).exists():
            return Role.TEACHER
        return Role.STUDENT

    @property
    def is_teacher(self) -> bool:
        return self.role in (Role.TEACHER, Role.ADMIN)


class Session(AbstractBaseSession):
    """A browser session (Django's database session, SESSION_ENGINE = quizapp.accounts.sessions)
    that knows which account it is signed in to, so that ending an account's sessions (its
    password set, the account deleted) is one indexed delete, not a scan of every session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # Deleting the user deletes the sessions; no database constraint, so that saving a
        # session never fails on a user deleted meanwhile (it is simply anonymous then).
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls):
        from quizapp.accounts.sessions import SessionStore

        return SessionStore
