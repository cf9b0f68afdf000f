"""Reads for studying: the queue and the per-deck counts, each in a constant number of queries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from quizapp.bank.models import Deck, DeckQuestion, Question
from quizapp.study import scheduling
from quizapp.study.days import day_bounds, study_day
from quizapp.study.models import CardState, LearnerSettings, Review
from quizapp.study.services import learner_settings_get, memory_of, scheduler_config
from quizapp.study.withholding import withheld_questions_compiled

STUDYING = (CardState.State.LEARNING, CardState.State.RELEARNING)


@dataclass(frozen=True)
class StudyDay:
    """Where "today" starts and ends for a learner, and today's number for SQL comparisons."""

    start: datetime
    end: datetime
    number: int


def study_day_of(settings: LearnerSettings, now: datetime) -> StudyDay:
    zone = scheduling.resolve_zone(settings.time_zone)
    today = study_day(now, tz=zone, day_start_hour=settings.day_start_hour)
    start, end = day_bounds(today, tz=zone, day_start_hour=settings.day_start_hour)
    return StudyDay(
        start, end, scheduling.day_number(now, tz=zone, day_start_hour=settings.day_start_hour)
    )


@dataclass(frozen=True)
class QueueEntry:
    question: Question
    card: CardState | None
    kind: str  # "learning", "review" or "new"
    predicted_recall: float | None
    intervals: dict[int, timedelta]


def _active_cards(user, now: datetime, withheld):
    cards = (
        CardState.objects.filter(user=user, suspended=False)
        .exclude(buried_until__gt=now)
        .filter(question__status=Question.Status.PUBLISHED)
    )
    return cards if withheld is None else cards.exclude(question__in=withheld)


def _new_questions(user, deck: Deck | None, now: datetime, withheld):
    """Published questions in the deck (or any deck) that the learner has not started (and
    that are not withheld from them)."""
    started = CardState.objects.filter(
        user=user, question=OuterRef("pk"), state__gt=CardState.State.NEW
    )
    untouchable = CardState.objects.filter(user=user, question=OuterRef("pk")).filter(
        Q(suspended=True) | Q(buried_until__gt=now)
    )
    questions = (
        Question.objects.published()
        .filter(**({"memberships__deck": deck} if deck else {"memberships__isnull": False}))
        .exclude(Exists(started))
        .exclude(Exists(untouchable))
    )
    return questions if withheld is None else questions.exclude(pk__in=withheld)


def _introduced_today(user, day: StudyDay) -> int:
    return CardState.objects.filter(user=user, introduced_day=day.number).count()


def study_queue(
    *, user, deck: Deck | None = None, limit: int = 20, now: datetime | None = None
) -> list[QueueEntry]:
    """The next cards to study, in order:

    1. learning and relearning cards that are due now (soonest first);
    2. review cards due by the end of the learner's study day, lowest predicted recall first
       (elapsed study days / stability, highest first, which orders recall the same way);
    3. new cards, in deck order, up to what is left of today's new-card allowance.

    Suspended and buried cards are left out, and so are questions withheld from the learner
    (`quizapp.study.withholding`: a quiz they are taking keeps its answers secret), each with
    an anti-join in the same query. Six queries whatever the collection's size.
    """
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    day = study_day_of(settings, now)
    withheld = withheld_questions_compiled(user=user, now=now)
    cards = _active_cards(user, now, withheld)
    if deck is not None:
        cards = cards.filter(question__memberships__deck=deck)

    learning = list(
        cards.filter(state__in=STUDYING, due__lte=now)
        .select_related("question")
        .order_by("due")[:limit]
    )
    room = limit - len(learning)
    reviews_done = Review.objects.filter(
        user=user, reviewed_at__gte=day.start, reviewed_at__lt=day.end
    ).count()
    review_room = min(room, max(0, settings.max_reviews_per_day - reviews_done))
    overdue = ExpressionWrapper(
        Cast(Value(day.number) - F("last_review_day"), FloatField()) / F("stability"),
        output_field=FloatField(),
    )
    due_reviews = (
        list(
            cards.filter(state=CardState.State.REVIEW, due__lt=day.end)
            .annotate(overdue=overdue)
            .select_related("question")
            .order_by("-overdue", "due", "pk")[:review_room]
        )
        if review_room > 0
        else []
    )
    room -= len(due_reviews)
    new_room = min(room, max(0, settings.new_cards_per_day - _introduced_today(user, day)))
    new_questions = (
        list(
            _new_questions(user, deck, now, withheld)
            .annotate(
                deck_order=Min(
                    F("memberships__deck__position") * 100_000 + F("memberships__position")
                )
            )
            .order_by("deck_order", "pk")[:new_room]
        )
        if new_room > 0
        else []
    )

    config = scheduler_config(settings)
    entries = []
    for kind, items in (("learning", learning), ("review", due_reviews)):
        for card in items:
            memory = memory_of(card)
            entries.append(
                QueueEntry(
                    question=card.question,
                    card=card,
                    kind=kind,
                    predicted_recall=scheduling.predicted_recall(memory, now=now, config=config),
                    intervals=scheduling.preview_intervals(
                        memory, now=now, config=config, card_id=card.question_id
                    ),
                )
            )
    # Every new card starts from the same memory, and scheduling has no fuzz: one preview
    # serves them all.
    new_intervals = (
        scheduling.preview_intervals(scheduling.NEW_CARD, now=now, config=config)
        if new_questions
        else {}
    )
    for question in new_questions:
        entries.append(
            QueueEntry(
                question=question,
                card=None,
                kind="new",
                predicted_recall=None,
                intervals=new_intervals,
            )
        )
    return entries


@dataclass(frozen=True)
class DeckCounts:
    deck: Deck
    new: int
    learning: int
    due: int
    total: int


def deck_counts(*, user, now: datetime | None = None) -> list[DeckCounts]:
    """New / learning / due counts per deck, as on a study app's home screen (four queries).

    `new` is what the learner could start today: unstarted cards, capped by what is left of
    the day's new-card allowance. Cards withheld from the learner are not counted, as the
    queue does not show them.
    """
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    day = study_day_of(settings, now)
    new_left = max(0, settings.new_cards_per_day - _introduced_today(user, day))
    withheld = withheld_questions_compiled(user=user, now=now)
    active = _active_cards(user, now, withheld)
    card_counts = {
        row["deck"]: row
        for row in active.values(deck=F("question__memberships__deck"))
        .annotate(
            learning=Count("pk", filter=Q(state__in=STUDYING, due__lte=now)),
            due=Count("pk", filter=Q(state=CardState.State.REVIEW, due__lt=day.end)),
        )
        .order_by()
    }
    started = CardState.objects.filter(
        user=user, question=OuterRef("question"), state__gt=CardState.State.NEW
    )
    hidden = CardState.objects.filter(user=user, question=OuterRef("question")).filter(
        Q(suspended=True) | Q(buried_until__gt=now)
    )
    startable = ~Q(Exists(started)) & ~Q(Exists(hidden))
    if withheld is not None:
        startable &= ~Q(question__in=withheld)
    deck_rows = {
        row["deck_id"]: row
        for row in DeckQuestion.objects.filter(question__status=Question.Status.PUBLISHED)
        .values("deck_id")
        .annotate(
            total=Count("pk"),
            new=Count("pk", filter=startable),
        )
    }
    result = []
    for deck in Deck.objects.all():
        counts = card_counts.get(deck.pk, {})
        row = deck_rows.get(deck.pk, {})
        result.append(
            DeckCounts(
                deck=deck,
                new=min(row.get("new", 0), new_left),
                learning=counts.get("learning", 0),
                due=counts.get("due", 0),
                total=row.get("total", 0),
            )
        )
    return result


def queue_entry_for(*, user, question: Question, now: datetime | None = None) -> QueueEntry:
    """One given card as the queue would show it (to show it again after an undo, or to
    practise a question chosen from the source). Two queries."""
    now = now or timezone.now()
    config = scheduler_config(learner_settings_get(user=user))
    card = CardState.objects.filter(user=user, question=question).first()
    memory = memory_of(card) if card is not None else scheduling.NEW_CARD
    kinds = {CardState.State.NEW: "new", CardState.State.REVIEW: "review"}
    return QueueEntry(
        question=question,
        card=card,
        kind=kinds.get(memory.state, "learning"),
        predicted_recall=scheduling.predicted_recall(memory, now=now, config=config),
        intervals=scheduling.preview_intervals(memory, now=now, config=config, card_id=question.pk),
    )
