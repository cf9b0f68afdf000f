from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from quizapp.bank.models import Question
from quizapp.classroom.models import Assignment, Classroom, Enrolment
from quizapp.quizzes.models import Quiz, QuizItem

DEMO_FIXTURES = ["demo_users"]
DEMO_CLASS = "Armenia and Azerbaijan (demo class)"
DEMO_JOIN_CODE = "KARABAKH"
DEMO_QUIZ = "The Lachin Corridor and Russia's role (demo quiz)"
DEMO_QUESTION_TAGS = ("lachin-corridor", "russia")

DEMO_LOGINS = [
    ("teacher", "quizapp-teacher", "teacher: the admin, question bank, quizzes and classes"),
    ("ani", "quizapp-student", "student, in the demo class"),
    ("elvin", "quizapp-student", "student (join the demo class with code KARABAKH)"),
    ("admin", "quizapp-admin", "administrator (superuser)"),
]


class Command(BaseCommand):
    help = (
        "Load the demo accounts from fixtures/ and a demo class with an assigned quiz "
        "(development only; refused in production). Running it again changes nothing."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo accounts have documented passwords and are never loaded when "
                "QUIZAPP_ENV=production."
            )
        # Users are matched by username (their natural key), so loading twice changes nothing.
        call_command("loaddata", *DEMO_FIXTURES, verbosity=0)
        self._demo_class()
        self.stdout.write("Demo logins (development only):")
        for username, password, role in DEMO_LOGINS:
            self.stdout.write(f"  {username:<8} / {password:<16} {role}")

    @transaction.atomic
    def _demo_class(self) -> None:
        users = get_user_model().objects.in_bulk(["teacher", "ani"], field_name="username")
        teacher, ani = users["teacher"], users["ani"]
        classroom, _ = Classroom.objects.get_or_create(
            name=DEMO_CLASS, defaults={"join_code": DEMO_JOIN_CODE}
        )
        classroom.teachers.add(teacher)
        Enrolment.objects.get_or_create(
            classroom=classroom, student=ani, defaults={"joined_at": timezone.now()}
        )
        quiz, created = Quiz.objects.get_or_create(
            title=DEMO_QUIZ,
            owner=teacher,
            defaults={
                "description": "Ten questions on the corridor and Moscow's position.",
                "published": True,
                "attempts_allowed": 3,
                "time_limit": timedelta(minutes=15),
                "shuffle_questions": True,
            },
        )
        if created:
            questions = (
                Question.objects.published()
                .filter(tags__slug__in=DEMO_QUESTION_TAGS)
                .distinct()
                .order_by("slug")[:10]
            )
            QuizItem.objects.bulk_create(
                QuizItem(quiz=quiz, question=q, position=i) for i, q in enumerate(questions)
            )
            Assignment.objects.create(
                classroom=classroom,
                quiz=quiz,
                due_at=timezone.now() + timedelta(days=14),
                created_by=teacher,
            )
