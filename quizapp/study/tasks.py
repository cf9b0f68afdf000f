"""Background work for spaced repetition (Django's tasks framework, database-backed queue)."""

from django.contrib.auth import get_user_model
from django.tasks import task

from quizapp.study.services import learner_parameters_fit


@task
def fit_learner_parameters(*, user_id: int) -> dict:
    """Fit a learner's FSRS-6 parameters outside any request (enqueued after N new reviews)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    fitted = None if user is None else learner_parameters_fit(user=user)  # None: deleted since
    if fitted is None:
        return {"user_id": user_id, "fitted": False}
    return {"user_id": user_id, "fitted": True, "reviews": fitted.review_count}
