from django.contrib import admin
from django.urls import include, path

# /healthz is answered by quizapp.health.HealthCheckMiddleware, before the host check.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("quizapp.api.urls")),
    path("", include("frontend.urls")),
]

# A database outage is a 503 (JSON under /api/), anything else a 500 (quizapp/server_errors.py).
handler500 = "quizapp.server_errors.server_error"
