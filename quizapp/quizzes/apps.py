from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizapp.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes"

    def ready(self) -> None:
        from quizapp.quizzes.selectors import questions_withheld_from_study
        from quizapp.study.withholding import withholding_rule_register

        # Study may not import quizzes: it asks the rules registered here instead.
        withholding_rule_register(questions_withheld_from_study)
