"""The Teachers group and what its members may do in the admin."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from quizapp.accounts.models import TEACHERS_GROUP

# App label → model names whose add/change/delete/view permissions teachers get. Apps that do
# not exist yet are skipped, so the list can name models that later features add.
TEACHER_MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "bank": (
        "source",
        "deck",
        "tag",
        "question",
        "choice",
        "acceptedanswer",
        "orderitem",
        "matchpair",
        "quote",
    ),
    "quizzes": ("quiz", "quizitem", "attempt", "response"),
    "classroom": ("classroom", "enrolment", "assignment"),
}
READ_ONLY_FOR_TEACHERS = {("bank", "source")}


def teacher_group_permissions() -> list[Permission]:
    wanted = []
    for app_label, model_names in TEACHER_MODEL_PERMISSIONS.items():
        if not apps.is_installed(f"quizapp.{app_label}"):
            continue
        for model_name in model_names:
            actions = (
                ("view",)
                if (app_label, model_name) in READ_ONLY_FOR_TEACHERS
                else ("add", "change", "delete", "view")
            )
            wanted += [f"{action}_{model_name}" for action in actions]
    return list(
        Permission.objects.filter(
            content_type__app_label__in=TEACHER_MODEL_PERMISSIONS, codename__in=wanted
        )
    )


@transaction.atomic
def teacher_group_sync(*, using: str = "default") -> Group:
    group, _ = Group.objects.using(using).get_or_create(name=TEACHERS_GROUP)
    group.permissions.set(teacher_group_permissions())
    return group


@transaction.atomic
def user_make_teacher(*, user) -> None:
    """Give a user the teacher role: staff (to enter the admin) and the Teachers group."""
    group = teacher_group_sync()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(group)
    user.__dict__.pop("role", None)
