"""Study days: the learner's day boundary, fixed-offset zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from quizapp.study.days import day_bounds, elapsed_days, resolve_zone, study_day

NEW_YORK = ZoneInfo("America/New_York")
MOUNTAIN_FIXED = "Etc/GMT+7"  # POSIX sign: this is UTC-07:00
MICROSECOND = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestStudyDay:
    def test_boundary_hour_starts_the_new_day(self) -> None:
        zone = ZoneInfo("Europe/Berlin")
        before = datetime(2024, 6, 2, 3, 59, 59, 999999, tzinfo=zone)
        at = datetime(2024, 6, 2, 4, 0, tzinfo=zone)
        assert study_day(before, tz=zone) == date(2024, 6, 1)
        assert study_day(at, tz=zone) == date(2024, 6, 2)

    def test_etc_gmt_plus_7_is_seven_hours_behind_utc(self) -> None:
        # 10:59 UTC is 03:59 local: still the previous study day; 11:00 UTC is 04:00 local.
        assert study_day(utc(2024, 3, 30, 10, 59), tz=MOUNTAIN_FIXED) == date(2024, 3, 29)
        assert study_day(utc(2024, 3, 30, 11, 0), tz=MOUNTAIN_FIXED) == date(2024, 3, 30)
        # The first review in the shared log: 20:32 UTC is 13:32 local, same calendar day.
        assert study_day(utc(2024, 3, 29, 20, 32), tz=MOUNTAIN_FIXED) == date(2024, 3, 29)

    def test_result_does_not_depend_on_the_offset_the_datetime_carries(self) -> None:
        moment = utc(2024, 3, 30, 10, 59)
        elsewhere = moment.astimezone(ZoneInfo("Asia/Tokyo"))
        assert study_day(elsewhere, tz=MOUNTAIN_FIXED) == study_day(moment, tz=MOUNTAIN_FIXED)

    def test_midnight_boundary_is_the_calendar_date(self) -> None:
        moment = datetime(2024, 6, 2, 0, 30, tzinfo=NEW_YORK)
        assert study_day(moment, tz=NEW_YORK, day_start_hour=0) == date(2024, 6, 2)
        assert study_day(moment, tz=NEW_YORK) == date(2024, 6, 1)

    def test_naive_datetime_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            study_day(datetime(2024, 6, 2, 12, 0), tz=NEW_YORK)

    @pytest.mark.parametrize("hour", [-1, 24])
    def test_day_start_hour_must_be_an_hour_of_the_day(self, hour: int) -> None:
        with pytest.raises(ValueError, match="day_start_hour"):
            study_day(utc(2024, 6, 2), tz=NEW_YORK, day_start_hour=hour)

    def test_zone_may_be_given_by_name_or_object(self) -> None:
        moment = utc(2024, 6, 2, 9, 0)
        assert study_day(moment, tz="America/New_York") == study_day(moment, tz=NEW_YORK)
        assert resolve_zone("Etc/GMT+7").utcoffset(None) == timedelta(hours=-7)


class TestElapsedDays:
    def test_same_study_day_is_zero_even_hours_apart(self) -> None:
        assert elapsed_days(utc(2024, 6, 2, 12), utc(2024, 6, 2, 23), tz="UTC") == 0
        # 01:00 and 03:00 both belong to the previous study day with a 04:00 boundary.
        assert elapsed_days(utc(2024, 6, 2, 1), utc(2024, 6, 2, 3), tz="UTC") == 0

    def test_late_evening_then_next_morning_is_one_day(self) -> None:
        assert elapsed_days(utc(2024, 6, 2, 23), utc(2024, 6, 3, 5), tz="UTC") == 1

    def test_late_evening_then_small_hours_is_zero(self) -> None:
        assert elapsed_days(utc(2024, 6, 2, 23), utc(2024, 6, 3, 2), tz="UTC") == 0

    def test_counts_study_days_not_24_hour_periods(self) -> None:
        # 47 hours but three study days apart: 04:30 Mon -> 03:30 Wed is Mon -> Tue.
        assert elapsed_days(utc(2024, 6, 3, 4, 30), utc(2024, 6, 5, 3, 30), tz="UTC") == 1
        assert elapsed_days(utc(2024, 6, 3, 3, 30), utc(2024, 6, 5, 4, 30), tz="UTC") == 3

    def test_is_signed(self) -> None:
        assert elapsed_days(utc(2024, 6, 5, 12), utc(2024, 6, 3, 12), tz="UTC") == -2

    def test_across_spring_forward(self) -> None:
        # 23:00 EST Saturday, then 05:00 EDT Sunday (clocks jumped 02:00 -> 03:00 in between).
        saturday = datetime(2024, 3, 9, 23, 0, tzinfo=NEW_YORK)
        sunday = datetime(2024, 3, 10, 5, 0, tzinfo=NEW_YORK)
        assert elapsed_days(saturday, sunday, tz=NEW_YORK) == 1
        # 03:30 EDT is still before the 04:00 boundary: same study day as Saturday 23:00.
        assert (
            elapsed_days(saturday, datetime(2024, 3, 10, 3, 30, tzinfo=NEW_YORK), tz=NEW_YORK) == 0
        )

    def test_across_fall_back(self) -> None:
        # 01:30 happens twice on 2024-11-03 in New York; both are the Saturday study day.
        first = datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=NEW_YORK)
        second = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK)
        assert second - first == timedelta(0)  # wall-clock arithmetic, same zone
        assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
        assert elapsed_days(first, second, tz=NEW_YORK) == 0
        assert study_day(second, tz=NEW_YORK) == date(2024, 11, 2)


class TestDayBounds:
    def test_ordinary_day_in_fixed_offset_zone(self) -> None:
        start, end = day_bounds(date(2024, 3, 29), tz=MOUNTAIN_FIXED, day_start_hour=4)
        assert start == utc(2024, 3, 29, 11)
        assert end == utc(2024, 3, 30, 11)
        assert start.tzinfo is UTC and end.tzinfo is UTC

    def test_spring_forward_day_is_23_hours(self) -> None:
        start, end = day_bounds(date(2024, 3, 9), tz=NEW_YORK, day_start_hour=4)
        assert start == utc(2024, 3, 9, 9)  # 04:00 EST
        assert end == utc(2024, 3, 10, 8)  # 04:00 EDT
        assert end - start == timedelta(hours=23)

    def test_fall_back_day_is_25_hours(self) -> None:
        start, end = day_bounds(date(2024, 11, 2), tz=NEW_YORK, day_start_hour=4)
        assert end - start == timedelta(hours=25)

    def test_boundary_inside_the_skipped_hour(self) -> None:
        # With a 02:00 boundary, 02:00 does not exist on 2024-03-10: the day starts when the
        # clock jumps, 07:00 UTC (02:00 EST == 03:00 EDT).
        start, end = day_bounds(date(2024, 3, 10), tz=NEW_YORK, day_start_hour=2)
        assert start == utc(2024, 3, 10, 7)
        assert study_day(start, tz=NEW_YORK, day_start_hour=2) == date(2024, 3, 10)
        assert study_day(start - MICROSECOND, tz=NEW_YORK, day_start_hour=2) == date(2024, 3, 9)
        assert end == utc(2024, 3, 11, 6)

    def test_boundary_inside_the_repeated_hour_uses_its_first_occurrence(self) -> None:
        start, _ = day_bounds(date(2024, 11, 3), tz=NEW_YORK, day_start_hour=1)
        assert start == utc(2024, 11, 3, 5)  # the first 01:00, still EDT
        assert study_day(utc(2024, 11, 3, 6, 30), tz=NEW_YORK, day_start_hour=1) == date(
            2024, 11, 3
        )

    @pytest.mark.parametrize(
        "zone", ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Etc/GMT+7"]
    )
    @pytest.mark.parametrize("hour", [0, 1, 2, 3, 4, 23])
    def test_bounds_agree_with_study_day_through_a_year(self, zone: str, hour: int) -> None:
        day = date(2024, 1, 1)
        while day < date(2025, 1, 1):
            start, end = day_bounds(day, tz=zone, day_start_hour=hour)
            assert study_day(start, tz=zone, day_start_hour=hour) == day
            assert study_day(end - MICROSECOND, tz=zone, day_start_hour=hour) == day
            assert study_day(start - MICROSECOND, tz=zone, day_start_hour=hour) < day
            day += timedelta(days=1)

    def test_rejects_a_datetime(self) -> None:
        with pytest.raises(TypeError):
            day_bounds(utc(2024, 6, 2), tz="UTC", day_start_hour=4)
