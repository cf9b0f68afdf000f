"""Background work for quizzes (Django's tasks framework, database-backed queue)."""

from django.tasks import task

from quizapp.quizzes.models import Attempt
from quizapp.quizzes.services import attempt_reviews_record


@task
def record_attempt_reviews(*, attempt_id: int) -> dict:
    """Put an `after_close` attempt's answers into the review log once the quiz has closed
    (enqueued to run at the closing time when the attempt is submitted)."""
    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None:  # deleted with its learner or quiz meanwhile
        return {"attempt_id": attempt_id, "recorded": False}
    return {"attempt_id": attempt_id, "recorded": attempt_reviews_record(attempt=attempt)}
