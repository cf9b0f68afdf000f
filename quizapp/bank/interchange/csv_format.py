"""CSV: one question per row, every type, columns documented in content/README.md. Pure.

Named csv_format so it does not shadow the standard library's csv module.

List cells (decks, tags, choices, correct, accepted, items, pairs) separate entries with
``|``; a pair is ``left=>right``. Inside a list cell ``\\|`` is a literal bar, ``\\\\`` a
backslash, and in a pair ``=\\>`` a literal ``=>``.

A cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) is written behind a ``'`` and read back without it
(`quizapp.csv_cells`), so values such as ``-5`` survive the round trip.
"""

import csv
import io
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.utils.text import slugify

from quizapp.bank.grading import QuestionType
from quizapp.bank.interchange import (
    CHOICE_TYPES,
    DEFAULT_DIFFICULTY,
    ImportedQuestion,
    ImportProblem,
    Parsed,
    ParseResult,
    decimal_text,
    finish,
    parse_decimal,
    strip_bom,
    tag_slug,
)
from quizapp.csv_cells import csv_cell_read, csv_writer

COLUMNS = (
    "slug",
    "type",
    "prompt",
    "explanation",
    "difficulty",
    "decks",
    "tags",
    "choices",
    "correct",
    "shuffle",
    "accepted",
    "typo_tolerance",
    "value",
    "tolerance",
    "unit",
    "items",
    "pairs",
)
REQUIRED_COLUMNS = ("type", "prompt")
COMMON_COLUMNS = frozenset({"slug", "type", "prompt", "explanation", "difficulty", "decks", "tags"})
TYPE_COLUMNS: dict[QuestionType, frozenset[str]] = {
    QuestionType.SINGLE_CHOICE: frozenset({"choices", "correct", "shuffle"}),
    QuestionType.MULTIPLE_CHOICE: frozenset({"choices", "correct", "shuffle"}),
    QuestionType.TRUE_FALSE: frozenset({"correct"}),
    QuestionType.SHORT_TEXT: frozenset({"accepted", "typo_tolerance"}),
    QuestionType.NUMERIC: frozenset({"value", "tolerance", "unit"}),
    QuestionType.ORDERING: frozenset({"items"}),
    QuestionType.MATCHING: frozenset({"pairs"}),
}
TYPE_REQUIRED: dict[QuestionType, tuple[str, ...]] = {
    QuestionType.SINGLE_CHOICE: ("choices", "correct"),
    QuestionType.MULTIPLE_CHOICE: ("choices", "correct"),
    QuestionType.TRUE_FALSE: ("correct",),
    QuestionType.SHORT_TEXT: ("accepted",),
    QuestionType.NUMERIC: ("value",),
    QuestionType.ORDERING: ("items",),
    QuestionType.MATCHING: ("pairs",),
}
_BOOLEANS = {"true": True, "t": True, "yes": True, "false": False, "f": False, "no": False}
LIST_SEPARATOR = "|"
PAIR_SEPARATOR = "=>"


# --------------------------------------------------------------------------- list cells


def join_list(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(v.replace("\\", "\\\\").replace("|", "\\|") for v in values)


def split_list(cell: str) -> list[str]:
    """`a|b\\|c` → ["a", "b|c"]; entries are stripped and blank ones dropped."""
    entries, current, i = [], [], 0
    while i < len(cell):
        if cell[i] == "\\" and i + 1 < len(cell):
            current.append(cell[i : i + 2])  # kept escaped: a pair splits after this
            i += 2
            continue
        if cell[i] == LIST_SEPARATOR:
            entries.append("".join(current))
            current = []
        else:
            current.append(cell[i])
        i += 1
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _join_pair(left: str, right: str) -> str:
    def side(text: str) -> str:
        return text.replace("\\", "\\\\").replace("=>", "=\\>")

    return side(left) + PAIR_SEPARATOR + side(right)


def _split_pair(entry: str) -> tuple[str, str] | None:
    """`left=>right` at the first unescaped `=>`, or None."""
    i = 0
    while i < len(entry):
        if entry[i] == "\\":
            i += 2
        elif entry.startswith(PAIR_SEPARATOR, i):
            return _unescape(entry[:i]).strip(), _unescape(entry[i + 2 :]).strip()
        else:
            i += 1
    return None


# --------------------------------------------------------------------------- parsing


def parse_csv(text: str) -> ParseResult:
    """Every question row of a CSV file, and a problem for each row that cannot be imported."""
    reader = csv.reader(io.StringIO(strip_bom(text), newline=""))
    header: list[str] | None = None
    header_line = 1
    parsed: list[Parsed] = []
    try:
        for row in reader:
            start, end = header_line, reader.line_num
            header_line = end + 1  # where the next record starts
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                problems = _header_problems(header, start)
                if problems:
                    return ParseResult(questions=(), problems=tuple(problems))
                continue
            parsed.append(_parse_row(header, row, start))
    except csv.Error as error:
        return finish(parsed, [ImportProblem(reader.line_num, f"unreadable CSV: {error}")])
    if header is None:
        return ParseResult(questions=(), problems=(ImportProblem(1, "the file is empty"),))
    return finish(parsed)


def _header_problems(header: list[str], line: int) -> list[ImportProblem]:
    problems = []
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(map(repr, unknown))} (columns: {', '.join(COLUMNS)})"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        problems.append(f"column(s) {', '.join(duplicated)} appear more than once")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(f"the header needs the column(s) {', '.join(missing)}")
    return [ImportProblem(line, f"header: {p}") for p in problems]


def _parse_row(header: list[str], row: list[str], line: int) -> Parsed:
    item = Parsed(line=line, readable=False)  # until its type and cells check out
    if len(row) != len(header):
        item.problem(f"the row has {len(row)} cells but the header has {len(header)}")
        return item
    cells = {name: csv_cell_read(value).strip() for name, value in zip(header, row, strict=True)}
    try:
        qtype = QuestionType(cells["type"])
    except ValueError:
        allowed = ", ".join(t.value for t in QuestionType)
        item.problem(f"unknown type '{cells['type']}' (use one of: {allowed})")
        return item
    allowed_columns = COMMON_COLUMNS | TYPE_COLUMNS[qtype]
    for name, value in cells.items():
        if value and name not in allowed_columns:
            item.problem(f"column '{name}' does not belong to a {qtype.value} question")
    for name in TYPE_REQUIRED[qtype]:
        if not cells.get(name):
            item.problem(f"a {qtype.value} question needs '{name}'")
    if item.problems:
        return item

    fields: dict = {
        "slug": slugify(cells.get("slug", "")),
        "type": qtype,
        "prompt": cells["prompt"],
        "explanation": cells.get("explanation", ""),
        "difficulty": _whole(cells.get("difficulty"), "difficulty", DEFAULT_DIFFICULTY, item),
        "decks": tuple(_unescape(d) for d in split_list(cells.get("decks", ""))),
        "tags": tuple(
            filter(None, (tag_slug(_unescape(t)) for t in split_list(cells.get("tags", ""))))
        ),
    }
    fields.update(_TYPE_READERS[qtype](cells, item))
    item.fields, item.readable = fields, True
    return item


def _whole(cell: str | None, name: str, default: int, item: Parsed) -> int:
    if not cell:
        return default
    try:
        return int(cell)
    except ValueError:
        item.problem(f"{name} must be a whole number, not '{cell}'")
        return default


def _boolean(cell: str | None, name: str, default: bool, item: Parsed) -> bool:
    if not cell:
        return default
    value = _BOOLEANS.get(cell.lower())
    if value is None:
        item.problem(f"{name} must be true or false, not '{cell}'")
        return default
    return value


def _number(cell: str | None, name: str, item: Parsed) -> Decimal | None:
    number = parse_decimal(cell or "")
    if number is None:
        item.problem(f"{name} must be a number such as 12 or -0.5, not '{cell}'")
    return number


def _read_choices(cells: dict[str, str], item: Parsed) -> dict:
    texts = [_unescape(text) for text in split_list(cells["choices"])]
    correct: set[int] = set()
    for entry in split_list(cells["correct"]):
        if not entry.isdigit() or not 1 <= int(entry) <= len(texts):
            item.problem(
                f"correct lists choice numbers from 1 to {len(texts)} (such as 1|3), not '{entry}'"
            )
        else:
            correct.add(int(entry))
    return {
        "choices": tuple((text, n in correct) for n, text in enumerate(texts, start=1)),
        "shuffle_choices": _boolean(cells.get("shuffle"), "shuffle", True, item),
    }


def _read_true_false(cells: dict[str, str], item: Parsed) -> dict:
    return {"answer_bool": _boolean(cells["correct"], "correct", False, item)}


def _read_short_text(cells: dict[str, str], item: Parsed) -> dict:
    return {
        "accepted": tuple(_unescape(text) for text in split_list(cells["accepted"])),
        "typo_tolerance": _whole(cells.get("typo_tolerance"), "typo_tolerance", 0, item),
    }


def _read_numeric(cells: dict[str, str], item: Parsed) -> dict:
    tolerance = Decimal(0)
    if cells.get("tolerance"):
        tolerance = _number(cells["tolerance"], "tolerance", item) or Decimal(0)
    return {
        "value": _number(cells["value"], "value", item),
        "tolerance": tolerance,
        "unit": cells.get("unit", ""),
    }


def _read_ordering(cells: dict[str, str], item: Parsed) -> dict:
    return {"items": tuple(_unescape(text) for text in split_list(cells["items"]))}


def _read_matching(cells: dict[str, str], item: Parsed) -> dict:
    pairs = []
    for entry in split_list(cells["pairs"]):
        pair = _split_pair(entry)
        if pair is None:
            item.problem(f"pairs are written left=>right, not '{_unescape(entry)}'")
        else:
            pairs.append(pair)
    return {"pairs": tuple(pairs)}


_TYPE_READERS: dict[QuestionType, Callable[[dict[str, str], Parsed], dict]] = {
    QuestionType.SINGLE_CHOICE: _read_choices,
    QuestionType.MULTIPLE_CHOICE: _read_choices,
    QuestionType.TRUE_FALSE: _read_true_false,
    QuestionType.SHORT_TEXT: _read_short_text,
    QuestionType.NUMERIC: _read_numeric,
    QuestionType.ORDERING: _read_ordering,
    QuestionType.MATCHING: _read_matching,
}


# --------------------------------------------------------------------------- formatting


def csv_format(questions: Iterable[ImportedQuestion]) -> str:
    """A CSV file of `questions` with every column, in the documented order; cells a
    spreadsheet would run as formulas are marked as text (`quizapp.csv_cells`)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for question in questions:
        cells = _row(question)
        writer.writerow([cells.get(name, "") for name in COLUMNS])
    return out.getvalue()


def _row(question: ImportedQuestion) -> dict[str, str]:
    cells = {
        "slug": question.slug,
        "type": question.type.value,
        "prompt": question.prompt,
        "explanation": question.explanation,
        "difficulty": str(question.difficulty),
        "decks": join_list(question.decks),
        "tags": join_list(question.tags),
    }
    if question.type in CHOICE_TYPES:
        cells["choices"] = join_list(text for text, _ in question.choices)
        cells["correct"] = LIST_SEPARATOR.join(
            str(n) for n, (_, correct) in enumerate(question.choices, start=1) if correct
        )
        cells["shuffle"] = "true" if question.shuffle_choices else "false"
    elif question.type == QuestionType.TRUE_FALSE:
        cells["correct"] = "true" if question.answer_bool else "false"
    elif question.type == QuestionType.SHORT_TEXT:
        cells["accepted"] = join_list(question.accepted)
        cells["typo_tolerance"] = str(question.typo_tolerance)
    elif question.type == QuestionType.NUMERIC:
        cells["value"] = "" if question.value is None else decimal_text(question.value)
        cells["tolerance"] = decimal_text(question.tolerance)
        cells["unit"] = question.unit
    elif question.type == QuestionType.ORDERING:
        cells["items"] = join_list(question.items)
    elif question.type == QuestionType.MATCHING:
        cells["pairs"] = LIST_SEPARATOR.join(
            _join_pair(left, right).replace("|", "\\|") for left, right in question.pairs
        )
    return cells
