"""Moodle GIFT: parse a file into questions and format questions as a file. Pure.

Follows Moodle's own importer (question/format/gift) where it matters for compatibility:
questions are separated by blank lines, lines starting with ``//`` are comments, the escapes
are ``\\\\ \\~ \\= \\# \\{ \\} \\:`` and ``\\n`` (a backslash before anything else is kept as
is), the answer block is the first ``{...}``, and the type is decided in Moodle's order
(``#`` numerical, ``~`` multiple choice, ``=`` with ``->`` matching, ``T``/``F`` true/false,
else short answer). Our additions ride in comments Moodle ignores: ``// [tag:x]`` (Moodle's
own tag syntax) and ``// quizapp: {...}`` (JSON with difficulty, unit, typo tolerance and
shuffle), so an export imports back unchanged. Decks are not written: like Moodle's category,
the deck is chosen when importing. content/README.md documents the subset.
"""

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify

from quizapp.bank.grading import QuestionType
from quizapp.bank.interchange import (
    DEFAULT_DIFFICULTY,
    ImportedQuestion,
    Parsed,
    ParseResult,
    decimal_text,
    finish,
    parse_decimal,
    strip_bom,
    tag_slug,
)

MISSING_WORD = "_____"
"""Where the answer block stood in a "missing word" question (Moodle's own marker)."""

METADATA_PREFIX = "quizapp:"
_ESCAPABLE = frozenset("\\~=#{}:n")
_FORMATS = frozenset({"html", "moodle", "markdown", "plain"})
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_WEIGHT = re.compile(r"%(-?\d{1,3}(?:\.\d*)?)%")
_TAG = re.compile(r"\[tag:((?:\\\]|[^\]])+)\]")
_METADATA_KEYS = {
    "difficulty": int,
    "unit": str,
    "typo_tolerance": int,
    "shuffle": bool,
}


# --------------------------------------------------------------------------- escapes


def _skip_escape(text: str, i: int) -> int:
    """Index after the character at `i`, jumping over a whole escape sequence."""
    if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
        return i + 2
    return i + 1


def _find(text: str, needle: str, start: int = 0) -> int:
    """First unescaped `needle` at or after `start`, or -1."""
    i = start
    while i < len(text):
        if text.startswith(needle, i):
            return i
        i = _skip_escape(text, i)
    return -1


def _rfind(text: str, needle: str) -> int:
    last, i = -1, _find(text, needle)
    while i != -1:
        last, i = i, _find(text, needle, i + 1)
    return last


def _split(text: str, markers: str) -> list[tuple[str, str]]:
    """Split at unescaped marker characters: [(marker, following text), …].

    Text before the first marker comes first with the marker "" (dropped when blank).
    """
    parts: list[tuple[str, str]] = []
    marker, start, i = "", 0, 0
    while i < len(text):
        if text[i] in markers:
            parts.append((marker, text[start:i]))
            marker, start = text[i], i + 1
            i += 1
        else:
            i = _skip_escape(text, i)
    parts.append((marker, text[start:]))
    if not parts[0][0] and not parts[0][1].strip():
        parts.pop(0)
    return parts


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        end = _skip_escape(text, i)
        if end == i + 2:
            out.append("\n" if text[i + 1] == "n" else text[i + 1])
        else:
            out.append(text[i])
        i = end
    return "".join(out)


def escape(text: str) -> str:
    for char in "\\~=#{}:":
        text = text.replace(char, "\\" + char)
    # Newlines become \n: a real line break could end the question (a blank line) early.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _plain(raw: str) -> str:
    return unescape(raw.strip()).strip()


def _formatted(raw: str) -> str:
    """Text that may open with a format marker such as [html]: the marker is dropped.

    HTML and Markdown are kept as written; we store and show plain text.
    """
    raw = raw.strip()
    if raw.startswith("["):
        end = raw.find("]")
        if end > 0 and raw[1:end].lower() in _FORMATS:
            raw = raw[end + 1 :]
    return _plain(raw)


def _escape_formatted(text: str) -> str:
    """Escape text that the importer reads with `_formatted`.

    Text that itself starts with something like "[html]" gets an explicit [moodle] marker,
    so only that one is removed on import.
    """
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end].lower() in _FORMATS:
            return "[moodle]" + escape(text)
    return escape(text)


# --------------------------------------------------------------------------- parsing


@dataclass
class _Block:
    line: int
    text: str
    comments: list[tuple[int, str]]


def _blocks(text: str) -> Iterator[_Block]:
    """Questions are separated by blank lines; `//` lines are comments inside a block."""
    lines: list[tuple[int, str]] = []
    comments: list[tuple[int, str]] = []
    numbered = enumerate(strip_bom(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1)
    for number, line in [*numbered, (0, "")]:
        if line.strip().startswith("//"):
            comments.append((number, line.strip()[2:].strip()))
        elif line.strip():
            lines.append((number, line))
        else:
            if lines:
                yield _Block(lines[0][0], "\n".join(t for _, t in lines).strip(), comments)
            lines, comments = [], []


def parse_gift(text: str) -> ParseResult:
    """Every question of a GIFT file, and a problem for each line that cannot be imported."""
    parsed = [_parse_block(block) for block in _blocks(text)]
    return finish([item for item in parsed if item is not None])


def _parse_block(block: _Block) -> Parsed | None:
    raw = block.text
    if raw.startswith("$CATEGORY:"):
        return None  # Moodle's category switch: the target deck is chosen when importing
    item = Parsed(line=block.line)
    fields = item.fields

    title = ""
    if raw.startswith("::"):
        end = _find(raw, "::", 2)
        if end == -1:
            item.problem("the question name has no closing '::'")
            item.readable = False
            return item
        title, raw = _plain(raw[2:end]), raw[end + 2 :].strip()
    fields["slug"] = slugify(title)

    start, end = _find(raw, "{"), _find(raw, "}")
    if start == -1 and end == -1:
        item.problem(
            "no answer block { }: descriptions (text without a question) are not supported"
        )
        item.readable = False
        return item
    if start == -1 or end == -1 or end < start:
        item.problem("unbalanced braces: write a literal { or } as \\{ or \\}")
        item.readable = False
        return item
    if _find(raw, "{", end) != -1 or _find(raw, "}", end + 1) != -1:
        item.problem("more than one answer block: embedded answers (cloze) are not supported")
    before, answers, after = raw[:start], raw[start + 1 : end].strip(), raw[end + 1 :]
    prompt_raw = before + MISSING_WORD + after if after.strip() else before

    feedback = _rfind(answers, "####")
    explanation = ""
    if feedback != -1:
        explanation = _formatted(answers[feedback + 4 :])
        answers = answers[:feedback].strip()
    fields.update(prompt=_formatted(prompt_raw), explanation=explanation)
    _read_comments(block.comments, item)
    _read_answers(answers, item)
    return item


def _read_comments(comments: list[tuple[int, str]], item: Parsed) -> None:
    """Tags (Moodle's `[tag:x]`) and our metadata comment; other comments are ignored."""
    tags: list[str] = []
    for line, comment in comments:
        for match in _TAG.finditer(comment):
            tag = tag_slug(match[1].replace("\\]", "]"))
            if tag and tag not in tags:
                tags.append(tag)
        if comment.startswith(METADATA_PREFIX):
            _read_metadata(comment.removeprefix(METADATA_PREFIX), line, item)
    item.fields["tags"] = tuple(tags)


def _read_metadata(text: str, line: int, item: Parsed) -> None:
    try:
        data = json.loads(text)
    except ValueError as error:
        item.problem(f"the quizapp comment is not valid JSON ({error})", line)
        return
    if not isinstance(data, dict):
        item.problem("the quizapp comment must be a JSON object", line)
        return
    for key, value in data.items():
        expected = _METADATA_KEYS.get(key)
        if expected is None:
            allowed = ", ".join(_METADATA_KEYS)
            item.problem(f"unknown key '{key}' in the quizapp comment (use: {allowed})", line)
        elif type(value) is not expected:
            item.problem(f"'{key}' in the quizapp comment has the wrong type", line)
        else:
            item.fields["shuffle_choices" if key == "shuffle" else key] = value


def _read_answers(answers: str, item: Parsed) -> None:
    word = _plain(answers[: _cut(answers, "#")]).upper()
    if not answers:
        item.problem("essay questions ({} with no answers) are not supported")
        item.readable = False
    elif answers.startswith("#"):
        _read_numeric(answers[1:], item)
    elif _find(answers, "~") != -1:
        _read_choices(answers, item)
    elif _find(answers, "=") != -1 and _find(answers, "->") != -1:
        _read_matching(answers, item)
    elif word in _TRUE_FALSE:
        _set(item, QuestionType.TRUE_FALSE, answer_bool=_TRUE_FALSE[word])
    else:
        _read_short_text(answers, item)


def _cut(text: str, needle: str) -> int:
    """Where an answer's text ends: at its `#feedback` (feedback per answer is ignored)."""
    index = _find(text, needle)
    return len(text) if index == -1 else index


def _set(item: Parsed, qtype: QuestionType, **parts) -> None:
    item.fields.update(type=qtype, **parts)


def _weight(text: str) -> tuple[Decimal | None, str]:
    """A leading `%50%` answer weight, and the text after it."""
    match = _WEIGHT.match(text.strip())
    if match is None:
        return None, text
    return Decimal(match[1]), text.strip()[match.end() :]


def _read_choices(answers: str, item: Parsed) -> None:
    options: list[tuple[str, Decimal]] = []
    marked = 0
    for marker, raw in _split(answers, "=~"):
        if not marker:
            item.problem(f"'{_plain(raw)}' comes before the first = or ~")
            continue
        marked += marker == "="
        # Like Moodle, only ~ answers take a weight: "=%50%" is text on an = answer.
        weight, raw = (Decimal(100), raw) if marker == "=" else _weight(raw)
        options.append((_formatted(raw[: _cut(raw, "#")]), weight or Decimal(0)))
    out_of_range = [w for _, w in options if not -100 <= w <= 100]
    if out_of_range:
        item.problem(f"answer weights must be between -100% and 100% (found {out_of_range[0]}%)")
    if marked:
        # Moodle: an answer marked = makes this a single-answer question.
        if marked > 1:
            item.problem(
                "several answers are marked =: give each correct answer a weight "
                "(~%50%) for a question with several right answers"
            )
        partial = [text for text, weight in options if 0 < weight < 100]
        if partial:
            item.problem(
                f"partial credit on single-answer questions is not supported ('{partial[0]}')"
            )
        choices = tuple((text, weight == 100) for text, weight in options)
        _set(item, QuestionType.SINGLE_CHOICE, choices=choices)
    else:
        if not any(weight > 0 for _, weight in options):
            item.problem("no correct answer: mark it with = or give it a positive weight (~%50%)")
        choices = tuple((text, weight > 0) for text, weight in options)
        _set(item, QuestionType.MULTIPLE_CHOICE, choices=choices)


def _read_matching(answers: str, item: Parsed) -> None:
    pairs: list[tuple[str, str]] = []
    for marker, raw in _split(answers, "="):
        arrow = _find(raw, "->")
        if not marker or arrow == -1:
            item.problem(f"matching answers are written =left -> right, not '{_plain(raw)}'")
            continue
        pairs.append((_formatted(raw[:arrow]), _plain(raw[arrow + 2 :])))
    _set(item, QuestionType.MATCHING, pairs=tuple(pairs))


def _read_short_text(answers: str, item: Parsed) -> None:
    accepted: list[str] = []
    for _, raw in _split(answers, "="):
        weight, raw = _weight(raw)
        text = _plain(raw[: _cut(raw, "#")])
        if weight is not None and weight != 100:
            item.problem(f"partial credit on short answers is not supported ({weight}% '{text}')")
        accepted.append(text)
    _set(item, QuestionType.SHORT_TEXT, accepted=tuple(accepted))


def _read_numeric(answers: str, item: Parsed) -> None:
    answers = answers[: _cut(answers, "~")]  # `~#feedback` for any other answer: ignored
    options = _split(answers, "=")
    if len(options) != 1:
        item.problem(
            "a numerical question needs exactly one answer "
            "(several answers with partial credit are not supported)"
        )
        _set(item, QuestionType.NUMERIC)
        return
    weight, raw = _weight(options[0][1])
    if weight is not None and weight != 100:
        item.problem(f"partial credit on numerical answers is not supported ({weight}%)")
    text = _plain(raw[: _cut(raw, "#")])
    try:
        value, tolerance = _number_and_tolerance(text)
    except (ValueError, InvalidOperation) as error:
        item.problem(str(error))
        _set(item, QuestionType.NUMERIC)
        return
    _set(item, QuestionType.NUMERIC, value=value, tolerance=tolerance)


def _number_and_tolerance(text: str) -> tuple[Decimal, Decimal]:
    """`1994`, `1994:2` (value and tolerance) or `1990..2000` (a range)."""
    if ".." in text:
        low, high = (_number(part) for part in text.split("..", 1))
        if low > high:
            raise ValueError(f"the range {text} runs backwards")
        return (low + high) / 2, (high - low) / 2
    value, _, tolerance = text.partition(":")
    return _number(value), _number(tolerance) if tolerance.strip() else Decimal(0)


def _number(text: str) -> Decimal:
    number = parse_decimal(text)
    if number is None:
        raise ValueError(f"'{text.strip()}' is not a number")
    return number


# --------------------------------------------------------------------------- formatting


@dataclass(frozen=True)
class Skipped:
    slug: str
    reason: str


def gift_skipped(question: ImportedQuestion) -> str | None:
    """Why `question` has no GIFT form, or None if it has one."""
    if question.type == QuestionType.ORDERING:
        return "ordering questions have no GIFT form"
    if question.type == QuestionType.MATCHING and any("->" in left for left, _ in question.pairs):
        return "a left-hand item contains '->', which GIFT cannot escape"
    if question.type == QuestionType.SHORT_TEXT and any("->" in a for a in question.accepted):
        return "an accepted answer contains '->', which GIFT would read as matching"
    return None


def gift_format(questions: Iterable[ImportedQuestion]) -> str:
    """A GIFT file of `questions`; the ones GIFT cannot express are listed in a comment."""
    blocks: list[str] = []
    skipped: list[Skipped] = []
    for question in questions:
        reason = gift_skipped(question)
        if reason:
            skipped.append(Skipped(question.slug, reason))
        else:
            blocks.append(_format_question(question))
    header = [f"// Skipped {s.slug}: {s.reason}" for s in skipped]
    if header:
        blocks.insert(0, "\n".join(header))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _format_question(question: ImportedQuestion) -> str:
    lines = _comment_lines(question)
    head = f"::{escape(question.slug)}::{_escape_formatted(question.prompt)}"
    body = _answer_lines(question)
    if question.explanation:
        body.append(f"####{_escape_formatted(question.explanation)}")
    opening = "{#" if question.type == QuestionType.NUMERIC else "{"
    if question.type == QuestionType.TRUE_FALSE:
        opening += "TRUE" if question.answer_bool else "FALSE"
    closing = "".join(f"\n\t{line}" for line in body) + "\n}" if body else "}"
    lines.append(head + opening + closing)
    return "\n".join(lines)


def _comment_lines(question: ImportedQuestion) -> list[str]:
    lines = []
    if question.tags:
        lines.append("// " + " ".join(f"[tag:{tag}]" for tag in question.tags))
    metadata: dict[str, object] = {}
    if question.difficulty != DEFAULT_DIFFICULTY:
        metadata["difficulty"] = question.difficulty
    if question.unit:
        metadata["unit"] = question.unit
    if question.typo_tolerance:
        metadata["typo_tolerance"] = question.typo_tolerance
    if not question.shuffle_choices:
        metadata["shuffle"] = False
    if metadata:
        # ensure_ascii keeps the comment on one line whatever the text holds.
        lines.append(f"// {METADATA_PREFIX} {json.dumps(metadata)}")
    return lines


def _answer_lines(question: ImportedQuestion) -> list[str]:
    match question.type:
        case QuestionType.SINGLE_CHOICE:
            # A wrong answer that starts with "%" would be read as a weight: give it one.
            return [
                f"={_escape_formatted(text)}"
                if correct
                else f"~{'%0%' if text.startswith('%') else ''}{_escape_formatted(text)}"
                for text, correct in question.choices
            ]
        case QuestionType.MULTIPLE_CHOICE:
            return _weighted_choices(question.choices)
        case QuestionType.SHORT_TEXT:
            return [
                f"={'%100%' if text.startswith('%') else ''}{escape(text)}"
                for text in question.accepted
            ]
        case QuestionType.NUMERIC:
            value = decimal_text(question.value) if question.value is not None else ""
            return [f"={value}:{decimal_text(question.tolerance)}"]
        case QuestionType.MATCHING:
            return [
                f"={_escape_formatted(left)} -> {escape(right)}" for left, right in question.pairs
            ]
    return []


def _weighted_choices(choices: tuple[tuple[str, bool], ...]) -> list[str]:
    """Moodle weights that mirror our grading: right picks share +100%, wrong picks -100%."""
    right = sum(correct for _, correct in choices)
    wrong = len(choices) - right
    lines = []
    for text, correct in choices:
        share = (100 / right) if correct else (-100 / wrong if wrong else 0)
        lines.append(f"~%{_weight_text(share)}%{_escape_formatted(text)}")
    return lines


def _weight_text(share: float) -> str:
    # Moodle's grade list holds shares to five decimals (33.33333, 14.28571).
    text = f"{share:.5f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
