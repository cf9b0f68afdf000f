"""Geometry of the progress page's SVG charts, computed from `LearnerProgress` (pure).

The templates draw these shapes; colours come from CSS classes (the site's CSP forbids style
attributes), and each chart also gets a text summary and a data table.
"""

import calendar
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from quizapp.study.progress import DayForecast, DayReviews, DeckMastery, WeekRetention

CELL, GAP = 11, 2
PITCH = CELL + GAP
HEAT_LEFT, HEAT_TOP = 30, 16


def _short(day: date) -> str:
    return f"{calendar.month_abbr[day.month]} {day.day}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class HeatCell:
    x: int
    y: int
    level: int
    label: str


@dataclass(frozen=True)
class MonthRow:
    month: str
    reviews: int
    days: int


@dataclass(frozen=True)
class Heatmap:
    width: int
    height: int
    cells: list[HeatCell]
    """Days with reviews; the others are drawn as one path."""
    empty_path: str
    months: list[tuple[int, str]]
    weekdays: list[tuple[int, str]]
    summary: str
    table: list[MonthRow]


def heatmap(days: list[DayReviews]) -> Heatmap:
    """A calendar of the year: one column per week (Monday first), darker = more reviews."""
    first = days[0].day
    offset = first.weekday()
    peak = max((d.reviews for d in days), default=0)
    cells, empty, months = [], [], []
    table: OrderedDict[str, list[int]] = OrderedDict()
    for index, day in enumerate(days):
        column, row = divmod(index + offset, 7)
        x, y = HEAT_LEFT + column * PITCH, HEAT_TOP + row * PITCH
        if day.day.day == 1 or index == 0:
            months.append((x, calendar.month_abbr[day.day.month]))
        month = table.setdefault(f"{calendar.month_name[day.day.month]} {day.day.year}", [0, 0])
        if day.reviews:
            level = min(4, 1 + (4 * (day.reviews - 1)) // peak)
            label = f"{_short(day.day)}: {_plural(day.reviews, 'review')}"
            cells.append(HeatCell(x, y, level, label))
            month[0] += day.reviews
            month[1] += 1
        else:
            empty.append(f"M{x} {y}h{CELL}v{CELL}h-{CELL}z")
    # Drop a month label squeezed against the next one (the first, partial week).
    if len(months) > 1 and months[1][0] - months[0][0] < 3 * PITCH:
        months.pop(0)
    columns = (len(days) + offset + 6) // 7
    total = sum(d.reviews for d in days)
    studied = sum(1 for d in days if d.reviews)
    if total:
        busiest = max(days, key=lambda d: d.reviews)
        summary = (
            f"{_plural(total, 'review')} on {_plural(studied, 'day')} in the past year; "
            f"the busiest day was {_short(busiest.day)} {busiest.day.year} with "
            f"{_plural(busiest.reviews, 'review')}."
        )
    else:
        summary = "No reviews in the past year yet."
    return Heatmap(
        width=HEAT_LEFT + columns * PITCH,
        height=HEAT_TOP + 7 * PITCH,
        cells=cells,
        empty_path="".join(empty),
        months=months,
        weekdays=[
            (HEAT_TOP + row * PITCH + CELL - 1, name)
            for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"))
        ],
        summary=summary,
        table=[MonthRow(name, reviews, studied) for name, (reviews, studied) in table.items()],
    )


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    tick: str = ""


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    top_label: str
    summary: str


FORECAST_HEIGHT, FORECAST_TOP, FORECAST_BAR, FORECAST_STEP = 120, 14, 14, 20


def forecast_chart(forecast: list[DayForecast]) -> BarChart:
    peak = max((f.due for f in forecast), default=0)
    bars = []
    for index, day in enumerate(forecast):
        height = round(FORECAST_HEIGHT * day.due / peak) if peak else 0
        bars.append(
            Bar(
                x=30 + index * FORECAST_STEP,
                y=FORECAST_TOP + FORECAST_HEIGHT - height,
                width=FORECAST_BAR,
                height=height,
                label=f"{'Today' if index == 0 else _short(day.day)}: {day.due} due",
                tick=("Today" if index == 0 else _short(day.day)) if index % 7 == 0 else "",
            )
        )
    total = sum(f.due for f in forecast)
    if total:
        busiest = max(forecast, key=lambda f: f.due)
        when = "today" if busiest is forecast[0] else _short(busiest.day)
        summary = (
            f"{_plural(total, 'card')} due in the next {len(forecast)} days, "
            f"{forecast[0].due} of them today (overdue included); the busiest day is "
            f"{when} with {busiest.due}."
        )
    else:
        summary = f"No cards due in the next {len(forecast)} days."
    return BarChart(
        width=30 + len(forecast) * FORECAST_STEP + 10,
        height=FORECAST_TOP + FORECAST_HEIGHT + 22,
        baseline=FORECAST_TOP + FORECAST_HEIGHT,
        bars=bars,
        top_label=str(peak),
        summary=summary,
    )


@dataclass(frozen=True)
class Point:
    x: int
    y: int
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: list[Point]
    polyline: str
    target_y: int
    gridlines: list[tuple[int, str]]
    ticks: list[tuple[int, str]]
    summary: str


RETENTION_HEIGHT, RETENTION_TOP, RETENTION_LEFT, RETENTION_STEP = 120, 10, 40, 12
RETENTION_FLOOR = 0.5


def _retention_y(value: float) -> int:
    share = (max(value, RETENTION_FLOOR) - RETENTION_FLOOR) / (1 - RETENTION_FLOOR)
    return round(RETENTION_TOP + RETENTION_HEIGHT * (1 - share))


def retention_chart(
    weeks: list[WeekRetention], *, overall: float | None, reviews: int, target: float
) -> LineChart:
    """Weekly true retention from 50 % to 100 %, with the learner's target as a line."""
    points = [
        Point(
            x=RETENTION_LEFT + index * RETENTION_STEP,
            y=_retention_y(week.retention),
            label=(
                f"Week of {_short(week.start)}: {week.retention:.0%} of "
                f"{_plural(week.reviews, 'review')}"
            ),
        )
        for index, week in enumerate(weeks)
        if week.retention is not None
    ]
    if overall is None:
        summary = "No reviews of learned cards in the last 30 days, so no retention yet."
    else:
        summary = (
            f"True retention over the last 30 days: {overall:.0%} of "
            f"{_plural(reviews, 'review')} of learned cards were recalled; your target is "
            f"{target:.0%}."
        )
    return LineChart(
        width=RETENTION_LEFT + len(weeks) * RETENTION_STEP,
        height=RETENTION_TOP + RETENTION_HEIGHT + 22,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        target_y=_retention_y(target),
        gridlines=[(_retention_y(v), f"{v:.0%}") for v in (0.5, 0.75, 1.0)],
        ticks=[
            (RETENTION_LEFT + index * RETENTION_STEP, _short(week.start))
            for index, week in enumerate(weeks)
            if index % 13 == 0
        ],
        summary=summary,
    )


@dataclass(frozen=True)
class MasteryRow:
    """One deck's bar: mastered cards, then started ones, out of MASTERY_WIDTH for all."""

    title: str
    mastered_width: int
    started_width: int
    text: str


MASTERY_WIDTH = 300


def mastery_chart(decks: list[DeckMastery]) -> list[MasteryRow]:
    rows = []
    for deck in decks:
        mastered = round(MASTERY_WIDTH * deck.mastered / deck.total) if deck.total else 0
        started = round(MASTERY_WIDTH * deck.started / deck.total) if deck.total else 0
        rows.append(
            MasteryRow(
                title=deck.title,
                mastered_width=mastered,
                started_width=max(0, started - mastered),
                text=(
                    f"{deck.mastery:.0%} mastered: {deck.mastered} of {_plural(deck.total, 'card')}"
                    f" ({deck.started} started)"
                ),
            )
        )
    return rows


@dataclass(frozen=True)
class WorkloadLine:
    days: int
    label: str
    polyline: str
    points: list[Point]


@dataclass(frozen=True)
class WorkloadRow:
    retention: str
    reviews_per_day: str
    minutes_per_day: str
    memorised: str
    minutes_per_card: str
    recommended: bool
    current: bool


@dataclass(frozen=True)
class WorkloadTable:
    days: int
    title: str
    rows: list[WorkloadRow]


@dataclass(frozen=True)
class WorkloadChart:
    width: int
    height: int
    lines: list[WorkloadLine]
    gridlines: list[tuple[int, str]]
    ticks: list[tuple[int, str]]
    recommended_x: int
    recommended: float
    summary: str
    tables: list[WorkloadTable]


WORKLOAD_LEFT, WORKLOAD_TOP, WORKLOAD_WIDTH, WORKLOAD_HEIGHT = 40, 12, 300, 140
WORKLOAD_RANGE = (0.70, 0.97)


def _horizon_name(days: int) -> str:
    return "the next year" if days == 365 else f"the next {days} days"


def workload_chart(result: dict, *, current_retention: float) -> WorkloadChart:
    """Minutes of study a day against desired retention, one line per horizon, with the
    retention that costs the least work per memorised card over the longest horizon marked."""
    horizons = [int(h) for h in result["horizons"]]
    longest = max(horizons)
    low, high = WORKLOAD_RANGE
    peak = max(w["minutes_per_day"] for h in horizons for w in result["workloads"][str(h)])
    scale = max(1, math.ceil(peak / 5) * 5)

    def x_of(retention: float) -> int:
        return round(WORKLOAD_LEFT + WORKLOAD_WIDTH * (retention - low) / (high - low))

    def y_of(minutes: float) -> int:
        return round(WORKLOAD_TOP + WORKLOAD_HEIGHT * (1 - minutes / scale))

    lines = []
    for days in horizons:
        points = [
            Point(
                x=x_of(w["desired_retention"]),
                y=y_of(w["minutes_per_day"]),
                label=(
                    f"{_horizon_name(days).capitalize()} at {w['desired_retention']:.2f}: "
                    f"{w['minutes_per_day']:.1f} minutes a day"
                ),
            )
            for w in result["workloads"][str(days)]
        ]
        lines.append(
            WorkloadLine(
                days=days,
                label=f"{days} days",
                polyline=" ".join(f"{p.x},{p.y}" for p in points),
                points=points,
            )
        )
    recommended = result["recommended"][str(longest)]
    tables = []
    for days in reversed(horizons):
        best = result["recommended"][str(days)]
        tables.append(
            WorkloadTable(
                days=days,
                title=_horizon_name(days).capitalize(),
                rows=[
                    WorkloadRow(
                        retention=f"{w['desired_retention']:.2f}",
                        reviews_per_day=f"{w['reviews_per_day']:.0f}",
                        minutes_per_day=f"{w['minutes_per_day']:.1f}",
                        memorised=f"{w['memorised']:,.0f}",
                        minutes_per_card=f"{w['minutes_per_memorised_card']:.2f}",
                        recommended=w["desired_retention"] == best,
                        current=abs(w["desired_retention"] - current_retention) < 0.005,
                    )
                    for w in result["workloads"][str(days)]
                ],
            )
        )
    year = result["workloads"][str(longest)]
    at_best = next(w for w in year if w["desired_retention"] == recommended)

    def daily(workload: dict) -> str:
        reviews, minutes = round(workload["reviews_per_day"]), round(workload["minutes_per_day"])
        return f"{_plural(reviews, 'review')} ({_plural(minutes, 'minute')}) a day"

    summary = (
        f"Over {_horizon_name(longest)}, a desired retention of {recommended:.2f} costs the "
        f"least work per card remembered: about {daily(at_best)}, with about "
        f"{_plural(round(at_best['memorised']), 'card')} remembered at the end."
    )
    mine = next((w for w in year if abs(w["desired_retention"] - current_retention) < 0.005), None)
    if mine is not None and mine is not at_best:
        summary += (
            f" At your {current_retention:.2f}: {daily(mine)}, "
            f"{_plural(round(mine['memorised']), 'card')}."
        )
    return WorkloadChart(
        width=WORKLOAD_LEFT + WORKLOAD_WIDTH + 12,
        height=WORKLOAD_TOP + WORKLOAD_HEIGHT + 24,
        lines=lines,
        gridlines=[(y_of(v), f"{v:g} min") for v in (0, scale / 2, scale)],
        ticks=[(x_of(r), f"{r:.2f}") for r in (0.70, 0.80, 0.90, 0.97)],
        recommended_x=x_of(recommended),
        recommended=recommended,
        summary=summary,
        tables=tables,
    )
