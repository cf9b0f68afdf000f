"""Answer-first practice: the rating a graded answer proposes to the learner.

The learner confirms or changes it; the review is then recorded like any other, with
source "practice".
"""

from quizapp.bank.grading import Grade
from quizapp.study.models import Rating


def proposed_rating(grade: Grade) -> Rating:
    """Wrong → Again, partly right → Hard, right → Good (Easy is the learner's call)."""
    if grade.correct:
        return Rating.GOOD
    if grade.score > 0:
        return Rating.HARD
    return Rating.AGAIN
