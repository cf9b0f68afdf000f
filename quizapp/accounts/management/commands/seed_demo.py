from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_FIXTURES = ["demo_users"]

DEMO_LOGINS = [
    ("teacher", "quizapp-teacher", "teacher: the admin, question bank, quizzes and classes"),
    ("ani", "quizapp-student", "student"),
    ("elvin", "quizapp-student", "student"),
    ("admin", "quizapp-admin", "administrator (superuser)"),
]


class Command(BaseCommand):
    help = "Load the demo accounts from fixtures/ (development only; refused in production)."

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo accounts have documented passwords and are never loaded when "
                "QUIZAPP_ENV=production."
            )
        # Users are matched by username (their natural key), so loading twice changes nothing.
        call_command("loaddata", *DEMO_FIXTURES, verbosity=0)
        self.stdout.write("Demo logins (development only):")
        for username, password, role in DEMO_LOGINS:
            self.stdout.write(f"  {username:<8} / {password:<16} {role}")
