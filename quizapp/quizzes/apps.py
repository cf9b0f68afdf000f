from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizapp.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes"
