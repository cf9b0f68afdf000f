"""Answering a question in an HTML form, for every web face.

The student web app (practice mode and quizzes) and the admin's previews draw the controls
and read the answer here, so a question is answered the same way everywhere and the answer
always reaches `grading.grade` in the shape it takes. The controls work without JavaScript:
ordering and matching use one select per row, and a row left empty is read as given (a
partial answer, graded as it stands). The template is `frontend/_answer_inputs.html`.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import QueryDict

from quizapp.bank.grading import AnswerKey, MalformedAnswer, QuestionType


@dataclass(frozen=True)
class Option:
    value: str
    text: str
    selected: bool = False


@dataclass(frozen=True)
class SelectRow:
    """One labelled select of an ordering (a position per item) or matching (a right side
    per left side) answer."""

    name: str
    label: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class AnswerInputs:
    """What the template needs to draw the answer controls of one question."""

    type: str
    choices: tuple[Option, ...] = ()
    rows: tuple[SelectRow, ...] = ()
    text: str = ""
    unit: str = ""
    legend: str = ""


def _shuffled(items: list, seed: str) -> list:
    """Uniformly shuffled, the original order included, so the order shown says nothing about
    the answer. (Re-drawing whenever it came out in the right order would: with two items the
    display would always be the swap.)"""
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    return shuffled


def _in_order(options: list, order: Sequence[int]) -> list:
    by_id = {option.id: option for option in options}
    return [by_id[i] for i in order if i in by_id]


class Numbering:
    """How option ids appear in the HTML.

    Without an attempt order the bank's ids are used (practice and previews: nothing there is
    secret). In a quiz attempt the options are numbered 1, 2, 3… as shown instead: bank ids
    follow authoring order (the correct choice is often written first, ordering items are
    stored in the right order) and a matching pair's two sides share one id, so they would
    give the answer away in the page source.
    """

    def __init__(self, key: AnswerKey, order: Sequence[int] | None):
        self.numbered = bool(order)
        self._to: dict[tuple[str, int], int] = {}
        if not order:
            return
        shown = {
            "choice": _in_order(list(key.choices), order),
            "item": _in_order(list(key.items), order),
            "left": list(key.pairs),
            "right": _in_order(list(key.pairs), order),
        }
        for kind, options in shown.items():
            for number, option in enumerate(options, start=1):
                self._to[(kind, option.id)] = number
        self._from = {(kind, n): bank_id for (kind, bank_id), n in self._to.items()}

    def out(self, kind: str, bank_id: int) -> str:
        return str(self._to[(kind, bank_id)] if self.numbered else bank_id)

    def back(self, kind: str, value: str) -> object:
        """The bank id behind a submitted value (unchanged without numbering)."""
        if not self.numbered:
            return value
        if not (value.isascii() and value.isdigit() and len(value) < 4):
            raise MalformedAnswer("Choose one of the options shown.")
        bank_id = self._from.get((kind, int(value)))
        if bank_id is None:
            raise MalformedAnswer("Choose one of the options shown.")
        return bank_id


def answer_inputs(
    key: AnswerKey,
    *,
    shuffle: bool = True,
    seed: str = "",
    previous: QueryDict | None = None,
    order: Sequence[int] | None = None,
) -> AnswerInputs:
    """Controls for answering `key`. Options are shown in `order` when given (a quiz
    attempt's frozen display order), else shuffled by `seed` (stable for one learner and
    question). `previous` refills them (after a malformed answer, or a saved quiz answer)."""
    previous = previous or QueryDict()
    picked = set(previous.getlist("answer"))
    ids = Numbering(key, order)
    match key.type:
        case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_CHOICE:
            choices = list(key.choices)
            if order:
                choices = _in_order(choices, order)
            elif shuffle:
                choices = _shuffled(choices, seed)
            return AnswerInputs(
                type=key.type,
                choices=tuple(
                    Option(ids.out("choice", c.id), c.text, ids.out("choice", c.id) in picked)
                    for c in choices
                ),
                legend="Choose one answer"
                if key.type == QuestionType.SINGLE_CHOICE
                else "Choose every correct answer",
            )
        case QuestionType.TRUE_FALSE:
            return AnswerInputs(
                type=key.type,
                choices=tuple(
                    Option(value, value.title(), value in picked) for value in ("true", "false")
                ),
                legend="True or false?",
            )
        case QuestionType.SHORT_TEXT | QuestionType.NUMERIC:
            return AnswerInputs(type=key.type, text=previous.get("answer", ""), unit=key.unit)
        case QuestionType.ORDERING:
            items = _in_order(list(key.items), order) if order else _shuffled(list(key.items), seed)
            positions = range(1, len(items) + 1)
            return AnswerInputs(
                type=key.type,
                legend="Put the items in order: give each one its position (1 = first)",
                rows=tuple(
                    SelectRow(
                        name=f"position-{ids.out('item', item.id)}",
                        label=item.text,
                        options=tuple(
                            Option(
                                str(n),
                                str(n),
                                previous.get(f"position-{ids.out('item', item.id)}") == str(n),
                            )
                            for n in positions
                        ),
                    )
                    for item in items
                ),
            )
        case QuestionType.MATCHING:
            rights = (
                _in_order(list(key.pairs), order) if order else _shuffled(list(key.pairs), seed)
            )
            chosen = {
                pair.id: previous.get(f"match-{ids.out('left', pair.id)}") for pair in key.pairs
            }
            return AnswerInputs(
                type=key.type,
                legend="Match each item on the left with one on the right",
                rows=tuple(
                    SelectRow(
                        name=f"match-{ids.out('left', pair.id)}",
                        label=pair.left,
                        options=tuple(
                            Option(
                                ids.out("right", r.id),
                                r.right,
                                chosen[pair.id] == ids.out("right", r.id),
                            )
                            for r in rights
                        ),
                    )
                    for pair in key.pairs
                ),
            )
    raise ValueError(f"no answer controls for {key.type}")  # pragma: no cover


def answer_from_form(
    key: AnswerKey, data: QueryDict, *, order: Sequence[int] | None = None
) -> object:
    """The learner's answer in the shape `grade` takes, or MalformedAnswer with a message a
    learner can act on. `order` is the attempt's display order the form was drawn with."""
    value = data.get("answer", "")
    ids = Numbering(key, order)
    match key.type:
        case QuestionType.SINGLE_CHOICE:
            if not value:
                raise MalformedAnswer("Choose an answer.")
            return ids.back("choice", value)
        case QuestionType.MULTIPLE_CHOICE:
            return [ids.back("choice", v) for v in data.getlist("answer")]
        case QuestionType.TRUE_FALSE:
            if not value:
                raise MalformedAnswer("Choose true or false.")
            return value
        case QuestionType.SHORT_TEXT:
            return value
        case QuestionType.NUMERIC:
            if not value.strip():
                raise MalformedAnswer("Enter a number.")
            return value
        case QuestionType.ORDERING:
            # As given: an item without a position yet leaves its place empty (None).
            placed: dict[int, int] = {}
            for item in key.items:
                raw = data.get(f"position-{ids.out('item', item.id)}", "")
                if not raw:
                    continue
                if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(key.items)):
                    raise MalformedAnswer("Choose a position from the list.")
                if int(raw) in placed:
                    raise MalformedAnswer(
                        f"Position {int(raw)} is given to two items: give each position "
                        "to one item."
                    )
                placed[int(raw)] = item.id
            return [placed.get(position) for position in range(1, len(key.items) + 1)]
        case QuestionType.MATCHING:
            # As given: a left side with nothing chosen yet is left out.
            chosen = {
                pair.id: data.get(f"match-{ids.out('left', pair.id)}", "") for pair in key.pairs
            }
            return {str(left): ids.back("right", right) for left, right in chosen.items() if right}
    raise MalformedAnswer("This question cannot be answered here.")  # pragma: no cover


def answer_text(key: AnswerKey, answer: object) -> str:
    """The learner's (well-formed) answer in words, to show next to the correct one."""
    match key.type:
        case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_CHOICE:
            ids = {str(a) for a in (answer if isinstance(answer, list) else [answer])}
            return "; ".join(c.text for c in key.choices if str(c.id) in ids) or "(nothing)"
        case QuestionType.TRUE_FALSE:
            return str(answer).title()
        case QuestionType.ORDERING:
            if not any(i is not None for i in answer):
                return "(nothing)"
            texts = {str(item.id): item.text for item in key.items}
            return "  ".join(
                f"{n}. {texts[str(i)] if i is not None else '(empty)'}"
                for n, i in enumerate(answer, start=1)
            )
        case QuestionType.MATCHING:
            if not answer:
                return "(nothing)"
            rights = {str(p.id): p.right for p in key.pairs}
            chosen = {str(left): rights[str(right)] for left, right in answer.items()}
            return "; ".join(
                f"{p.left} → {chosen.get(str(p.id), '(not matched)')}" for p in key.pairs
            )
    return str(answer) or "(nothing)"


def previous_answer(
    key: AnswerKey, answer: object, *, order: Sequence[int] | None = None
) -> QueryDict:
    """Form data showing a stored answer again (e.g. returning to a quiz question)."""
    data = QueryDict(mutable=True)
    if answer is None:
        return data
    ids = Numbering(key, order)

    def out(kind: str, bank_id: object) -> str:
        try:
            return ids.out(kind, int(bank_id))  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            return ""

    match key.type:
        case QuestionType.SINGLE_CHOICE:
            data["answer"] = out("choice", answer)
        case QuestionType.MULTIPLE_CHOICE:
            data.setlist("answer", [out("choice", a) for a in answer])
        case QuestionType.TRUE_FALSE:
            data["answer"] = "true" if answer in (True, "true", "True") else "false"
        case QuestionType.ORDERING:
            for position, item_id in enumerate(answer, start=1):
                if item_id is not None:
                    data[f"position-{out('item', item_id)}"] = str(position)
        case QuestionType.MATCHING:
            for left, right in dict(answer).items():
                data[f"match-{out('left', left)}"] = out("right", right)
        case _:
            data["answer"] = str(answer)
    return data
