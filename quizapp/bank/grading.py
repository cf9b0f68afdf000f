"""The one grading rule for every question type.

Flashcards, quizzes, the REST API, the web UI and the admin preview all grade through
:func:`grade`, so a learner gets the same verdict wherever they answer. The module is pure
standard library: no Django, no database. Models build an :class:`AnswerKey` and pass the
learner's JSON-decoded answer in.

Answer shapes (what a learner submits, JSON-decoded):

* single choice: a choice id, as an int or a string of ASCII digits.
* multiple choice: a list of distinct choice ids (empty = picked nothing).
* true/false: a bool, or the strings ``"true"``/``"false"`` in any case.
* short text: a string of at most 500 characters.
* numeric: an int, float, Decimal or numeric string (see :func:`parse_number`).
* ordering: a list of item ids, one per position in the order given, each item at most
  once. A position not filled yet is ``None``, and empty positions at the end may be left
  off: a partial answer is graded as it stands, its empty positions counting as wrong.
* matching: an object mapping each pair id (the left side) to the pair id whose right
  side was chosen. Keys may be strings of digits, since JSON object keys are strings. A
  left side not matched yet is left out, and counts as wrong.

A wrong *shape* raises :class:`MalformedAnswer`; a well-formed wrong answer is a
:class:`Grade` with a score below 1. Feedback for an answer that is not fully correct never
contains the correct answer: whether to reveal it is the quiz's decision, not ours.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "MAX_NUMBER",
    "MAX_TEXT_LENGTH",
    "AnswerKey",
    "ChoiceKey",
    "Grade",
    "InvalidKey",
    "ItemKey",
    "MalformedAnswer",
    "PairKey",
    "QuestionType",
    "correct_answer",
    "correct_answer_text",
    "edit_distance",
    "grade",
    "normalize_text",
    "parse_number",
    "validate_key",
]

MAX_TEXT_LENGTH = 500
"""Longest short-text answer we grade; anything longer is a client bug or abuse."""

MAX_NUMBER = Decimal(10) ** 15
"""Largest numeric magnitude accepted, so parsing and Decimal arithmetic stay cheap."""

_MAX_NUMBER_TEXT = 100
_MAX_KEY_DIGITS = 30


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TRUE_FALSE = "true_false"
    SHORT_TEXT = "short_text"
    NUMERIC = "numeric"
    ORDERING = "ordering"
    MATCHING = "matching"

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]

    @property
    def description(self) -> str:
        """What the learner does, for a teacher choosing a type."""
        return _TYPE_DESCRIPTIONS[self]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """``(value, label)`` pairs, ready for a model field's ``choices``."""
        return [(member.value, member.label) for member in cls]


_TYPE_LABELS: dict[QuestionType, str] = {
    QuestionType.SINGLE_CHOICE: "Single choice",
    QuestionType.MULTIPLE_CHOICE: "Multiple choice",
    QuestionType.TRUE_FALSE: "True/false",
    QuestionType.SHORT_TEXT: "Short text",
    QuestionType.NUMERIC: "Numeric",
    QuestionType.ORDERING: "Ordering",
    QuestionType.MATCHING: "Matching",
}


_TYPE_DESCRIPTIONS: dict[QuestionType, str] = {
    QuestionType.SINGLE_CHOICE: "Pick the one right option among several.",
    QuestionType.MULTIPLE_CHOICE: "Pick every right option; partly right earns part of the points.",
    QuestionType.TRUE_FALSE: "Say whether a statement is true or false.",
    QuestionType.SHORT_TEXT: "Type a word or phrase; you list the answers to accept.",
    QuestionType.NUMERIC: "Type a number, within a tolerance and with an optional unit.",
    QuestionType.ORDERING: "Put items in the right order.",
    QuestionType.MATCHING: "Match each item on the left with one on the right.",
}


@dataclass(frozen=True)
class ChoiceKey:
    id: int
    text: str
    correct: bool


@dataclass(frozen=True)
class ItemKey:
    """An ordering item. A key lists its items in the correct order."""

    id: int
    text: str


@dataclass(frozen=True)
class PairKey:
    id: int
    left: str
    right: str


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # str() gives the shortest round-tripping text, so 0.1 becomes Decimal("0.1").
        return Decimal(str(value))
    return Decimal(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AnswerKey:
    """Everything needed to grade one question.

    Only the fields of ``type`` are used; :func:`validate_key` reports the rest if set.
    Lists are accepted and stored as tuples, ``type`` may be the plain string value, and
    ``value``/``tolerance`` may be ints, strings or floats (floats via their shortest text).
    """

    type: QuestionType
    choices: tuple[ChoiceKey, ...] = ()
    answer_bool: bool | None = None
    accepted: tuple[str, ...] = ()
    typo_tolerance: int = 0
    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    unit: str = ""
    items: tuple[ItemKey, ...] = ()
    pairs: tuple[PairKey, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "type", QuestionType(self.type))
        for name in ("choices", "accepted", "items", "pairs"):
            set_(self, name, tuple(getattr(self, name)))
        if self.value is not None:
            set_(self, "value", _to_decimal(self.value))
        set_(self, "tolerance", _to_decimal(self.tolerance))

    def to_json(self) -> dict:
        """A JSON-safe snapshot (quiz attempts keep the key they were graded with)."""
        return {
            "type": self.type.value,
            "choices": [[c.id, c.text, c.correct] for c in self.choices],
            "answer_bool": self.answer_bool,
            "accepted": list(self.accepted),
            "typo_tolerance": self.typo_tolerance,
            "value": None if self.value is None else str(self.value),
            "tolerance": str(self.tolerance),
            "unit": self.unit,
            "items": [[i.id, i.text] for i in self.items],
            "pairs": [[p.id, p.left, p.right] for p in self.pairs],
        }

    @classmethod
    def from_json(cls, data: Mapping) -> AnswerKey:
        return cls(
            type=QuestionType(data["type"]),
            choices=tuple(ChoiceKey(i, t, c) for i, t, c in data["choices"]),
            answer_bool=data["answer_bool"],
            accepted=tuple(data["accepted"]),
            typo_tolerance=data["typo_tolerance"],
            value=None if data["value"] is None else Decimal(data["value"]),
            tolerance=Decimal(data["tolerance"]),
            unit=data["unit"],
            items=tuple(ItemKey(i, t) for i, t in data["items"]),
            pairs=tuple(PairKey(i, left, right) for i, left, right in data["pairs"]),
        )


@dataclass(frozen=True)
class Grade:
    correct: bool
    """Full marks."""
    score: float
    """0.0 to 1.0."""
    feedback: str
    """A sentence saying why. Never contains the correct answer unless ``correct``."""
    normalized_answer: object
    """JSON-serialisable canonical form of the learner's answer, for storing and stats."""


class MalformedAnswer(ValueError):
    """The answer has the wrong shape for the question (a client bug, or tampering)."""


class InvalidKey(ValueError):
    """The answer key cannot grade anything (see :func:`validate_key`); a content bug."""


# --------------------------------------------------------------------------- text


# Removed outright, before decomposition: "don't" = "dont" (U+00B4 would otherwise
# decompose to a space plus a combining accent, splitting the word).
_APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u02bb\u0060\u00b4\u2032"
_APOSTROPHE_TABLE = dict.fromkeys(map(ord, _APOSTROPHES))

# Lower-case letters that do not decompose under NFKD, so stripping combining marks would
# leave them alone. Applied after casefold, so upper-case forms are covered too.
_LETTER_TABLE = str.maketrans(
    {
        "\u0131": "i",  # dotless i (Azerbaijani, Turkish): "Bak\u0131" = "Baku"
        "ə": "e",  # schwa (Azerbaijani): Azərbaycan = Azerbaycan
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)

_WORD_SEPARATORS = frozenset("/\\")
_LEADING_ARTICLES = ("the ", "an ", "a ")


def _map_char(char: str) -> str:
    """One character of decomposed, casefolded text: kept, dropped, or a space."""
    if char.isspace():
        return " "
    category = unicodedata.category(char)
    if category in ("Pd", "Pc") or char in _WORD_SEPARATORS:
        # Hyphens, dashes, underscores and slashes separate words: Nagorno-Karabakh.
        return " "
    if category[0] in "MPC":
        # Combining marks (accents), other punctuation, control and format characters.
        return ""
    return char


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHE_TABLE))
    # Drop accents before casefolding: some combining marks casefold to letters (U+0345,
    # the Greek ypogegrammeni, becomes an iota), so "á" + U+0345 would not equal "a".
    text = "".join(char for char in text if unicodedata.category(char)[0] != "M")
    text = text.casefold().translate(_LETTER_TABLE)
    # Casefolding can produce composed characters again, so decompose a second time.
    text = unicodedata.normalize("NFKD", text)
    text = " ".join("".join(map(_map_char, text)).split())
    while text.startswith(_LEADING_ARTICLES) and " " in text:
        text = text.split(" ", 1)[1]
    return text


def normalize_text(text: str) -> str:
    """Canonical form of a short-text answer, for comparison only.

    Accents and case are ignored (NFKD minus combining marks, then casefold), letters that
    do not decompose are spelled out (dotless i→i, ə→e, ø→o, ł→l, đ→d, ħ→h, æ→ae, œ→oe, þ→th,
    ß→ss), apostrophes and other punctuation are dropped, hyphens, dashes, underscores and
    slashes become spaces, whitespace is collapsed and leading English articles ("the",
    "a", "an") are removed. So "The Nagorno-Karabakh" = "nagorno karabakh", and "Baku"
    spelled with a dotless i = "Baku". "NagornoKarabakh" deliberately stays different:
    joining or splitting words is the typo tolerance's job. Idempotent.
    """
    # One pass is almost always a fixed point; iterate for the rare Unicode corner case
    # (decomposition exposing more punctuation or marks) so idempotence is guaranteed.
    for _ in range(5):
        again = _normalize_once(text)
        if again == text:
            break
        text = again
    return text


def _squash_spaces(text: str) -> str:
    return " ".join(text.split())


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Damerau-Levenshtein distance (optimal string alignment variant).

    Insertions, deletions, substitutions and transpositions of adjacent characters each
    cost 1. With ``limit``, stops as soon as the distance must exceed it and returns
    ``limit + 1``: a row's minimum never decreases (a transposition from two rows back
    costs at least what the previous row already holds), so this is exact.
    """
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if limit is not None and min(current) > limit:
            return limit + 1
        before, previous = previous, current
    distance = previous[-1]
    return distance if limit is None else min(distance, limit + 1)


# --------------------------------------------------------------------------- numbers


_SPACES = " \u00a0\u2009\u202f"  # space, no-break space, thin space, narrow no-break space
_NUMBER = re.compile(
    rf"(?P<sign>[+-]?)(?P<body>[0-9.,{_SPACES}]*[0-9.,])(?:[eE](?P<exp>[+-]?[0-9]{{1,4}}))?"
)
_DIGITS = re.compile(r"[0-9]*")


def _check_magnitude(number: Decimal) -> Decimal:
    if not number.is_finite():
        raise MalformedAnswer("NaN and infinity are not numbers we can grade.")
    if abs(number) > MAX_NUMBER:
        raise MalformedAnswer("That number is too large (the limit is 10^15).")
    return number


def parse_number(raw: object, unit: str = "") -> Decimal:
    """Parse a numeric answer exactly, or raise :class:`MalformedAnswer`.

    Accepts an int, a finite float (read via its shortest text, so 0.1 is exactly 0.1), a
    finite Decimal, or a string with:

    * surrounding whitespace, a leading ``+``, ``-`` or a minus sign (U+2212), and an optional
      exponent (``6.6e-34``);
    * a decimal point or a decimal comma: ``3.14`` = ``3,14``; a lone separator is decimal;
    * thousands separators in groups of three: spaces (``1 000 000``, also no-break and
      thin spaces), or whichever of ``,``/``.`` is repeated (``1,000,000``) or comes first
      when both appear (``1,234.5`` = ``1.234,5``);
    * optionally the key's ``unit`` at the end (``42 km``, ``50%``).

    A single comma followed by exactly three digits (``1,994``) is rejected as ambiguous:
    it is 1994 to some learners and 1.994 to others, and guessing would mark one of them
    wrong for a formatting convention. ``0,125`` and ``1,5`` are unambiguous decimals, and a
    lone dot is always a decimal point (``3.141``), as English-language learners expect.

    Booleans, NaN, infinity and magnitudes above 10^15 are malformed.
    """
    if isinstance(raw, bool):
        raise MalformedAnswer("Expected a number for a numeric question, not true/false.")
    if isinstance(raw, int):
        if abs(raw) > MAX_NUMBER:  # before converting: ints can be arbitrarily large
            raise MalformedAnswer("That number is too large (the limit is 10^15).")
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise MalformedAnswer("NaN and infinity are not numbers we can grade.")
        return _check_magnitude(Decimal(str(raw)))
    if isinstance(raw, Decimal):
        return _check_magnitude(raw)
    if not isinstance(raw, str):
        raise MalformedAnswer("Expected a number for a numeric question.")
    return _check_magnitude(_parse_number_text(raw, unit))


def _parse_number_text(raw: str, unit: str) -> Decimal:
    text = raw.strip().replace("\u2212", "-")
    if len(text) > _MAX_NUMBER_TEXT:
        raise MalformedAnswer("That is too long to be a number.")
    unit = unit.strip()
    if unit and text[-len(unit) :].casefold() == unit.casefold():
        text = text[: -len(unit)].rstrip()
    shown = raw.strip()[:40]
    not_a_number = MalformedAnswer(f"“{shown}” is not a number.")
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise not_a_number
    body = match["body"]
    for space in _SPACES:
        body = body.replace(space, " ")

    commas, dots = body.count(","), body.count(".")
    group: str | None = None
    decimal: str | None = None
    if commas and dots:
        decimal = "," if body.rfind(",") > body.rfind(".") else "."
        group = "." if decimal == "," else ","
    elif commas or dots:
        separator = "," if commas else "."
        if max(commas, dots) == 1:
            decimal = separator
        else:
            group = separator
    if " " in body:
        if group is not None:
            raise not_a_number  # mixed grouping styles: "1 000,000.5"
        group = " "

    integer, _, fraction = body.partition(decimal) if decimal else (body, "", "")
    if not _DIGITS.fullmatch(fraction):
        raise not_a_number
    if group and group in integer:
        if not re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(group)}[0-9]{{3}})+", integer):
            raise not_a_number
        integer = integer.replace(group, "")
    elif not _DIGITS.fullmatch(integer):
        raise not_a_number
    if not integer and not fraction:
        raise not_a_number
    thousands_like = re.fullmatch(r"[1-9][0-9]{0,2}", integer) and len(fraction) == 3
    if decimal == "," and group is None and thousands_like:
        raise MalformedAnswer(
            f"“{shown}” is ambiguous: write it without the comma for a whole number, "
            "or with a decimal point."
        )
    exponent = f"E{match['exp']}" if match["exp"] else ""
    try:
        return Decimal(f"{match['sign']}{integer or '0'}.{fraction or '0'}{exponent}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets valid text through
        raise not_a_number from None


def _decimal_text(number: Decimal) -> str:
    """Canonical text for a Decimal: no trailing zeros, no exponent for everyday sizes."""
    if number.is_zero():
        return "0"
    with localcontext() as ctx:
        ctx.prec = max(28, len(number.as_tuple().digits))
        number = number.normalize()
    if -7 <= number.adjusted() < 16:
        return format(number, "f")
    return str(number)


def _within(answer: Decimal, value: Decimal, tolerance: Decimal) -> bool:
    """``|answer - value| <= tolerance``, computed exactly."""
    exponents = [int(d.as_tuple().exponent) for d in (answer, value)]
    with localcontext() as ctx:
        # Enough digits that the subtraction is exact, so no rounding can flip a verdict.
        ctx.prec = max(28, max(answer.adjusted(), value.adjusted()) - min(exponents) + 3)
        return abs(answer - value) <= tolerance


# --------------------------------------------------------------------------- helpers


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


_ID_TEXT = re.compile(r"[0-9]{1,18}")


def _parse_id(raw: object, problem: str) -> int:
    """An id as an int; strings of ASCII digits are accepted (some clients send them)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and _ID_TEXT.fullmatch(raw):
        return int(raw)
    raise MalformedAnswer(problem)


def _parse_id_list(
    raw: object, known: Mapping[int, object], noun: str, problem: str, *, gaps: bool = False
) -> list:
    """Distinct known ids; with `gaps`, ``None`` elements (empty places) are kept as they are."""
    if not isinstance(raw, list | tuple):
        raise MalformedAnswer(problem)
    ids: list = []
    seen: set[int] = set()
    for element in raw:
        if gaps and element is None:
            ids.append(None)
            continue
        id_ = _parse_id(element, problem)
        if id_ not in known:
            raise MalformedAnswer(f"Unknown {noun} id {id_}.")
        if id_ in seen:
            raise MalformedAnswer(f"Duplicate {noun} id {id_}.")
        seen.add(id_)
        ids.append(id_)
    return ids


def _full(normalized: object, feedback: str = "Correct.") -> Grade:
    return Grade(correct=True, score=1.0, feedback=feedback, normalized_answer=normalized)


def _wrong(normalized: object, feedback: str = "Incorrect.") -> Grade:
    return Grade(correct=False, score=0.0, feedback=feedback, normalized_answer=normalized)


def _partial(score: Fraction, normalized: object, feedback: str) -> Grade:
    if score == 1:
        return _full(normalized)
    return Grade(correct=False, score=float(score), feedback=feedback, normalized_answer=normalized)


# --------------------------------------------------------------------------- graders


def _grade_single_choice(key: AnswerKey, answer: object) -> Grade:
    choices = {choice.id: choice for choice in key.choices}
    id_ = _parse_id(answer, "Expected a choice id for a single-choice question.")
    if id_ not in choices:
        raise MalformedAnswer(f"Unknown choice id {id_}.")
    return _full(id_) if choices[id_].correct else _wrong(id_)


def _grade_multiple_choice(key: AnswerKey, answer: object) -> Grade:
    """Partial credit: ``max(0, right picks / all right - wrong picks / all wrong)``.

    As in Moodle, every wrong pick is penalised, so ticking every box scores 0 rather than
    being a free pass; the score never goes below 0. Full marks only for exactly the right
    choices.
    """
    choices = {choice.id: choice for choice in key.choices}
    problem = "Expected a list of choice ids for a multiple-choice question."
    picked = sorted(_parse_id_list(answer, choices, "choice", problem))
    total_right = sum(choice.correct for choice in key.choices)
    total_wrong = len(key.choices) - total_right
    right = sum(choices[id_].correct for id_ in picked)
    wrong = len(picked) - right
    score = (Fraction(right, total_right) if total_right else Fraction(1)) - (
        Fraction(wrong, total_wrong) if total_wrong else Fraction(0)
    )
    if not picked and total_right:
        return _wrong(picked, "No choices picked.")
    feedback = f"{right} of {_plural(total_right, 'correct choice')} picked"
    if wrong:
        feedback += f", {_plural(wrong, 'wrong choice')} picked"
    return _partial(max(Fraction(0), score), picked, feedback + ".")


def _parse_bool(answer: object) -> bool:
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and answer.strip().lower() in ("true", "false"):
        return answer.strip().lower() == "true"
    raise MalformedAnswer("Expected true or false for a true/false question.")


def _grade_true_false(key: AnswerKey, answer: object) -> Grade:
    if key.answer_bool is None:
        raise InvalidKey("true/false needs an answer")
    value = _parse_bool(answer)
    return _full(value) if value == key.answer_bool else _wrong(value)


def _grade_short_text(key: AnswerKey, answer: object) -> Grade:
    """Exact, then normalised, then (if enabled) typo-tolerant matching.

    The feedback says which rule accepted the answer, so learners see that "Azərbaycan"
    was taken as "Azerbaycan" on purpose. Typos are counted on normalised text, so a
    missing accent is never a typo.
    """
    if not key.accepted:
        raise InvalidKey("short text needs at least one accepted answer")
    if not isinstance(answer, str):
        raise MalformedAnswer("Expected text for a short-text question.")
    if len(answer) > MAX_TEXT_LENGTH:
        raise MalformedAnswer(
            f"That answer is too long ({len(answer)} characters; the limit is {MAX_TEXT_LENGTH})."
        )
    normalized = normalize_text(answer)
    if not normalized:
        return _wrong(normalized, "No answer given.")

    canonical = key.accepted[0]
    accepted = [(text, normalize_text(text)) for text in key.accepted]
    if normalized == accepted[0][1]:
        if _squash_spaces(answer) == _squash_spaces(canonical):
            return _full(normalized)
        return _full(normalized, "Accepted: same answer ignoring case, accents or punctuation.")
    if any(normalized == variant for _, variant in accepted[1:]):
        return _full(normalized, f"Accepted: spelling variant of “{canonical}”.")

    if key.typo_tolerance > 0:
        limit = key.typo_tolerance
        closest: tuple[int, str] | None = None
        for text, variant in accepted:
            if not variant:
                continue
            distance = edit_distance(normalized, variant, limit)
            if distance <= limit and (closest is None or distance < closest[0]):
                closest = (distance, text)
        if closest is not None:
            distance, text = closest
            return _full(
                normalized,
                f"Accepted: close spelling of “{text}” ({_plural(distance, 'letter')} off).",
            )
    return _wrong(normalized, "Not accepted.")


def _grade_numeric(key: AnswerKey, answer: object) -> Grade:
    if key.value is None:
        raise InvalidKey("numeric needs a value")
    number = parse_number(answer, key.unit)
    normalized = _decimal_text(number)
    if number == key.value:
        return _full(normalized)
    if _within(number, key.value, key.tolerance):
        tolerance = _decimal_text(key.tolerance)
        return _full(normalized, f"Accepted: within ±{tolerance} of the expected value.")
    return _wrong(normalized)


def _grade_ordering(key: AnswerKey, answer: object) -> Grade:
    """Partial credit by correct adjacent pairs: ``pairs in the right order / (n - 1)``.

    Each consecutive pair ``(a, b)`` of the answer scores if ``b`` immediately follows
    ``a`` in the correct order. Unlike counting items in their exact position, one
    displaced item costs little: moving the first of five items to the end keeps 3 of 4
    pairs (0.75), where position matching would score 0. A fully reversed list scores 0.

    A partial answer is graded as it stands: a pair with an empty position never scores, so
    only every item placed in the right order has full marks, and placing one more item never
    lowers the score. The normalized answer has one entry per position (``None`` if empty).
    """
    items = {item.id: item for item in key.items}
    problem = "Expected a list of item ids for an ordering question."
    order = _parse_id_list(answer, items, "item", problem, gaps=True)
    if len(order) > len(key.items):
        raise MalformedAnswer(
            f"Too many positions: an ordering of {_plural(len(key.items), 'item')} has "
            f"{len(key.items)}."
        )
    order += [None] * (len(key.items) - len(order))
    unplaced = order.count(None)
    if len(order) < 2:
        return _full(order) if not unplaced else _wrong(order, "No item placed.")
    following = {a.id: b.id for a, b in itertools.pairwise(key.items)}
    kept = sum(None not in (a, b) and following.get(a) == b for a, b in itertools.pairwise(order))
    total = len(order) - 1
    feedback = f"{kept} of {_plural(total, 'adjacent pair')} in the correct order."
    if unplaced:
        feedback += f" {_plural(unplaced, 'item')} not placed."
    return _partial(Fraction(kept, total), order, feedback)


def _grade_matching(key: AnswerKey, answer: object) -> Grade:
    """Score = pairs matched / all pairs.

    A left side is matched when the chosen right side has the same text as its own (for a
    valid key, whose right sides are distinct, that means it chose its own pair). The same
    right side may be chosen for several lefts, as in a drop-down per left; each left is
    scored on its own, so reusing a right side can score at most once. A left side with no
    right side chosen (a partial answer) scores nothing.
    """
    pairs = {pair.id: pair for pair in key.pairs}
    if not isinstance(answer, Mapping):
        raise MalformedAnswer(
            "Expected an object mapping pair ids to pair ids for a matching question."
        )
    problem = "Expected pair ids in a matching answer."
    chosen: dict[int, int] = {}
    for raw_left, raw_right in answer.items():
        left = _parse_id(raw_left, problem)
        right = _parse_id(raw_right, problem)
        for id_ in (left, right):
            if id_ not in pairs:
                raise MalformedAnswer(f"Unknown pair id {id_}.")
        if left in chosen:
            raise MalformedAnswer(f"Pair {left} is matched more than once.")
        chosen[left] = right
    normalized = {str(pair.id): chosen[pair.id] for pair in key.pairs if pair.id in chosen}
    matched = sum(
        pair.id in chosen and pairs[chosen[pair.id]].right == pair.right for pair in key.pairs
    )
    if not key.pairs:
        return _full(normalized)
    feedback = f"{matched} of {_plural(len(key.pairs), 'pair')} matched."
    if unmatched := len(key.pairs) - len(chosen):
        feedback += f" {_plural(unmatched, 'item')} not matched."
    return _partial(Fraction(matched, len(key.pairs)), normalized, feedback)


_GRADERS: dict[QuestionType, Callable[[AnswerKey, object], Grade]] = {
    QuestionType.SINGLE_CHOICE: _grade_single_choice,
    QuestionType.MULTIPLE_CHOICE: _grade_multiple_choice,
    QuestionType.TRUE_FALSE: _grade_true_false,
    QuestionType.SHORT_TEXT: _grade_short_text,
    QuestionType.NUMERIC: _grade_numeric,
    QuestionType.ORDERING: _grade_ordering,
    QuestionType.MATCHING: _grade_matching,
}


def grade(key: AnswerKey, answer: object) -> Grade:
    """Grade a learner's JSON-decoded ``answer`` against ``key``.

    Raises :class:`MalformedAnswer` if the answer has the wrong shape, and
    :class:`InvalidKey` if the key lacks what is needed to grade at all (a true/false
    without an answer, a numeric without a value, a short text without accepted answers).
    """
    return _GRADERS[key.type](key, answer)


# --------------------------------------------------------------------------- the answer


def correct_answer(key: AnswerKey) -> object:
    """The correct answer in the shape a learner submits (JSON-serialisable).

    For every key that passes :func:`validate_key`, ``grade(key, correct_answer(key))``
    has full marks.
    """
    match key.type:
        case QuestionType.SINGLE_CHOICE:
            return next((c.id for c in key.choices if c.correct), None)
        case QuestionType.MULTIPLE_CHOICE:
            return sorted(c.id for c in key.choices if c.correct)
        case QuestionType.TRUE_FALSE:
            return key.answer_bool
        case QuestionType.SHORT_TEXT:
            return key.accepted[0] if key.accepted else None
        case QuestionType.NUMERIC:
            return None if key.value is None else _decimal_text(key.value)
        case QuestionType.ORDERING:
            return [item.id for item in key.items]
        case QuestionType.MATCHING:
            return {str(pair.id): pair.id for pair in key.pairs}


_TIGHT_UNITS = frozenset({"%", "°", "\u2032", "\u2033", "‰"})  # %, °, prime, double prime, ‰


def correct_answer_text(key: AnswerKey) -> str:
    """Human text of the correct answer, e.g. for the back of a flashcard."""
    match key.type:
        case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_CHOICE:
            return "; ".join(c.text for c in key.choices if c.correct)
        case QuestionType.TRUE_FALSE:
            return "" if key.answer_bool is None else str(key.answer_bool)
        case QuestionType.SHORT_TEXT:
            return key.accepted[0] if key.accepted else ""
        case QuestionType.NUMERIC:
            if key.value is None:
                return ""
            unit = key.unit.strip()
            text = _decimal_text(key.value)
            if unit:
                text += unit if unit in _TIGHT_UNITS else f" {unit}"
            if key.tolerance:
                text += f" (±{_decimal_text(key.tolerance)})"
            return text
        case QuestionType.ORDERING:
            return "  ".join(f"{n}. {item.text}" for n, item in enumerate(key.items, start=1))
        case QuestionType.MATCHING:
            return "; ".join(f"{pair.left} → {pair.right}" for pair in key.pairs)
    return ""  # pragma: no cover - the match above is exhaustive


# --------------------------------------------------------------------------- validation


_FIELDS_BY_TYPE: dict[QuestionType, frozenset[str]] = {
    QuestionType.SINGLE_CHOICE: frozenset({"choices"}),
    QuestionType.MULTIPLE_CHOICE: frozenset({"choices"}),
    QuestionType.TRUE_FALSE: frozenset({"answer_bool"}),
    QuestionType.SHORT_TEXT: frozenset({"accepted", "typo_tolerance"}),
    QuestionType.NUMERIC: frozenset({"value", "tolerance", "unit"}),
    QuestionType.ORDERING: frozenset({"items"}),
    QuestionType.MATCHING: frozenset({"pairs"}),
}

_FIELD_LABELS = {
    "choices": "choices",
    "answer_bool": "true/false answer",
    "accepted": "accepted answers",
    "typo_tolerance": "typo tolerance",
    "value": "numeric value",
    "tolerance": "tolerance",
    "unit": "unit",
    "items": "ordering items",
    "pairs": "matching pairs",
}

_DEFAULTS = {f.name: f.default for f in fields(AnswerKey) if f.name != "type"}


def _same_text(text: str) -> str:
    """Looser than identity, stricter than normalize_text ("C" and "C#" must differ)."""
    return _squash_spaces(text).casefold()


def _duplicates(texts: list[str], compare: Callable[[str], str] = _same_text) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for text in texts:
        key = compare(text)
        if key in seen and text not in repeated:
            repeated.append(text)
        seen.add(key)
    return repeated


def _duplicate_ids(ids: list[int], noun: str) -> list[str]:
    counted: set[int] = set()
    problems: list[str] = []
    for id_ in ids:
        if id_ in counted:
            problems.append(f"duplicate {noun} id {id_}")
        counted.add(id_)
    return problems


def _choice_problems(key: AnswerKey) -> list[str]:
    problems = _duplicate_ids([c.id for c in key.choices], "choice")
    problems += [f"choice {c.id} has no text" for c in key.choices if not c.text.strip()]
    problems += [f"duplicate choice text '{t}'" for t in _duplicates([c.text for c in key.choices])]
    right = sum(c.correct for c in key.choices)
    if right == 0:
        problems.append("no correct choice")
    if key.type is QuestionType.SINGLE_CHOICE:
        if right > 1:
            problems.append(f"single choice needs exactly one correct choice (has {right})")
        if len(key.choices) < 2:
            problems.append("single choice needs at least 2 choices")
    elif right == len(key.choices):
        problems.append("multiple choice needs at least one wrong choice")
    return problems


def _short_text_problems(key: AnswerKey) -> list[str]:
    if not key.accepted:
        return ["short text needs at least one accepted answer"]
    problems: list[str] = []
    if key.typo_tolerance < 0:
        problems.append("negative typo tolerance")
    for text in key.accepted:
        normalized = normalize_text(text)
        if not normalized:
            problems.append(f"accepted answer '{text}' is empty once normalised")
        elif len(text) > MAX_TEXT_LENGTH:
            problems.append(f"accepted answer '{text[:40]}…' is longer than {MAX_TEXT_LENGTH}")
        elif key.typo_tolerance >= len(normalized):
            # Otherwise any answer of similar length would be "close enough".
            problems.append(
                f"typo tolerance {key.typo_tolerance} is too large for accepted answer '{text}'"
            )
    problems += [
        f"duplicate accepted answer '{t}'" for t in _duplicates(list(key.accepted), normalize_text)
    ]
    return problems


def _numeric_problems(key: AnswerKey) -> list[str]:
    problems: list[str] = []
    if key.value is None:
        problems.append("numeric needs a value")
    elif not key.value.is_finite():
        problems.append("numeric value must be a finite number")
    elif abs(key.value) > MAX_NUMBER:
        problems.append("numeric value is larger than learners may enter (10^15)")
    elif len(key.value.as_tuple().digits) > _MAX_KEY_DIGITS:
        problems.append(f"numeric value has more than {_MAX_KEY_DIGITS} digits")
    if not key.tolerance.is_finite():
        problems.append("tolerance must be a finite number")
    elif key.tolerance < 0:
        problems.append("negative tolerance")
    return problems


def _ordering_problems(key: AnswerKey) -> list[str]:
    problems = _duplicate_ids([item.id for item in key.items], "item")
    if len(key.items) < 2:
        problems.append("ordering needs at least 2 items")
    problems += [f"item {item.id} has no text" for item in key.items if not item.text.strip()]
    texts = [item.text for item in key.items]
    problems += [f"duplicate item text '{t}'" for t in _duplicates(texts)]
    return problems


def _matching_problems(key: AnswerKey) -> list[str]:
    problems = _duplicate_ids([pair.id for pair in key.pairs], "pair")
    if len(key.pairs) < 2:
        problems.append("matching needs at least 2 pairs")
    for pair in key.pairs:
        if not pair.left.strip() or not pair.right.strip():
            problems.append(f"pair {pair.id} has an empty side")
    lefts = _duplicates([pair.left for pair in key.pairs])
    problems += [f"duplicate left-hand item '{t}'" for t in lefts]
    rights = _duplicates([pair.right for pair in key.pairs])
    problems += [f"duplicate right-hand item '{t}'" for t in rights]
    return problems


_TYPE_PROBLEMS: dict[QuestionType, Callable[[AnswerKey], list[str]]] = {
    QuestionType.SINGLE_CHOICE: _choice_problems,
    QuestionType.MULTIPLE_CHOICE: _choice_problems,
    QuestionType.TRUE_FALSE: lambda key: (
        ["true/false needs an answer"] if key.answer_bool is None else []
    ),
    QuestionType.SHORT_TEXT: _short_text_problems,
    QuestionType.NUMERIC: _numeric_problems,
    QuestionType.ORDERING: _ordering_problems,
    QuestionType.MATCHING: _matching_problems,
}


def validate_key(key: AnswerKey) -> list[str]:
    """Problems with the key itself, for content validation; empty if it is fine.

    Every key that passes can be answered with full marks (see :func:`correct_answer`).
    """
    used = _FIELDS_BY_TYPE[key.type]
    problems = [
        f"{_FIELD_LABELS[name]} set but not used by {key.type.label.lower()} questions"
        for name, default in _DEFAULTS.items()
        if name not in used and getattr(key, name) != default
    ]
    return problems + _TYPE_PROBLEMS[key.type](key)
