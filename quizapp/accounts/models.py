from django.contrib.auth.models import AbstractUser
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
