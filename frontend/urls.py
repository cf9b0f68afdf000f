from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import account, quizzes, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    # Named templates: the admin's registration/password_change_*.html would win otherwise.
    path("accounts/password/", account.PasswordChange.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="frontend/password_change_done.html"
        ),
        name="password_change_done",
    ),
    # Study sessions: flashcards, or answer-first practice; over all decks or one.
    path("study/", views.study, name="study"),
    path("study/<slug:deck_slug>/", views.study, name="study_deck"),
    path("practice/", views.study, {"mode": views.PRACTICE}, name="practice"),
    path("practice/<slug:deck_slug>/", views.study, {"mode": views.PRACTICE}, name="practice_deck"),
    path("reviews/", views.review, name="study_review"),
    path("reviews/undo/", views.undo, name="study_undo"),
    path("answers/", views.practice_answer, name="practice_answer"),
    path("progress/", views.progress, name="progress"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<slug:slug>/", views.source_detail, name="source_detail"),
    path("settings/", views.learner_settings, name="learner_settings"),
    path("settings/decks/", views.deck_presets_save, name="deck_presets_save"),
    path("settings/workload/", views.workload, name="workload"),
    path("settings/presets/new/", views.deck_preset_edit, name="deck_preset_new"),
    path("settings/presets/<int:preset_id>/", views.deck_preset_edit, name="deck_preset_edit"),
    path(
        "settings/presets/<int:preset_id>/delete/",
        views.deck_preset_remove,
        name="deck_preset_delete",
    ),
    path("settings/data.json", account.account_export, name="account_export"),
    path("settings/delete/", account.account_delete, name="account_delete"),
    path("quizzes/", quizzes.quiz_list, name="quiz_list"),
    path("quizzes/<int:quiz_id>/", quizzes.quiz_detail, name="quiz_detail"),
    path("quizzes/<int:quiz_id>/start/", quizzes.quiz_start, name="quiz_start"),
    path("attempts/<int:attempt_id>/", quizzes.attempt_detail, name="attempt_detail"),
    path(
        "attempts/<int:attempt_id>/answers/<int:question_id>/",
        quizzes.attempt_answer,
        name="attempt_answer",
    ),
    path("attempts/<int:attempt_id>/submit/", quizzes.attempt_submit_view, name="attempt_submit"),
    path("classes/", quizzes.class_list, name="class_list"),
    path("classes/<int:class_id>/leave/", quizzes.class_leave, name="class_leave"),
    path(
        "classes/invitations/<int:invitation_id>/accept/",
        quizzes.class_invitation_answer,
        {"accept": True},
        name="class_invitation_accept",
    ),
    path(
        "classes/invitations/<int:invitation_id>/decline/",
        quizzes.class_invitation_answer,
        {"accept": False},
        name="class_invitation_decline",
    ),
]
