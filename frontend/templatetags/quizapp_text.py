"""Template filters that put values into the words a learner reads."""

from datetime import timedelta

from django import template

register = template.Library()

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


@register.filter
def duration_words(value: timedelta | None) -> str:
    """A duration such as a quiz's time limit in words: "15 minutes", "1 hour 30 minutes",
    "45 seconds" (a timedelta prints as "0:15:00"). Empty for no duration."""
    if value is None:
        return ""
    left = max(0, round(value.total_seconds()))
    parts = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 seconds"
