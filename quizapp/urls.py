from django.contrib import admin
from django.urls import include, path

from frontend import views as frontend_views

urlpatterns = [
    path("healthz", frontend_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("quizapp.api.urls")),
    path("", include("frontend.urls")),
]
