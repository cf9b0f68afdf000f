from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "quizapp.api"
    label = "api"
    verbose_name = "REST API"
