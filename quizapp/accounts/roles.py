"""The Teachers group and what its members may do in the admin."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from quizapp.accounts.models import TEACHERS_GROUP

FULL = ("add", "change", "delete", "view")
READ = ("view",)
# What teachers may do in the admin, by app and model. Apps that are not installed are
# skipped, so the list can name models that later features add. Object-level rules (only
# your own quizzes and classes) are enforced by the admin classes on top of these.
TEACHER_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "bank": {
        "source": READ,
        "deck": FULL,
        "tag": FULL,
        "question": FULL,
        "choice": FULL,
        "acceptedanswer": FULL,
        "orderitem": FULL,
        "matchpair": FULL,
        "quote": FULL,
        "paragraph": READ,
        "deckquestion": FULL,
    },
    "quizzes": {
        "quiz": FULL,
        "quizitem": FULL,
        "attempt": READ,
        "attemptquestion": READ,
        "response": READ,
        "regrade": READ,
    },
    "classroom": {"classroom": FULL, "enrolment": FULL, "assignment": FULL},
}


def teacher_group_permissions() -> list[Permission]:
    wanted = Q()
    for app_label, models in TEACHER_PERMISSIONS.items():
        if not apps.is_installed(f"quizapp.{app_label}"):
            continue
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    return list(Permission.objects.filter(wanted)) if wanted else []


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
