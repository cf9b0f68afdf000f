"""Deck presets, as the scheduler and the queue use them (pure: no database).

A learner's default preset is the options in their settings; named presets are `DeckPreset`
rows assigned to decks. Each card follows the preset of its *main deck*: the first deck in
study order that lists its question (questions are grouped by main deck in `content/`). A
preset's daily limits are shared by all the cards that follow it, whichever deck they are
studied from; the default preset's therefore cover every deck without a preset of its own,
which with no named presets is the learner's whole collection.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from quizapp.study.models import MAX_STEP_MINUTES, MAX_STEPS, PresetOptions

DEFAULT_NAME = "Default"
OPTION_FIELDS = (
    "desired_retention",
    "new_cards_per_day",
    "max_reviews_per_day",
    "learning_steps",
    "relearning_steps",
    "maximum_interval",
    "bury_related",
)
SCHEDULING_FIELDS = frozenset(
    {"desired_retention", "learning_steps", "relearning_steps", "maximum_interval"}
)
"""Options that change how a card is scheduled (its cached state); the others are limits."""


@dataclass(frozen=True)
class Preset:
    id: int | None
    """None for the default preset."""
    name: str
    desired_retention: float
    new_cards_per_day: int
    max_reviews_per_day: int
    learning_steps: tuple[int, ...]
    """Minutes."""
    relearning_steps: tuple[int, ...]
    maximum_interval: int
    """Days."""
    bury_related: bool

    @property
    def is_default(self) -> bool:
        return self.id is None

    @property
    def scheduling(self) -> tuple:
        """What of this preset a card's cached state depends on."""
        return (
            self.desired_retention,
            self.learning_steps,
            self.relearning_steps,
            self.maximum_interval,
        )

    @property
    def learning_steps_text(self) -> str:
        return format_steps(self.learning_steps) or "none"

    @property
    def relearning_steps_text(self) -> str:
        return format_steps(self.relearning_steps) or "none"

    def learning_step_times(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.learning_steps)

    def relearning_step_times(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.relearning_steps)


def preset_from(options: PresetOptions) -> Preset:
    """The preset a `LearnerSettings` (the default) or `DeckPreset` row holds."""
    named = hasattr(options, "name")
    return Preset(
        id=options.pk if named else None,
        name=options.name if named else DEFAULT_NAME,
        desired_retention=options.desired_retention,
        new_cards_per_day=options.new_cards_per_day,
        max_reviews_per_day=options.max_reviews_per_day,
        learning_steps=tuple(options.learning_steps),
        relearning_steps=tuple(options.relearning_steps),
        maximum_interval=options.maximum_interval,
        bury_related=options.bury_related,
    )


@dataclass(frozen=True)
class PresetLookup:
    """Which preset each question follows, for one learner."""

    default: Preset
    assigned: Mapping[int, Preset]
    """Named presets by the id of each deck the learner gave one."""
    by_question: Mapping[int, Preset]
    """Questions whose main deck has a named preset; every other question follows the
    default."""

    def for_question(self, question_id: int) -> Preset:
        return self.by_question.get(question_id, self.default)

    def for_deck(self, deck_id: int) -> Preset:
        return self.assigned.get(deck_id, self.default)

    @property
    def presets(self) -> list[Preset]:
        """The default, then every named preset assigned to a deck."""
        named = {p.id: p for p in self.assigned.values()}
        return [self.default, *named.values()]

    def decks_of(self, preset_ids: Iterable[int | None]) -> set[int]:
        """The decks given one of these named presets."""
        wanted = set(preset_ids)
        return {deck for deck, preset in self.assigned.items() if preset.id in wanted}


def main_deck_presets(
    default: Preset, assigned: Mapping[int, Preset], memberships: Iterable[tuple[int, int]]
) -> PresetLookup:
    """`memberships`: (question id, deck id) pairs, each question's decks in study order; the
    first is its main deck, whose assigned preset (or the default) it follows."""
    by_question: dict[int, Preset] = {}
    seen: set[int] = set()
    for question_id, deck_id in memberships:
        if question_id not in seen:
            seen.add(question_id)
            if deck_id in assigned:
                by_question[question_id] = assigned[deck_id]
    return PresetLookup(default=default, assigned=assigned, by_question=by_question)


STEP_UNITS = {"m": 1, "h": 60, "d": 24 * 60}
_STEP = re.compile(r"^(\d+)([mhd]?)$")


def parse_steps(text: str) -> list[int]:
    """Steps as a learner types them, Anki style: "1m 10m", "10 30 1h", "1d" (bare numbers are
    minutes). Raises ValueError with a message for people."""
    steps = []
    for part in text.replace(",", " ").split():
        match = _STEP.match(part.lower())
        if not match:
            raise ValueError(
                f"“{part}” is not a step: write minutes like 10m, hours like 1h or days like 1d."
            )
        minutes = int(match.group(1)) * STEP_UNITS[match.group(2) or "m"]
        if not 1 <= minutes <= MAX_STEP_MINUTES:
            raise ValueError(f"“{part}”: each step is between 1 minute and 7 days.")
        steps.append(minutes)
    if len(steps) > MAX_STEPS:
        raise ValueError(f"Give at most {MAX_STEPS} steps.")
    return steps


def format_steps(steps: Iterable[int]) -> str:
    """Minutes as a learner reads them: [1, 10, 60, 1440] → "1m 10m 1h 1d"."""
    parts = []
    for minutes in steps:
        if minutes % (24 * 60) == 0:
            parts.append(f"{minutes // (24 * 60)}d")
        elif minutes % 60 == 0:
            parts.append(f"{minutes // 60}h")
        else:
            parts.append(f"{minutes}m")
    return " ".join(parts)
