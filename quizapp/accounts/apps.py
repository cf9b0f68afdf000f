from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "quizapp.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from quizapp.accounts.roles import teacher_group_sync

        # Django creates each app's permissions in its own post_migrate call, so the group is
        # re-synced after every app's (idempotent, a few queries): the last call sees them all.
        post_migrate.connect(
            lambda **kwargs: teacher_group_sync(using=kwargs.get("using", "default")),
            weak=False,
            dispatch_uid="quizapp.accounts.teacher_group_sync",
        )
