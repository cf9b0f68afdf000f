"""Reading and validating the question bank kept as data files in `content/`.

Pure: files in, plain specs out, no database. Every problem is collected (not just the first)
and named by file, line, question slug and what to fix, so an author can mend them in one go.
The schema is documented in `content/README.md`.
"""

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from quizapp.bank import grading
from quizapp.bank.grading import QuestionType

COMMON_KEYS = {
    "slug",
    "type",
    "prompt",
    "explanation",
    "difficulty",
    "decks",
    "tags",
    "source",
    "quotes",
    "status",
}
REQUIRED_KEYS = ("slug", "type", "prompt", "explanation", "difficulty", "decks", "quotes")
TYPE_KEYS: dict[QuestionType, set[str]] = {
    QuestionType.SINGLE_CHOICE: {"choices", "shuffle"},
    QuestionType.MULTIPLE_CHOICE: {"choices", "shuffle"},
    QuestionType.TRUE_FALSE: {"answer"},
    QuestionType.SHORT_TEXT: {"accepted", "typo_tolerance"},
    QuestionType.NUMERIC: {"value", "tolerance", "unit"},
    QuestionType.ORDERING: {"items"},
    QuestionType.MATCHING: {"pairs"},
}
TYPE_REQUIRED: dict[QuestionType, str] = {
    QuestionType.SINGLE_CHOICE: "choices",
    QuestionType.MULTIPLE_CHOICE: "choices",
    QuestionType.TRUE_FALSE: "answer",
    QuestionType.SHORT_TEXT: "accepted",
    QuestionType.NUMERIC: "value",
    QuestionType.ORDERING: "items",
    QuestionType.MATCHING: "pairs",
}
STATUSES = ("draft", "published", "retired")


def split_paragraphs(text: str) -> list[str]:
    """A source's paragraphs: its non-empty lines, stripped, numbered from 1 by position."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class ContentError:
    path: str
    line: int | None
    slug: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {f'[{self.slug}] ' if self.slug else ''}{self.message}"


class ContentInvalid(Exception):
    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in content:\n" + "\n".join(map(str, errors)))


@dataclass(frozen=True)
class ParagraphSpec:
    number: int
    text: str
    factual: bool


@dataclass(frozen=True)
class SourceSpec:
    slug: str
    title: str
    publisher: str
    url: str
    paragraphs: tuple[ParagraphSpec, ...]


@dataclass(frozen=True)
class DeckSpec:
    slug: str
    title: str
    description: str
    position: int


@dataclass(frozen=True)
class QuoteSpec:
    paragraph: int
    text: str


@dataclass(frozen=True)
class QuestionSpec:
    slug: str
    type: QuestionType
    prompt: str
    explanation: str
    difficulty: int
    decks: tuple[str, ...]
    tags: tuple[str, ...]
    source: str | None
    quotes: tuple[QuoteSpec, ...]
    status: str = "published"
    choices: tuple[tuple[str, bool], ...] = ()
    shuffle_choices: bool = True
    answer_bool: bool | None = None
    accepted: tuple[str, ...] = ()
    typo_tolerance: int = 0
    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    unit: str = ""
    items: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    path: str = field(default="", compare=False)
    line: int | None = field(default=None, compare=False)

    def content(self) -> dict:
        """What a learner sees of the question: a change here is a new version."""
        data = asdict(self)
        for key in ("path", "line"):
            data.pop(key)
        return data


def content_fingerprint(content: dict) -> str:
    """A stable hash of a question's content, used to bump versions only on real edits."""

    def default(value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        raise TypeError(type(value))

    payload = json.dumps(content, sort_keys=True, default=default, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ContentBundle:
    sources: tuple[SourceSpec, ...]
    decks: tuple[DeckSpec, ...]
    questions: tuple[QuestionSpec, ...]


class _Mapping(dict):
    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line each mapping starts on, for error messages."""

    def construct_mapping(self, node, deep=False):
        mapping = _Mapping(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


def _read_yaml(path: Path, root: Path, errors: list[ContentError]):
    relative = _display(path, root)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except FileNotFoundError:
        errors.append(ContentError(relative, None, None, "file is missing"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        errors.append(ContentError(relative, line, None, f"invalid YAML: {problem}"))
    return None


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load_content(root: Path) -> ContentBundle:
    """Read and validate the `content/` folder; raise ContentInvalid listing every problem."""
    errors: list[ContentError] = []
    sources = _load_sources(root, errors)
    decks = _load_decks(root, errors)
    paragraphs = {s.slug: {p.number: p for p in s.paragraphs} for s in sources}
    questions = _load_questions(root, errors, {d.slug for d in decks}, paragraphs)
    if errors:
        raise ContentInvalid(errors)
    return ContentBundle(sources=tuple(sources), decks=tuple(decks), questions=tuple(questions))


def _load_sources(root: Path, errors: list[ContentError]) -> list[SourceSpec]:
    sources = []
    for meta_path in sorted((root / "sources").glob("*/source.yaml")):
        where = _display(meta_path, root)
        meta = _read_yaml(meta_path, root, errors)
        if not isinstance(meta, dict):
            if meta is not None:
                errors.append(ContentError(where, None, None, "expected a mapping"))
            continue
        missing = [k for k in ("slug", "title", "body") if not meta.get(k)]
        if missing:
            errors.append(ContentError(where, meta.line, None, f"missing {', '.join(missing)}"))
            continue
        body_path = meta_path.parent / str(meta["body"])
        try:
            body = body_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            errors.append(ContentError(where, meta.line, None, f"body file {body_path} is missing"))
            continue
        non_factual = set(meta.get("non_factual_paragraphs") or [])
        texts = split_paragraphs(body)
        out_of_range = sorted(n for n in non_factual if not 1 <= n <= len(texts))
        if out_of_range:
            errors.append(
                ContentError(
                    where,
                    meta.line,
                    None,
                    f"non_factual_paragraphs {out_of_range} are outside 1..{len(texts)}",
                )
            )
        sources.append(
            SourceSpec(
                slug=str(meta["slug"]),
                title=str(meta["title"]),
                publisher=str(meta.get("publisher") or ""),
                url=str(meta.get("url") or ""),
                paragraphs=tuple(
                    ParagraphSpec(number=n, text=t, factual=n not in non_factual)
                    for n, t in enumerate(texts, start=1)
                ),
            )
        )
    return sources


def _load_decks(root: Path, errors: list[ContentError]) -> list[DeckSpec]:
    path = root / "decks.yaml"
    data = _read_yaml(path, root, errors)
    if data is None:
        return []
    if not isinstance(data, list):
        errors.append(ContentError(_display(path, root), None, None, "expected a list of decks"))
        return []
    decks = []
    for position, item in enumerate(data):
        if not isinstance(item, dict) or not item.get("slug") or not item.get("title"):
            line = getattr(item, "line", None)
            errors.append(
                ContentError(_display(path, root), line, None, "a deck needs slug and title")
            )
            continue
        decks.append(
            DeckSpec(
                slug=str(item["slug"]),
                title=str(item["title"]),
                description=str(item.get("description") or ""),
                position=position,
            )
        )
    for slug, count in Counter(d.slug for d in decks).items():
        if count > 1:
            errors.append(ContentError(_display(path, root), None, slug, "duplicate deck slug"))
    return decks


def _load_questions(root, errors, deck_slugs, paragraphs) -> list[QuestionSpec]:
    questions: list[QuestionSpec] = []
    seen: dict[str, str] = {}
    for path in sorted((root / "questions").glob("*.yaml")):
        where = _display(path, root)
        data = _read_yaml(path, root, errors)
        if data is None:
            continue
        if not isinstance(data, list):
            errors.append(ContentError(where, None, None, "expected a list of questions"))
            continue
        for item in data:
            problems: list[str] = []
            line = getattr(item, "line", None)
            if not isinstance(item, dict):
                errors.append(ContentError(where, line, None, "each question must be a mapping"))
                continue
            slug = str(item.get("slug") or "") or None
            spec = _question_spec(item, problems, deck_slugs, paragraphs)
            if slug in seen:
                problems.append(f"duplicate slug (also in {seen[slug]})")
            elif slug:
                seen[slug] = f"{where}:{line}"
            errors.extend(ContentError(where, line, slug, p) for p in problems)
            if spec and not problems:
                questions.append(QuestionSpec(**{**spec.__dict__, "path": where, "line": line}))
    return questions


def _question_spec(item: dict, problems: list[str], deck_slugs, paragraphs) -> QuestionSpec | None:
    missing = [k for k in REQUIRED_KEYS if item.get(k) in (None, "", [])]
    if missing:
        problems.append(f"missing field(s): {', '.join(missing)}")
    try:
        qtype = QuestionType(item.get("type"))
    except ValueError:
        allowed = ", ".join(t.value for t in QuestionType)
        problems.append(f"unknown type {item.get('type')!r} (use one of: {allowed})")
        return None
    unknown = set(item) - COMMON_KEYS - TYPE_KEYS[qtype]
    if unknown:
        problems.append(
            f"field(s) {', '.join(sorted(unknown))} do not belong to a {qtype.value} question "
            f"(it takes: {', '.join(sorted(TYPE_KEYS[qtype]))})"
        )
    if item.get(TYPE_REQUIRED[qtype]) in (None, "", []):
        problems.append(f"a {qtype.value} question needs '{TYPE_REQUIRED[qtype]}'")
    if missing:
        return None

    difficulty = item["difficulty"]
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or not 1 <= difficulty <= 5:
        problems.append(f"difficulty must be a whole number from 1 to 5, not {difficulty!r}")
    decks = tuple(_strings(item.get("decks")))
    for deck in decks:
        if deck not in deck_slugs:
            problems.append(f"unknown deck {deck!r} (decks are listed in content/decks.yaml)")
    status = str(item.get("status") or "published")
    if status not in STATUSES:
        problems.append(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    source = item.get("source")
    quotes = _quotes(item.get("quotes"), source, paragraphs, problems)

    parts = _type_parts(qtype, item, problems)
    if problems:
        return None
    if parts.get("shuffle_choices"):
        parts["choices"] = stored_choice_order(str(item["slug"]), parts["choices"])
    spec = QuestionSpec(
        slug=str(item["slug"]),
        type=qtype,
        prompt=str(item["prompt"]).strip(),
        explanation=str(item["explanation"]).strip(),
        difficulty=difficulty,
        decks=decks,
        tags=tuple(_strings(item.get("tags"))),
        source=str(source) if source else None,
        quotes=quotes,
        status=status,
        **parts,
    )
    problems.extend(grading.validate_key(answer_key_for_spec(spec)))
    return spec


def stored_choice_order(slug: str, choices: tuple[tuple[str, bool], ...]):
    """Choices in the order they are stored and numbered: by a stable hash of the question's
    slug and each choice's text, whatever order the file lists them in.

    Authors tend to write the right answer first; where choices are not shuffled (a quiz with
    shuffling off, an export) the stored order is the order shown, so it must say nothing
    about which is right. A question with `shuffle: false` keeps the file's order: its author
    wants that order ("All of the above" last) and answers for where the key stands.
    """
    return tuple(
        sorted(choices, key=lambda choice: hashlib.sha256(f"{slug}\n{choice[0]}".encode()).digest())
    )


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _quotes(value, source, paragraphs, problems) -> tuple[QuoteSpec, ...]:
    if not source:
        problems.append("missing field: source (the slug of the article the question cites)")
        return ()
    if source not in paragraphs:
        problems.append(f"unknown source {source!r}")
        return ()
    if not isinstance(value, list):
        problems.append("quotes must be a list of {paragraph, text}")
        return ()
    quotes = []
    for quote in value:
        if not isinstance(quote, dict) or "paragraph" not in quote or not quote.get("text"):
            problems.append("each quote needs a paragraph number and text")
            continue
        number, text = quote["paragraph"], str(quote["text"])
        paragraph = paragraphs[source].get(number) if isinstance(number, int) else None
        if paragraph is None:
            problems.append(
                f"quote cites paragraph {number!r}, but {source} has paragraphs "
                f"1..{len(paragraphs[source])}"
            )
        elif text not in paragraph.text:
            problems.append(
                f"quote not found verbatim in {source} paragraph {number}: {text[:80]!r} "
                "(copy it exactly, including ’ “ ” — characters)"
            )
        else:
            quotes.append(QuoteSpec(paragraph=number, text=text))
    return tuple(quotes)


def _type_parts(qtype: QuestionType, item: dict, problems: list[str]) -> dict:
    if qtype in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        choices = []
        for choice in item.get("choices") or []:
            if not isinstance(choice, dict) or not str(choice.get("text") or "").strip():
                problems.append("each choice needs text (and correct: true for right ones)")
                continue
            correct = choice.get("correct", False)
            if not isinstance(correct, bool):
                problems.append(f"choice 'correct' must be true or false, not {correct!r}")
            choices.append((str(choice["text"]).strip(), correct is True))
        shuffle = item.get("shuffle", True)
        return {"choices": tuple(choices), "shuffle_choices": shuffle is not False}
    if qtype == QuestionType.TRUE_FALSE:
        answer = item.get("answer")
        if not isinstance(answer, bool):
            problems.append(f"answer must be true or false, not {answer!r}")
        return {"answer_bool": answer if isinstance(answer, bool) else None}
    if qtype == QuestionType.SHORT_TEXT:
        tolerance = item.get("typo_tolerance", 0)
        if not isinstance(tolerance, int) or isinstance(tolerance, bool) or not 0 <= tolerance <= 3:
            problems.append(f"typo_tolerance must be 0 to 3, not {tolerance!r}")
            tolerance = 0
        accepted = tuple(a.strip() for a in _strings(item.get("accepted")) if a.strip())
        return {"accepted": accepted, "typo_tolerance": tolerance}
    if qtype == QuestionType.NUMERIC:
        value = _decimal(item.get("value"), "value", problems)
        tolerance = _decimal(item.get("tolerance", 0), "tolerance", problems) or Decimal(0)
        return {"value": value, "tolerance": tolerance, "unit": str(item.get("unit") or "")}
    if qtype == QuestionType.ORDERING:
        return {"items": tuple(s.strip() for s in _strings(item.get("items")))}
    pairs = []
    for pair in item.get("pairs") or []:
        if not isinstance(pair, dict) or not pair.get("left") or not pair.get("right"):
            problems.append("each pair needs left and right")
            continue
        pairs.append((str(pair["left"]).strip(), str(pair["right"]).strip()))
    return {"pairs": tuple(pairs)}


def _decimal(value, name: str, problems: list[str]) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"{name} must be a number, not {value!r}")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{name} must be a number, not {value!r}")
        return None
    if not number.is_finite():
        problems.append(f"{name} must be a finite number")
        return None
    return number


def answer_key_for_spec(spec: QuestionSpec) -> grading.AnswerKey:
    """The grading key a spec will have once stored (ids are positions), for validation."""
    return grading.AnswerKey(
        type=spec.type,
        choices=tuple(
            grading.ChoiceKey(id=i, text=text, correct=correct)
            for i, (text, correct) in enumerate(spec.choices, start=1)
        ),
        answer_bool=spec.answer_bool,
        accepted=spec.accepted,
        typo_tolerance=spec.typo_tolerance,
        value=spec.value,
        tolerance=spec.tolerance,
        unit=spec.unit,
        items=tuple(grading.ItemKey(id=i, text=t) for i, t in enumerate(spec.items, start=1)),
        pairs=tuple(
            grading.PairKey(id=i, left=left, right=right)
            for i, (left, right) in enumerate(spec.pairs, start=1)
        ),
    )
