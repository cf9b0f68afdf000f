"""Question interchange: Moodle GIFT and CSV in and out, Anki packages out.

The parse and format modules (`gift`, `csv_format`, `anki`) are pure: text in, plain
questions out, no database. `services` does the database reads and writes.

An imported question is a :class:`~quizapp.bank.content.QuestionSpec`, the same definition
the content files load into, so a question's content is described in exactly one place. The
fields a file cannot carry are fixed: no source and no quotes (provenance is added in the
admin), status ``draft`` (teachers publish in the admin), and ``line`` is where the question
starts in the file.
"""

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from django.utils.text import slugify

from quizapp.bank import grading
from quizapp.bank.content import QuestionSpec, answer_key_for_spec
from quizapp.bank.grading import QuestionType
from quizapp.unicode_text import not_text_problem

ImportedQuestion = QuestionSpec
"""A question read from a file: a QuestionSpec without source or quotes."""

IMPORTED_STATUS = "draft"
DEFAULT_DIFFICULTY = 3
CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})

# The column sizes of quizapp.bank.models, checked before saving so a long text is a problem
# on its line rather than a database error (or, on SQLite, a silently stored overlong value).
SLUG_MAX = 120
TAG_MAX = 60
DECK_MAX = 100
CHOICE_MAX = 500
PART_MAX = 300
UNIT_MAX = 30
INTEGER_DIGITS_MAX = 14  # DecimalField(max_digits=20, decimal_places=6)
DECIMAL_PLACES_MAX = 6
TYPO_TOLERANCE_MAX = 3
_GENERATED_SLUG_LENGTH = 60


class InterchangeFormat(StrEnum):
    GIFT = "gift"
    CSV = "csv"


@dataclass(frozen=True)
class ImportProblem:
    """Why a line of an import file cannot be imported (named so it doesn't shadow ImportError)."""

    line: int
    message: str
    slug: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {f'[{self.slug}] ' if self.slug else ''}{self.message}"


@dataclass(frozen=True)
class ParseResult:
    """The questions a file defines that are valid, and every problem with the rest."""

    questions: tuple[ImportedQuestion, ...]
    problems: tuple[ImportProblem, ...]


@dataclass
class Parsed:
    """One question as a parser read it: `fields` for a QuestionSpec, unless unreadable."""

    line: int
    fields: dict = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    readable: bool = True
    """False when the question could not be made out at all (no type, no answers)."""

    def problem(self, message: str, line: int | None = None) -> None:
        self.problems.append(ImportProblem(line or self.line, message))


def imported_question(*, line: int, **fields) -> ImportedQuestion:
    """A QuestionSpec with the defaults every import format shares."""
    fields.setdefault("explanation", "")
    fields.setdefault("difficulty", DEFAULT_DIFFICULTY)
    fields.setdefault("decks", ())
    fields.setdefault("tags", ())
    return QuestionSpec(
        source=None, quotes=(), status=IMPORTED_STATUS, path="", line=line, **fields
    )


def as_imported(question: QuestionSpec) -> ImportedQuestion:
    """What importing `question` should give back: the round-trip tests' expectation."""
    return replace(question, source=None, quotes=(), status=IMPORTED_STATUS)


def strip_bom(text: str) -> str:
    return text.removeprefix("\ufeff")


def decode_upload(data: bytes) -> str:
    """UTF-8 with or without a byte order mark; raises UnicodeDecodeError otherwise."""
    return data.decode("utf-8-sig")


def tag_slug(text: str) -> str:
    """Tags from other systems ("Chapter 1") become our slugs ("chapter-1")."""
    return slugify(text)[:TAG_MAX].strip("-")


def decimal_text(value: Decimal) -> str:
    """Plain positional notation (no exponent), as both formats write numbers."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def finish(parsed: Sequence[Parsed], extra: Iterable[ImportProblem] = ()) -> ParseResult:
    """Give every question a unique slug, check its answer key, and split valid from not.

    Shared by both formats so they agree on slugs and on what counts as valid.
    """
    explicit = [item.fields.get("slug", "") for item in parsed]
    _assign_slugs(parsed)
    questions: list[ImportedQuestion] = []
    problems = list(extra)
    for item, slug in zip(parsed, explicit, strict=True):
        spec = None
        if item.readable and not item.problems:
            # Checked only once it parsed, so one mistake is not reported twice.
            spec = imported_question(line=item.line, **item.fields)
            for message in question_problems(spec):
                item.problem(message)
        problems += [replace(p, slug=p.slug or slug) for p in item.problems]
        if spec is not None and not item.problems:
            questions.append(spec)
    if not parsed and not problems:
        problems.append(ImportProblem(1, "the file contains no questions"))
    problems.sort(key=lambda p: p.line)
    return ParseResult(questions=tuple(questions), problems=tuple(problems))


def _assign_slugs(parsed: Sequence[Parsed]) -> None:
    first_line: dict[str, int] = {}
    for item in parsed:
        slug = item.fields.get("slug", "")
        if not slug:
            continue
        if slug in first_line:
            item.problem(f"duplicate slug '{slug}' (first on line {first_line[slug]})")
        else:
            first_line[slug] = item.line
    taken = set(first_line)
    for item in parsed:
        if not item.readable or item.fields.get("slug"):
            continue
        # Underscores too become hyphens: a missing-word prompt holds "_____".
        base = re.sub(r"[-_]+", "-", slugify(item.fields.get("prompt", "")))
        base = base[:_GENERATED_SLUG_LENGTH].strip("-")
        base = base or "question"
        slug = next(
            candidate
            for candidate in itertools.chain([base], (f"{base}-{n}" for n in itertools.count(2)))
            if candidate not in taken
        )
        taken.add(slug)
        item.fields["slug"] = slug


def question_problems(spec: ImportedQuestion) -> list[str]:
    """Everything that would stop `spec` from being stored and graded."""
    problems: list[str] = []
    if not spec.prompt.strip():
        problems.append("the question has no text")
    if len(spec.slug) > SLUG_MAX:
        problems.append(f"slug is longer than {SLUG_MAX} characters")
    problems += [
        f"tag '{t}' is longer than {TAG_MAX} characters" for t in spec.tags if len(t) > TAG_MAX
    ]
    problems += [
        f"deck '{d}' is longer than {DECK_MAX} characters" for d in spec.decks if len(d) > DECK_MAX
    ]
    if not 1 <= spec.difficulty <= 5:
        problems.append(f"difficulty must be 1 to 5, not {spec.difficulty}")
    if spec.type not in CHOICE_TYPES and not spec.shuffle_choices:
        problems.append("shuffle applies to choice questions only")
    if not 0 <= spec.typo_tolerance <= TYPO_TOLERANCE_MAX:
        problems.append(f"typo tolerance must be 0 to {TYPO_TOLERANCE_MAX}")
    # The first text that is no text: quoting it would put it in the page that reports it.
    problems += [
        f"the text {problem}"
        for text in _texts(spec)
        if (problem := not_text_problem(text)) is not None
    ][:1]
    problems += _length_problems(spec)
    problems += _number_problems(spec)
    return problems + grading.validate_key(answer_key_for_spec(spec))


def _texts(spec: ImportedQuestion) -> Iterable[str]:
    yield from (spec.slug, spec.prompt, spec.explanation, spec.unit, *spec.tags, *spec.decks)
    yield from (text for text, _ in spec.choices)
    yield from (*spec.accepted, *spec.items, *(side for pair in spec.pairs for side in pair))


def _length_problems(spec: ImportedQuestion) -> list[str]:
    limits = [(text, CHOICE_MAX, "choice") for text, _ in spec.choices]
    limits += [(text, PART_MAX, "accepted answer") for text in spec.accepted]
    limits += [(text, PART_MAX, "item") for text in spec.items]
    limits += [(text, PART_MAX, "matching side") for pair in spec.pairs for text in pair]
    limits.append((spec.unit, UNIT_MAX, "unit"))
    return [
        f"{noun} '{text[:40]}…' is longer than {limit} characters"
        for text, limit, noun in limits
        if len(text) > limit
    ]


def _number_problems(spec: ImportedQuestion) -> list[str]:
    problems = []
    for name, number in (("value", spec.value), ("tolerance", spec.tolerance)):
        if number is None or not number.is_finite():
            continue  # validate_key reports these
        _, digits, exponent = number.normalize().as_tuple()
        places = max(0, -int(exponent))
        integer_digits = max(0, len(digits) + int(exponent))
        if places > DECIMAL_PLACES_MAX or integer_digits > INTEGER_DIGITS_MAX:
            problems.append(
                f"{name} {decimal_text(number)} needs more than {INTEGER_DIGITS_MAX} digits "
                f"before or {DECIMAL_PLACES_MAX} after the decimal point"
            )
    return problems


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_decimal(text: str) -> Decimal | None:
    """A plain number ("1994", "-0.5", "6.6e-34"), or None; no grouping, no units."""
    text = text.strip()
    return Decimal(text) if _NUMBER.fullmatch(text) else None
