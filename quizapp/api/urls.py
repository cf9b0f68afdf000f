"""Everything under /api/: the schema, its docs, version 1, and JSON 404s for the rest."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from quizapp.api.views import (
    account,
    auth,
    classes,
    content,
    presets,
    progress,
    quizzes,
    study,
    sync,
    workload,
)
from quizapp.api.views.docs import ApiDocsView
from quizapp.api.views.not_found import NotFoundView

v1 = [
    path("auth/register", auth.RegisterApi.as_view(), name="register"),
    path("auth/login", auth.LoginApi.as_view(), name="login"),
    path("auth/logout", auth.LogoutApi.as_view(), name="logout"),
    path("auth/logout-all", auth.LogoutAllApi.as_view(), name="logout-all"),
    path("me", account.MeApi.as_view(), name="me"),
    path("me/settings", auth.MeSettingsApi.as_view(), name="me-settings"),
    path("me/workload", workload.WorkloadApi.as_view(), name="me-workload"),
    path("decks", content.DeckListApi.as_view(), name="decks"),
    path("decks/<slug:slug>", content.DeckDetailApi.as_view(), name="deck"),
    path("decks/<slug:slug>/preset", presets.DeckPresetApi.as_view(), name="deck-preset"),
    path("presets", presets.PresetListApi.as_view(), name="presets"),
    path("presets/<int:id>", presets.PresetDetailApi.as_view(), name="preset"),
    path("sources/<slug:slug>", content.SourceDetailApi.as_view(), name="source"),
    path("study/queue", study.StudyQueueApi.as_view(), name="study-queue"),
    path("reviews", study.ReviewsRecordApi.as_view(), name="reviews"),
    path("reviews/undo", study.ReviewUndoApi.as_view(), name="reviews-undo"),
    path("cards/<slug:slug>/suspend", study.CardSuspendApi.as_view(), name="card-suspend"),
    path("cards/<slug:slug>/unsuspend", study.CardUnsuspendApi.as_view(), name="card-unsuspend"),
    path("cards/<slug:slug>/bury", study.CardBuryApi.as_view(), name="card-bury"),
    path("cards/<slug:slug>/reset", study.CardResetApi.as_view(), name="card-reset"),
    path("sync", sync.SyncApi.as_view(), name="sync"),
    path("progress", progress.ProgressApi.as_view(), name="progress"),
    path("quizzes", quizzes.QuizListApi.as_view(), name="quizzes"),
    path("quizzes/<int:id>", quizzes.QuizDetailApi.as_view(), name="quiz"),
    path("quizzes/<int:id>/attempts", quizzes.AttemptStartApi.as_view(), name="quiz-attempts"),
    path(
        "quizzes/<int:id>/item-analysis",
        classes.QuizItemAnalysisApi.as_view(),
        name="quiz-item-analysis",
    ),
    path("attempts/<int:id>", quizzes.AttemptDetailApi.as_view(), name="attempt"),
    path(
        "attempts/<int:id>/answers/<int:question>",
        quizzes.AttemptAnswerApi.as_view(),
        name="attempt-answer",
    ),
    path("attempts/<int:id>/submit", quizzes.AttemptSubmitApi.as_view(), name="attempt-submit"),
    path("classes", classes.ClassListApi.as_view(), name="classes"),
    path("classes/join", classes.ClassJoinApi.as_view(), name="classes-join"),
    path("classes/invitations", classes.InvitationListApi.as_view(), name="class-invitations"),
    path(
        "classes/invitations/<int:id>/accept",
        classes.InvitationAcceptApi.as_view(),
        name="class-invitation-accept",
    ),
    path(
        "classes/invitations/<int:id>/decline",
        classes.InvitationDeclineApi.as_view(),
        name="class-invitation-decline",
    ),
    path("classes/<int:id>/leave", classes.ClassLeaveApi.as_view(), name="class-leave"),
    path("classes/<int:id>/results", classes.ClassResultsApi.as_view(), name="class-results"),
    path("me/export", account.MeExportApi.as_view(), name="me-export"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include((v1, "v1"))),
    re_path(r"^", NotFoundView.as_view()),
]
