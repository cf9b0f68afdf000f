"""Reads of the question bank for screens, endpoints and commands."""

from dataclasses import dataclass

from django.db.models import Prefetch

from quizapp.bank.models import Paragraph, Question, Quote, Source


@dataclass(frozen=True)
class ParagraphCoverage:
    number: int
    text: str
    factual: bool
    question_slugs: tuple[str, ...]

    @property
    def uncovered(self) -> bool:
        return self.factual and not self.question_slugs


def source_coverage(*, source: Source, include_retired: bool = False) -> list[ParagraphCoverage]:
    """Each paragraph of a source with the questions citing it (two queries)."""
    questions = (
        Question.objects.all()
        if include_retired
        else Question.objects.exclude(status=Question.Status.RETIRED)
    )
    quotes = Quote.objects.filter(question__in=questions).select_related("question")
    paragraphs = Paragraph.objects.filter(source=source).prefetch_related(
        Prefetch("quotes", queryset=quotes.order_by("question__slug"), to_attr="citing")
    )
    return [
        ParagraphCoverage(
            number=p.number,
            text=p.text,
            factual=p.factual,
            question_slugs=tuple(dict.fromkeys(q.question.slug for q in p.citing)),
        )
        for p in paragraphs
    ]
