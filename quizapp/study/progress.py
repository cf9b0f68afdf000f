"""Reads for a learner's progress: streak, reviews per day, true retention, due forecast and
mastery per deck, for the progress page, the home page and `GET /api/v1/progress`.

Everything comes from the per-day totals (`ReviewDay`, at most a year of rows) and from card
states (one row per card), never from the review log, so the cost is a fixed number of queries
whatever the length of a learner's history. Results are plain frozen dataclasses of dates,
ints, floats and lists, ready to serialise.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone

from quizapp.bank.models import Deck, Question
from quizapp.study import scheduling
from quizapp.study.days import day_bounds
from quizapp.study.models import CardState, Review, ReviewDay
from quizapp.study.review_days import day_date
from quizapp.study.services import learner_settings_get

HEATMAP_DAYS = 365
RETENTION_DAYS = 30
RETENTION_WEEKS = 52
FORECAST_DAYS = 30
MASTERED_STABILITY = 21.0
"""Days of stability from which a card counts as mastered (Anki's "mature" interval)."""


@dataclass(frozen=True)
class TodayProgress:
    day: date
    streak: int
    """Consecutive study days with at least one review, ending today or yesterday."""
    reviews: int
    again: int
    new_cards: int
    duration_ms: int


@dataclass(frozen=True)
class DayReviews:
    day: date
    reviews: int


@dataclass(frozen=True)
class WeekRetention:
    start: date
    end: date
    """Inclusive: the last study day of the week."""
    reviews: int
    """Reviews of cards in Review state (the ones true retention is measured on)."""
    recalled: int
    retention: float | None


@dataclass(frozen=True)
class DayForecast:
    day: date
    due: int


@dataclass(frozen=True)
class DeckMastery:
    slug: str
    title: str
    total: int
    """Published cards in the deck."""
    started: int
    mastered: int
    """Started cards with a stability of at least MASTERED_STABILITY days."""

    @property
    def mastery(self) -> float:
        return self.mastered / self.total if self.total else 0.0


@dataclass(frozen=True)
class LearnerProgress:
    today: TodayProgress
    reviews_per_day: list[DayReviews]
    """The last HEATMAP_DAYS study days, oldest first, today last (days without reviews: 0)."""
    retention: float | None
    """True retention over the last RETENTION_DAYS study days (None without reviews of
    cards in Review state)."""
    retention_reviews: int
    retention_per_week: list[WeekRetention]
    """The last RETENTION_WEEKS seven-day weeks, oldest first; the last one ends today."""
    forecast: list[DayForecast]
    """Cards due on each of the next FORECAST_DAYS study days; today includes overdue cards."""
    decks: list[DeckMastery]
    desired_retention: float


@dataclass(frozen=True)
class SessionSummary:
    reviewed: int
    again: int
    next_due: datetime | None


def _today_number(settings, now: datetime) -> int:
    return scheduling.day_number(now, tz=settings.time_zone, day_start_hour=settings.day_start_hour)


def _streak(user, active: set[int], today: int, window_start: int) -> int:
    """Length of the run of study days ending today (or yesterday, if today has no review).

    `active` holds the days with reviews from window_start on; a run reaching back to the
    window's start is followed further with one query for the day that run began.
    """
    end = today if today in active else today - 1
    if end not in active:
        return 0
    day = end
    while day >= window_start and day in active:
        day -= 1
    if day >= window_start:
        return end - day
    # The run fills the whole window: it began on the latest day up to the window's start
    # whose previous day has no reviews.
    days = ReviewDay.objects.filter(user=user, reviews__gt=0)
    first = (
        days.filter(day__lte=window_start)
        .exclude(Exists(days.filter(day=OuterRef("day") - 1)))
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    return end - first + 1


def _day_rows(user, first: int, last: int) -> dict[int, dict]:
    return {
        row["day"]: row
        for row in ReviewDay.objects.filter(user=user, day__gte=first, day__lte=last).values(
            "day",
            "reviews",
            "again",
            "review_recalled",
            "review_forgotten",
            "new_cards",
            "duration_ms",
        )
    }


def _today(user, rows: dict[int, dict], today: int, window_start: int) -> TodayProgress:
    row = rows.get(today, {})
    active = {day for day, r in rows.items() if r["reviews"] > 0}
    return TodayProgress(
        day=day_date(today),
        streak=_streak(user, active, today, window_start),
        reviews=row.get("reviews", 0),
        again=row.get("again", 0),
        new_cards=row.get("new_cards", 0),
        duration_ms=row.get("duration_ms", 0),
    )


def learner_today(*, user, now: datetime | None = None) -> TodayProgress:
    """Today's counts and the streak (two or three queries)."""
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    today = _today_number(settings, now)
    window_start = today - HEATMAP_DAYS + 1
    rows = _day_rows(user, window_start, today)
    return _today(user, rows, today, window_start)


def _retention(rows: dict[int, dict], first: int, last: int) -> tuple[int, int]:
    recalled = forgotten = 0
    for day in range(first, last + 1):
        row = rows.get(day)
        if row:
            recalled += row["review_recalled"]
            forgotten += row["review_forgotten"]
    return recalled, recalled + forgotten


def _forecast(user, settings, today: int) -> list[DayForecast]:
    """Cards due per study day, counted in SQL between the learner's day boundaries."""
    ends = [
        day_bounds(
            day_date(today + i), tz=settings.time_zone, day_start_hour=settings.day_start_hour
        )[1]
        for i in range(FORECAST_DAYS)
    ]
    counts = {
        f"d{i}": Count(
            "pk", filter=Q(due__lt=end) if i == 0 else Q(due__gte=ends[i - 1], due__lt=end)
        )
        for i, end in enumerate(ends)
    }
    totals = CardState.objects.filter(
        user=user,
        suspended=False,
        state__gt=CardState.State.NEW,
        question__status=Question.Status.PUBLISHED,
    ).aggregate(**counts)
    return [DayForecast(day_date(today + i), totals[f"d{i}"]) for i in range(FORECAST_DAYS)]


def _mastery(user) -> list[DeckMastery]:
    published = Question.Status.PUBLISHED
    cards = {
        row["deck"]: row
        for row in CardState.objects.filter(
            user=user, question__status=published, state__gt=CardState.State.NEW
        )
        .values(deck=F("question__memberships__deck"))
        .annotate(
            started=Count("pk"),
            mastered=Count("pk", filter=Q(stability__gte=MASTERED_STABILITY)),
        )
        .order_by()
    }
    decks = Deck.objects.annotate(
        total=Count("memberships", filter=Q(memberships__question__status=published))
    ).filter(total__gt=0)
    return [
        DeckMastery(
            slug=deck.slug,
            title=deck.title,
            total=deck.total,
            started=cards.get(deck.pk, {}).get("started", 0),
            mastered=cards.get(deck.pk, {}).get("mastered", 0),
        )
        for deck in decks
    ]


def learner_progress(*, user, now: datetime | None = None) -> LearnerProgress:
    """Everything the progress page shows, in at most seven queries."""
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    today = _today_number(settings, now)
    window_start = today - HEATMAP_DAYS + 1
    rows = _day_rows(user, window_start, today)

    recalled, checked = _retention(rows, today - RETENTION_DAYS + 1, today)
    weeks = []
    for week in range(RETENTION_WEEKS - 1, -1, -1):
        last = today - 7 * week
        week_recalled, week_checked = _retention(rows, last - 6, last)
        weeks.append(
            WeekRetention(
                start=day_date(last - 6),
                end=day_date(last),
                reviews=week_checked,
                recalled=week_recalled,
                retention=week_recalled / week_checked if week_checked else None,
            )
        )
    return LearnerProgress(
        today=_today(user, rows, today, window_start),
        reviews_per_day=[
            DayReviews(day_date(day), rows[day]["reviews"] if day in rows else 0)
            for day in range(window_start, today + 1)
        ],
        retention=recalled / checked if checked else None,
        retention_reviews=checked,
        retention_per_week=weeks,
        forecast=_forecast(user, settings, today),
        decks=_mastery(user),
        desired_retention=settings.desired_retention,
    )


def session_summary(
    *, user, since: datetime, deck: Deck | None = None, now: datetime | None = None
) -> SessionSummary:
    """What a study session did since `since`, and when the next card comes due (two
    queries: the session's reviews are read through the (user, reviewed_at) index)."""
    now = now or timezone.now()
    done = Review.objects.filter(user=user, reviewed_at__gte=since).aggregate(
        reviewed=Count("pk"), again=Count("pk", filter=Q(rating=1))
    )
    cards = CardState.objects.filter(
        user=user,
        suspended=False,
        state__gt=CardState.State.NEW,
        due__gt=now,
        question__status=Question.Status.PUBLISHED,
    )
    if deck is not None:
        cards = cards.filter(question__memberships__deck=deck)
    next_due = cards.aggregate(next_due=Min("due"))["next_due"]
    return SessionSummary(reviewed=done["reviewed"], again=done["again"], next_due=next_due)
