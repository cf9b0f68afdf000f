"""Importing question files into the bank and exporting questions from it.

Imports are all or nothing by default: a preview lists what would be created and every
problem by line, and nothing is saved while any line has a problem unless the teacher asks
for only the valid questions. Imported questions are drafts owned by the importing teacher,
with no source or quotes; the teacher adds provenance and publishes them in the admin.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.text import slugify

from quizapp.bank.interchange import (
    ImportedQuestion,
    ImportProblem,
    InterchangeFormat,
    ParseResult,
    decode_upload,
)
from quizapp.bank.interchange.anki import AnkiNote, anki_package
from quizapp.bank.interchange.csv_format import csv_format, parse_csv
from quizapp.bank.interchange.gift import gift_format, parse_gift
from quizapp.bank.models import Deck, DeckQuestion, Question
from quizapp.bank.services import (
    question_fields,
    question_parts_write,
    question_spec_from_model,
    tags_ensure,
)

_PARSERS = {InterchangeFormat.GIFT: parse_gift, InterchangeFormat.CSV: parse_csv}


@dataclass(frozen=True)
class ImportPreview:
    """What an import would create, and why the other lines cannot be imported."""

    questions: tuple[ImportedQuestion, ...]
    problems: tuple[ImportProblem, ...]
    existing_slugs: tuple[str, ...]
    """Slugs in the file that the bank already has (each is also a problem)."""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImportResult:
    created: tuple[Question, ...]
    problems: tuple[ImportProblem, ...]
    """Everything wrong with the file: why nothing was saved, or what `only_valid` skipped."""

    @property
    def saved(self) -> bool:
        return bool(self.created)


def parse_questions(*, text: str | bytes, format: str) -> ParseResult:
    """Parse a GIFT or CSV file (text, or bytes as uploaded: UTF-8 with or without BOM)."""
    kind = InterchangeFormat(format)
    if isinstance(text, bytes):
        try:
            text = decode_upload(text)
        except UnicodeDecodeError as error:
            line = text[: error.start].count(b"\n") + 1
            problem = ImportProblem(line, "the file is not UTF-8 text: save it as UTF-8")
            return ParseResult(questions=(), problems=(problem,))
    return _PARSERS[kind](text)


def import_preview(*, text: str | bytes, format: str, owner) -> ImportPreview:
    """The questions `owner` would get from the file, with every problem by line."""
    parsed = parse_questions(text=text, format=format)
    existing, problems = _bank_problems(parsed.questions, owner)
    failed = {problem.line for problem in problems}
    return ImportPreview(
        questions=tuple(q for q in parsed.questions if q.line not in failed),
        problems=tuple(sorted(parsed.problems + tuple(problems), key=lambda p: p.line)),
        existing_slugs=existing,
    )


def _bank_problems(
    questions: Sequence[ImportedQuestion], owner
) -> tuple[tuple[str, ...], list[ImportProblem]]:
    """What the database says against the file: taken slugs, decks one may not use."""
    problems: list[ImportProblem] = []
    taken = dict(
        Question.objects.filter(slug__in=[q.slug for q in questions]).values_list(
            "slug", "owner_id"
        )
    )
    decks = {
        deck.slug: deck
        for deck in Deck.objects.filter(slug__in={d for q in questions for d in q.decks})
    }
    for question in questions:
        line, slug = question.line, question.slug
        if slug in taken:
            whose = "one of your questions" if taken[slug] == owner.pk else "a question in the bank"
            problems.append(
                ImportProblem(
                    line, f"the slug is already used by {whose}: give this one a new slug", slug
                )
            )
        for deck_slug in question.decks:
            deck = decks.get(deck_slug)
            if deck is None:
                problems.append(ImportProblem(line, f"unknown deck '{deck_slug}'", slug))
            elif not may_add_to_deck(owner, deck):
                problems.append(
                    ImportProblem(line, f"deck '{deck_slug}' is not one of your decks", slug)
                )
    return tuple(s for s in dict.fromkeys(q.slug for q in questions) if s in taken), problems


def may_add_to_deck(user, deck: Deck) -> bool:
    """Teachers add questions to their own decks; the shared, seeded ones are curated."""
    return user.is_superuser or deck.owner_id == user.pk


@transaction.atomic
def import_questions(
    *,
    text: str | bytes,
    format: str,
    owner,
    deck: Deck | None = None,
    only_valid: bool = False,
) -> ImportResult:
    """Create the file's questions as drafts owned by `owner`, optionally all in `deck`.

    Nothing is saved if any line has a problem, unless `only_valid` (then the valid
    questions are created and the problems say what was left out).
    """
    if deck is not None and not may_add_to_deck(owner, deck):
        raise PermissionDenied(f"{owner} may not add questions to the deck {deck.slug}")
    preview = import_preview(text=text, format=format, owner=owner)
    if (preview.problems and not only_valid) or not preview.questions:
        return ImportResult(created=(), problems=preview.problems)
    created = _questions_create(preview.questions, owner, deck)
    return ImportResult(created=tuple(created), problems=preview.problems)


def _questions_create(
    specs: Sequence[ImportedQuestion], owner, deck: Deck | None
) -> list[Question]:
    specs = [
        replace(spec, decks=tuple(dict.fromkeys([*spec.decks, *([deck.slug] if deck else [])])))
        for spec in specs
    ]
    decks = {d.slug: d for d in Deck.objects.filter(slug__in={s for q in specs for s in q.decks})}
    tags = tags_ensure(slugs={tag for spec in specs for tag in spec.tags})
    # New questions go after the ones a deck already has, in file order.
    last = dict(
        DeckQuestion.objects.filter(deck__in=decks.values())
        .values("deck__slug")
        .annotate(last=Max("position"))
        .values_list("deck__slug", "last")
    )
    questions, memberships = [], []
    for spec in specs:
        question = Question.objects.create(slug=spec.slug, owner=owner, **question_fields(spec))
        question.tags.set([tags[slug] for slug in spec.tags])
        question_parts_write(question=question, spec=spec, paragraphs={})
        for deck_slug in spec.decks:
            last[deck_slug] = last.get(deck_slug, 0) + 1
            memberships.append(
                DeckQuestion(deck=decks[deck_slug], question=question, position=last[deck_slug])
            )
        questions.append(question)
    DeckQuestion.objects.bulk_create(memberships)
    return questions


# --------------------------------------------------------------------------- exports


def questions_for_export(questions: Deck | Iterable[Question]) -> list[Question]:
    """The questions with everything an export reads, in a fixed number of queries.

    A deck gives its questions in study order; a queryset or list keeps its own order.
    """
    if isinstance(questions, Deck):
        ids = list(
            DeckQuestion.objects.filter(deck=questions)
            .order_by("position", "question_id")
            .values_list("question_id", flat=True)
        )
    elif isinstance(questions, QuerySet):
        ids = list(questions.values_list("pk", flat=True))
    else:
        ids = [question.pk for question in questions]
    loaded = (
        Question.objects.with_answer_parts()
        .prefetch_related("tags", "memberships__deck")
        .in_bulk(ids)
    )
    return [loaded[pk] for pk in dict.fromkeys(ids)]


def _specs(questions: Deck | Iterable[Question]) -> list[ImportedQuestion]:
    return [question_spec_from_model(q) for q in questions_for_export(questions)]


def export_gift(questions: Deck | Iterable[Question]) -> bytes:
    """A GIFT file (UTF-8) without decks (chosen on import, as Moodle chooses a category).

    Questions GIFT cannot express (ordering) are left out and listed in a comment at the top;
    `gift.gift_skipped` says which and why, for a message to the teacher.
    """
    return gift_format(_specs(questions)).encode()


def export_csv(questions: Deck | Iterable[Question]) -> bytes:
    """A CSV file, UTF-8 with a byte order mark so that spreadsheets read it as UTF-8."""
    return csv_format(_specs(questions)).encode("utf-8-sig")


def export_anki(
    deck_or_questions: Deck | Iterable[Question], *, title: str = "", key: str = ""
) -> bytes:
    """An Anki package of the questions, one note each.

    A deck names the Anki deck; for other questions (a quiz's, say) pass a `title` and a
    stable `key` (such as f"quiz-{quiz.pk}") so that a later export updates the same deck.
    """
    if isinstance(deck_or_questions, Deck):
        title, key = title or deck_or_questions.title, key or deck_or_questions.slug
    title = title or "Quizapp questions"
    notes = [
        AnkiNote(
            slug=question.slug,
            card=question.flashcard(),
            tags=tuple(tag.slug for tag in question.tags.all()),
            source_title=question.source.title if question.source else "",
        )
        for question in questions_for_export(deck_or_questions)
    ]
    return anki_package(deck_key=key or slugify(title), deck_title=title, notes=notes)
