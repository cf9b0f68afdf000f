"""How the API names the options of a quiz question: 1, 2, 3… in the order the attempt shows them.

The bank's own ids would give answers away: choices, ordering items and matching pairs are
stored in authoring order (the correct choice is usually written first, ordering items are
written in the right order), and a matching pair's left and right side share one id. So an
attempt's payload numbers each question's options by position as shown (`attempt_view`
decides that order: shuffled where the quiz shuffles), answers name options by those numbers,
and this module translates between them and the shapes `grading.grade` takes. The numbers
say nothing the screen does not.

Answer shapes on the wire (JSON):

* single_choice: the choice's number, e.g. ``2``
* multiple_choice: the numbers of every choice picked, e.g. ``[1, 3]`` (``[]`` picks none)
* true_false: ``true`` or ``false``
* short_text: a string, not empty or only spaces
* numeric: a number, or a string such as ``"3,5"`` or ``"42 km"``
* ordering: every item's number, in the order the learner puts them, e.g. ``[3, 1, 2]``
* matching: an object mapping each left's number (as a string) to the number of the right
  chosen for it, e.g. ``{"1": 2, "2": 1}``

A partial answer saved on the web reads back as it was saved: an ordering has ``null`` at each
position not filled yet (``[3, null, 2]``), a matching leaves out the lefts not matched yet.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quizapp.bank.grading import MalformedAnswer, QuestionType
from quizapp.quizzes.selectors import OptionView, QuestionView

ANSWER_DESCRIPTION = """The learner's answer; its shape depends on the question's `type`.
Options are named by their `id` in this attempt (1, 2, 3… as shown):
`single_choice` a choice id (integer); `multiple_choice` the ids of every choice picked
(array, may be empty); `true_false` a boolean; `short_text` a string (1–500 characters, not
only spaces); `numeric` a number, or a string such as "3,5" or "42 km"; `ordering` every item
id in the chosen order (array); `matching` an object mapping each left id (as a string) to the
right id chosen for it."""


def _answer_schema(text: dict[str, Any], *, shown: bool) -> dict[str, Any]:
    ordering: dict[str, Any] = {"type": "integer"}
    if shown:
        ordering["nullable"] = True
    schema: dict[str, Any] = {
        "oneOf": [
            {"type": "boolean"},
            {"type": "number"},
            text,
            {"type": "array", "items": ordering, "maxItems": 100},
            {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "maxProperties": 100,
            },
        ],
        "description": ANSWER_DESCRIPTION,
    }
    if shown:
        schema["nullable"] = True
    return schema


ANSWER_INPUT_SCHEMA = _answer_schema(
    {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"}, shown=False
)
ANSWER_OUT_SCHEMA = _answer_schema({"type": "string", "maxLength": 500}, shown=True)
"""An answer as shown: as sent, except that another face may have saved an empty text, and a
partial answer saved on the web reads back as saved (an ordering's empty positions are null)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class OptionNumbers:
    """The options of one attempt question: the bank id behind each number (1-based)."""

    type: QuestionType
    choices: tuple[int, ...]
    items: tuple[int, ...]
    lefts: tuple[int, ...]
    rights: tuple[int, ...]

    @classmethod
    def of(cls, question: QuestionView) -> "OptionNumbers":
        ids = lambda options: tuple(option.id for option in options)  # noqa: E731
        return cls(
            type=QuestionType(question.type),
            choices=ids(question.choices),
            items=ids(question.items),
            lefts=ids(question.lefts),
            rights=ids(question.rights),
        )

    # ---------------------------------------------------------------- shown to the client

    @staticmethod
    def numbered(options: Sequence[OptionView]) -> list[dict[str, Any]]:
        return [{"id": number, "text": option.text} for number, option in enumerate(options, 1)]

    def to_client(self, answer: object) -> object:
        """A stored (or correct) answer in the client's numbers; None when there is none.

        Tolerant: an answer saved through another face in another accepted form (a choice id
        as a digit string) is still shown; a part that names nothing shown is left out."""
        if answer is None:
            return None
        match self.type:
            case QuestionType.SINGLE_CHOICE:
                return _number_of(self.choices, answer)
            case QuestionType.MULTIPLE_CHOICE:
                picked = _numbers_of(self.choices, answer)
                return None if picked is None else sorted(picked)
            case QuestionType.ORDERING:
                return _numbers_of(self.items, answer, gaps=True)
            case QuestionType.MATCHING:
                if not isinstance(answer, dict):
                    return None
                shown = {}
                for left, right in answer.items():
                    left_number = _number_of(self.lefts, left)
                    right_number = _number_of(self.rights, right)
                    if left_number is not None and right_number is not None:
                        shown[str(left_number)] = right_number
                return dict(sorted(shown.items(), key=lambda pair: int(pair[0])))
        return answer

    # ---------------------------------------------------------------- sent by the client

    def from_client(self, answer: object) -> object:
        """The client's answer in the shape `grading.grade` takes, or MalformedAnswer."""
        match self.type:
            case QuestionType.SINGLE_CHOICE:
                if not _is_int(answer):
                    raise MalformedAnswer("Give the id of the choice picked (an integer).")
                return self._bank_id(self.choices, answer, "choice")
            case QuestionType.MULTIPLE_CHOICE:
                numbers = self._distinct_numbers(answer, "choice", "ids of the choices picked")
                return [self._bank_id(self.choices, n, "choice") for n in numbers]
            case QuestionType.TRUE_FALSE:
                if not isinstance(answer, bool):
                    raise MalformedAnswer("Answer true or false.")
                return answer
            case QuestionType.SHORT_TEXT:
                if not isinstance(answer, str):
                    raise MalformedAnswer("Give the answer as text.")
                if not answer.strip():
                    raise MalformedAnswer("The answer is empty: type the answer as text.")
                return answer
            case QuestionType.NUMERIC:
                if isinstance(answer, bool) or not isinstance(answer, int | float | str):
                    raise MalformedAnswer("Give a number, or a number written as text.")
                return answer
            case QuestionType.ORDERING:
                numbers = self._distinct_numbers(answer, "item", "item ids in order")
                missing = [n for n in range(1, len(self.items) + 1) if n not in numbers]
                if missing:
                    raise MalformedAnswer(f"Put every item in order: item {missing[0]} is missing.")
                return [self._bank_id(self.items, n, "item") for n in numbers]
            case QuestionType.MATCHING:
                return self._matching(answer)
        raise MalformedAnswer("This question cannot be answered.")  # pragma: no cover

    def _matching(self, answer: object) -> dict[str, int]:
        if not isinstance(answer, dict):
            raise MalformedAnswer(
                'Map each left id to the right id chosen for it, e.g. {"1": 2, "2": 1}.'
            )
        matched: dict[str, int] = {}
        for left, right in answer.items():
            if not _is_number_text(left):
                raise MalformedAnswer(f"“{str(left)[:20]}” is not a left id.")
            if not _is_int(right):
                raise MalformedAnswer(f"The match for left {left} must be a right id (integer).")
            left_id = self._bank_id(self.lefts, int(left), "left")
            matched[str(left_id)] = self._bank_id(self.rights, right, "right")
        missing = [n for n, left_id in enumerate(self.lefts, 1) if str(left_id) not in matched]
        if missing:
            raise MalformedAnswer(f"No match given for left {missing[0]}.")
        return matched

    @staticmethod
    def _distinct_numbers(answer: object, noun: str, what: str) -> list[int]:
        if not isinstance(answer, list) or not all(_is_int(n) for n in answer):
            raise MalformedAnswer(f"Give a list of the {what} (integers).")
        seen: set[int] = set()
        for number in answer:
            if number in seen:
                raise MalformedAnswer(f"The {noun} {number} is listed twice.")
            seen.add(number)
        return list(answer)

    @staticmethod
    def _bank_id(ids: tuple[int, ...], number: int, noun: str) -> int:
        if not 1 <= number <= len(ids):
            raise MalformedAnswer(f"There is no {noun} {number}; ids go from 1 to {len(ids)}.")
        return ids[number - 1]


def _is_number_text(key: object) -> bool:
    """A left id as a JSON object key: "1", "2"… (not "01", not "+1")."""
    return (
        isinstance(key, str) and key.isascii() and key.isdigit() and len(key) < 4
    ) and key == str(int(key))


def _number_of(ids: tuple[int, ...], bank_id: object) -> int | None:
    try:
        return ids.index(int(bank_id)) + 1  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _numbers_of(ids: tuple[int, ...], bank_ids: object, *, gaps: bool = False) -> list | None:
    """The numbers of the bank ids that name an option shown; with `gaps`, an empty place
    (None, a position not filled yet) stays in its place."""
    if not isinstance(bank_ids, list | tuple):
        return None
    numbers = []
    for bank_id in bank_ids:
        if gaps and bank_id is None:
            numbers.append(None)
        elif (number := _number_of(ids, bank_id)) is not None:
            numbers.append(number)
    return numbers
