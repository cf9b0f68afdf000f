"""The exams of a learner's classes, for the study app's exam mode (`quizapp.study.exams`)."""

from datetime import date

from quizapp.classroom.models import Assignment
from quizapp.study.exams import Exam, exam_source


@exam_source
def class_exams(*, user, today: date) -> list[Exam]:
    """Deck assignments with an exam date on or after `today` in the learner's classes (one
    query)."""
    return [
        Exam(deck_id=deck_id, deck_slug=slug, deck_title=title, day=day, source=classroom)
        for deck_id, slug, title, day, classroom in Assignment.objects.filter(
            classroom__enrolments__student=user, deck__isnull=False, exam_date__gte=today
        )
        .order_by("exam_date", "pk")
        .values_list("deck_id", "deck__slug", "deck__title", "exam_date", "classroom__name")
    ]
