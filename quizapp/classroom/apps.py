from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "quizapp.classroom"
    label = "classroom"
    verbose_name = "Classes"

    def ready(self) -> None:
        # Class exams feed the study queue's exam mode (the study app cannot import classes).
        from quizapp.classroom import exams  # noqa: F401
