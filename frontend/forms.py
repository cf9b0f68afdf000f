"""HTML forms of the student web app (answer controls live in `quizapp.bank.answer_forms`)."""

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import UserCreationForm

from quizapp.accounts.models import User
from quizapp.study.models import LearnerSettings, Rating, ReviewSource
from quizapp.study.presets import format_steps, parse_steps

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


class StepsField(forms.CharField):
    """Learning or relearning steps typed as Anki shows them ("1m 10m 1h"), kept as minutes."""

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=200, **kwargs)

    def prepare_value(self, value):
        return format_steps(value) if isinstance(value, list | tuple) else value

    def clean(self, value):
        try:
            return parse_steps(super().clean(value))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class PresetOptionsForm(forms.Form):
    """The options of a deck preset; the default preset's are part of the study settings."""

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
    max_reviews_per_day = forms.IntegerField(
        label="Maximum reviews per day",
        min_value=1,
        max_value=10000,
        help_text="Reviews beyond this wait for the next day.",
    )
    learning_steps = StepsField(
        label="Learning steps",
        help_text="When a new card comes back the same day, e.g. “1m 10m” (m minutes, h "
        "hours, d days); empty: straight to daily reviews.",
    )
    relearning_steps = StepsField(
        label="Relearning steps",
        help_text="When a forgotten card comes back the same day, e.g. “10m”.",
    )
    maximum_interval = forms.IntegerField(
        label="Maximum interval (days)",
        min_value=1,
        max_value=36500,
        help_text="No card waits longer than this between reviews.",
    )
    bury_related = forms.BooleanField(
        label="Bury related questions",
        required=False,
        help_text="Once a card is studied, hide the questions related to it until the next "
        "day. It has no effect until questions can be grouped as related.",
    )

    @classmethod
    def for_options(cls, options, data=None, **kwargs):
        initial = {
            name: getattr(options, name) for name in cls.base_fields if hasattr(options, name)
        }
        return cls(data, initial=initial, **kwargs)


class LearnerSettingsForm(PresetOptionsForm):
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)
    day_start_hour = forms.TypedChoiceField(
        label="New study day starts at",
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text="Reviews before this hour count for the previous day, as in Anki.",
    )

    @classmethod
    def for_settings(cls, settings: LearnerSettings, data=None) -> "LearnerSettingsForm":
        return cls.for_options(settings, data)


class DeckPresetForm(PresetOptionsForm):
    name = forms.CharField(label="Name", max_length=60)

    field_order = ["name"]


class DeckPresetsForm(forms.Form):
    """One choice per deck: the default preset or one of the learner's named presets."""

    @staticmethod
    def field_name(deck) -> str:
        return f"deck-{deck.pk}"

    @classmethod
    def for_learner(cls, overview, data=None) -> "DeckPresetsForm":
        form = cls(data)
        choices = [("", f"{overview.presets[0].preset.name} preset")] + [
            (str(use.preset.id), use.preset.name) for use in overview.presets[1:]
        ]
        for deck, preset in overview.deck_presets:
            form.fields[cls.field_name(deck)] = forms.ChoiceField(
                label=deck.title, choices=choices, required=False
            )
            form.initial[cls.field_name(deck)] = "" if preset.id is None else str(preset.id)
        form.decks = [deck for deck, _ in overview.deck_presets]
        return form

    def chosen(self, deck) -> int | None:
        """The preset chosen for `deck`: a named preset's id, or None for the default."""
        value = self.cleaned_data.get(self.field_name(deck)) or ""
        return int(value) if value else None


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
