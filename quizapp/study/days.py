"""Calendar days as the learner experiences them.

Spaced repetition counts time in *study days*, not in 24-hour periods: a card answered at 23:00
and again at 08:00 the next morning was seen "one day later", while two answers given at 01:00
and 03:00 belong to the same late-night session. Anki and the FSRS tooling (fsrs-rs's revlog
converter, srs-benchmark's ``elapsed_days``) therefore shift local wall-clock time back by a
"next day starts at" hour (4 by default) and take the date. Everything in the study package that
needs "how many days passed" or "what is today" goes through this module so the scheduler, the
queue, the optimiser and the evaluation all agree on where one day ends.

The boundary is defined on *local wall-clock time*, because that is what the learner sees: on a
daylight-saving change the study day is 23 or 25 hours long, but it still starts at 04:00 on the
clock. All functions require aware datetimes; a naive datetime has no defined study day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DEFAULT_DAY_START_HOUR", "day_bounds", "elapsed_days", "resolve_zone", "study_day"]

DEFAULT_DAY_START_HOUR = 4
"""Anki's default "next day starts at" hour, also the FSRS tooling's default."""


def resolve_zone(tz: ZoneInfo | str) -> ZoneInfo:
    """Return ``tz`` as a ``ZoneInfo``, accepting IANA names such as ``"Etc/GMT+7"``.

    Beware the POSIX sign convention of the ``Etc/GMT±N`` zones: ``Etc/GMT+7`` is UTC−07:00.
    """
    if isinstance(tz, ZoneInfo):
        return tz
    if isinstance(tz, str):
        return ZoneInfo(tz)
    raise TypeError(f"tz must be a ZoneInfo or an IANA zone name, not {type(tz).__name__}")


def _check_hour(day_start_hour: int) -> None:
    if isinstance(day_start_hour, bool) or not isinstance(day_start_hour, int):
        raise TypeError("day_start_hour must be an int")
    if not 0 <= day_start_hour <= 23:
        raise ValueError(f"day_start_hour must be between 0 and 23, got {day_start_hour}")


def _check_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


def study_day(
    moment: datetime, *, tz: ZoneInfo | str, day_start_hour: int = DEFAULT_DAY_START_HOUR
) -> date:
    """Return the study day that the aware datetime ``moment`` falls in.

    The local wall-clock time is shifted back by ``day_start_hour`` hours and its date taken, so
    with the default of 4, 03:59 local time still belongs to the previous day. Python's aware
    datetime arithmetic is wall-clock arithmetic, which is exactly the semantics we want across
    daylight-saving transitions.
    """
    _check_aware(moment, "moment")
    _check_hour(day_start_hour)
    local = moment.astimezone(resolve_zone(tz))
    return (local - timedelta(hours=day_start_hour)).date()


def elapsed_days(
    earlier: datetime,
    later: datetime,
    *,
    tz: ZoneInfo | str,
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
) -> int:
    """Return how many study days separate ``earlier`` from ``later``.

    This is the ``delta_t`` of FSRS and srs-benchmark: two reviews on the same study day are 0
    days apart even if hours passed between them, and 23:00 followed by 05:00 the next morning
    is 1 day with a 04:00 boundary even though only six hours passed. The result is negative if
    ``later`` is on an earlier study day than ``earlier``; callers that sort reviews by time
    never see that.
    """
    zone = resolve_zone(tz)
    first = study_day(earlier, tz=zone, day_start_hour=day_start_hour)
    second = study_day(later, tz=zone, day_start_hour=day_start_hour)
    return (second - first).days


def day_bounds(
    day: date, *, tz: ZoneInfo | str, day_start_hour: int = DEFAULT_DAY_START_HOUR
) -> tuple[datetime, datetime]:
    """Return the half-open UTC interval ``[start, end)`` covered by the study day ``day``.

    The queue uses ``end`` for "due by the end of today". The start is ``day`` at
    ``day_start_hour`` o'clock local time. When that wall-clock time does not exist (the clock
    jumps over it) or exists twice (the clock falls back through it), ``fold=0`` resolves it to
    the earlier reading, which is exactly the first instant ``study_day`` assigns to ``day`` — so
    ``study_day(start) == day`` and ``study_day(end - ε) == day`` hold. (The one exception is a
    date the zone skipped altogether, such as 2011-12-30 in Pacific/Apia: its interval is empty.)
    """
    if isinstance(day, datetime):
        raise TypeError("day must be a date, not a datetime")
    _check_hour(day_start_hour)
    zone = resolve_zone(tz)
    boundary = time(hour=day_start_hour)
    start = datetime.combine(day, boundary, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), boundary, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
