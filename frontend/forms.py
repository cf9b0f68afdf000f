"""HTML forms of the student web app, and the translation of practice answers from form fields
to the JSON shapes `quizapp.bank.grading.grade` takes (and back, to show them)."""

import random
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.http import QueryDict

from quizapp.accounts.models import User
from quizapp.bank.grading import AnswerKey, MalformedAnswer, QuestionType
from quizapp.study.models import LearnerSettings, Rating, ReviewSource

MAX_ANSWER_MS = 60_000
"""Longer answer times are counted as one minute (Anki's default cap), so a card left open
over lunch does not distort time statistics."""


class SignUpForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(
        name for name in available_timezones() if "/" in name and not name.startswith("Etc/")
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class LearnerSettingsForm(forms.Form):
    desired_retention = forms.FloatField(
        label="Desired retention",
        min_value=0.70,
        max_value=0.97,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=(
            "The share of cards you want to still remember when they come due, from 0.70 to "
            "0.97. Higher retention means shorter intervals and so more reviews each day; "
            "0.90 is a good balance."
        ),
    )
    new_cards_per_day = forms.IntegerField(
        label="New cards per day",
        min_value=0,
        max_value=500,
        help_text="Each new card brings about ten reviews over the following month.",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)
    day_start_hour = forms.TypedChoiceField(
        label="New study day starts at",
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text="Reviews before this hour count for the previous day, as in Anki.",
    )

    @classmethod
    def for_settings(cls, settings: LearnerSettings, data=None) -> "LearnerSettingsForm":
        return cls(
            data,
            initial={name: getattr(settings, name) for name in cls.base_fields},
        )


class ReviewForm(forms.Form):
    """A rating of the card shown. `review_id` is generated when the card is rendered, so a
    double submission reuses it and is stored once."""

    question = forms.IntegerField(min_value=1)
    rating = forms.TypedChoiceField(coerce=int, choices=Rating.choices)
    review_id = forms.UUIDField()
    shown_at = forms.IntegerField(required=False, min_value=0)
    deck = forms.SlugField(required=False, max_length=100)
    mode = forms.ChoiceField(
        choices=[(ReviewSource.FLASHCARD, "Flashcard"), (ReviewSource.PRACTICE, "Practice")],
        required=False,
    )

    def duration_ms(self, now_ms: int) -> int:
        shown_at = self.cleaned_data.get("shown_at")
        if shown_at is None:
            return 0
        return max(0, min(now_ms - shown_at, MAX_ANSWER_MS))


# --------------------------------------------------------------------------- practice answers


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


def _shuffled(items: list, seed: str, avoid_identity: bool = False) -> list:
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    if avoid_identity and len(shuffled) > 1 and shuffled == items:
        shuffled = shuffled[1:] + shuffled[:1]
    return shuffled


def answer_inputs(
    key: AnswerKey, *, shuffle: bool, seed: str, previous: QueryDict | None = None
) -> AnswerInputs:
    """Controls for answering `key`; `previous` refills them after a malformed answer."""
    previous = previous or QueryDict()
    picked = set(previous.getlist("answer"))
    match key.type:
        case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_CHOICE:
            choices = list(key.choices)
            if shuffle:
                choices = _shuffled(choices, seed)
            return AnswerInputs(
                type=key.type,
                choices=tuple(Option(str(c.id), c.text, str(c.id) in picked) for c in choices),
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
            items = _shuffled(list(key.items), seed, avoid_identity=True)
            positions = range(1, len(items) + 1)
            return AnswerInputs(
                type=key.type,
                legend="Put the items in order: give each one its position (1 = first)",
                rows=tuple(
                    SelectRow(
                        name=f"position-{item.id}",
                        label=item.text,
                        options=tuple(
                            Option(str(n), str(n), previous.get(f"position-{item.id}") == str(n))
                            for n in positions
                        ),
                    )
                    for item in items
                ),
            )
        case QuestionType.MATCHING:
            rights = _shuffled(list(key.pairs), seed, avoid_identity=True)
            chosen = {pair.id: previous.get(f"match-{pair.id}") for pair in key.pairs}
            return AnswerInputs(
                type=key.type,
                legend="Match each item on the left with one on the right",
                rows=tuple(
                    SelectRow(
                        name=f"match-{pair.id}",
                        label=pair.left,
                        options=tuple(
                            Option(str(r.id), r.right, chosen[pair.id] == str(r.id)) for r in rights
                        ),
                    )
                    for pair in key.pairs
                ),
            )
    raise ValueError(f"no answer controls for {key.type}")  # pragma: no cover


def answer_from_form(key: AnswerKey, data: QueryDict) -> object:
    """The learner's answer in the shape `grade` takes, or MalformedAnswer with a message a
    learner can act on."""
    value = data.get("answer", "")
    match key.type:
        case QuestionType.SINGLE_CHOICE:
            if not value:
                raise MalformedAnswer("Choose an answer.")
            return value
        case QuestionType.MULTIPLE_CHOICE:
            return data.getlist("answer")
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
            positions = {}
            for item in key.items:
                raw = data.get(f"position-{item.id}", "")
                if not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
                    raise MalformedAnswer("Give every item a position.")
                positions[item.id] = int(raw)
            if sorted(positions.values()) != list(range(1, len(key.items) + 1)):
                raise MalformedAnswer("Use each position exactly once.")
            return sorted(positions, key=positions.__getitem__)
        case QuestionType.MATCHING:
            matches = {str(pair.id): data.get(f"match-{pair.id}", "") for pair in key.pairs}
            if not all(matches.values()):
                raise MalformedAnswer("Match every item.")
            return matches
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
            texts = {item.id: item.text for item in key.items}
            return "  ".join(f"{n}. {texts[i]}" for n, i in enumerate(answer, start=1))
        case QuestionType.MATCHING:
            rights = {str(p.id): p.right for p in key.pairs}
            return "; ".join(f"{p.left} → {rights[str(answer[str(p.id)])]}" for p in key.pairs)
    return str(answer) or "(nothing)"
