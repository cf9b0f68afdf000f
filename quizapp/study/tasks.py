"""Background work for spaced repetition (Django's tasks framework, database-backed queue)."""

from django.contrib.auth import get_user_model
from django.tasks import task

from quizapp.study.services import learner_parameters_fit, workload_simulation_run


@task
def fit_learner_parameters(*, user_id: int) -> dict:
    """Fit a learner's FSRS-6 parameters outside any request (enqueued after N new reviews);
    they are applied only if they predict the learner's history no worse than the current."""
    user = get_user_model().objects.filter(pk=user_id).first()
    fit = None if user is None else learner_parameters_fit(user=user)  # None: deleted since
    if fit is None:
        return {"user_id": user_id, "fitted": False}
    return {
        "user_id": user_id,
        "fitted": True,
        "applied": fit.applied,
        "reviews": fit.review_count,
        "log_loss": fit.log_loss,
        "current_log_loss": fit.current_log_loss,
    }


@task
def simulate_learner_workload(*, user_id: int) -> dict:
    """Run a learner's queued workload simulation (too large to run in the request)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    simulation = None if user is None else workload_simulation_run(user=user)
    return {"user_id": user_id, "status": None if simulation is None else simulation.status}
