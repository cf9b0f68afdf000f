"""HTML forms of the student web app (answer controls live in `quizapp.bank.answer_forms`)."""

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import UserCreationForm

from quizapp.accounts.models import User
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
