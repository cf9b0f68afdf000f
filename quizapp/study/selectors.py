"""Reads for studying: the queue and the per-deck counts, each in a constant number of queries."""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from quizapp.bank.models import Deck, DeckQuestion, Question
from quizapp.study import scheduling
from quizapp.study.days import day_bounds, study_day
from quizapp.study.exams import Exam, daily_share, exam_threshold, exams_for
from quizapp.study.models import (
    CardState,
    DeckPreset,
    DeckPresetAssignment,
    LearnerSettings,
    Review,
)
from quizapp.study.presets import Preset, PresetLookup, preset_from
from quizapp.study.review_days import day_date
from quizapp.study.services import (
    learner_settings_get,
    memory_of,
    question_presets,
    question_presets_extend,
    scheduler_config,
)
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


def _new_questions(user, deck: Deck | int | None, now: datetime, withheld=None):
    """Published questions in the deck (a deck or its id; None: any deck) that the learner
    has not started (and that are not withheld from them)."""
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


@dataclass
class Allowance:
    """What each preset's daily limit still allows today, by preset id (None: the default)."""

    left: dict[int | None, int]


def _left(limits: dict[int | None, int], used: dict[int | None, int]) -> Allowance:
    return Allowance(
        {preset: max(0, limit - used.get(preset, 0)) for preset, limit in limits.items()}
    )


def daily_allowances(
    *, user, presets: PresetLookup, day: StudyDay, reviews: bool = True
) -> tuple[Allowance, Allowance | None, PresetLookup]:
    """New cards and (unless `reviews` is false) reviews each preset still allows today,
    counted over the cards that follow it; and `presets` extended to the questions studied
    today. A query each, and one more with named presets."""
    new_limits = {p.id: p.new_cards_per_day for p in presets.presets}
    review_limits = {p.id: p.max_reviews_per_day for p in presets.presets}
    reviews_today = Review.objects.filter(
        user=user, reviewed_at__gte=day.start, reviewed_at__lt=day.end
    )
    introduced_today = CardState.objects.filter(user=user, introduced_day=day.number)
    if not presets.assigned:
        return (
            _left(new_limits, {None: introduced_today.count()}),
            _left(review_limits, {None: reviews_today.count()}) if reviews else None,
            presets,
        )
    reviewed = list(reviews_today.values_list("question_id", flat=True)) if reviews else []
    introduced = list(introduced_today.values_list("question_id", flat=True))
    presets = question_presets_extend(presets, user=user, question_ids={*reviewed, *introduced})
    return (
        _left(new_limits, Counter(presets.for_question(q).id for q in introduced)),
        _left(review_limits, Counter(presets.for_question(q).id for q in reviewed))
        if reviews
        else None,
        presets,
    )


def _main_deck(question_field: str):
    """The id of the first deck in study order listing the row's question (its main deck)."""
    return Subquery(
        DeckQuestion.objects.filter(question=OuterRef(question_field))
        .order_by("deck__position", "deck__title", "deck_id")
        .values("deck_id")[:1]
    )


def _following(rows, presets: PresetLookup, preset: Preset, question_field: str):
    """`rows` whose question follows `preset`: that of its main deck, else the default."""
    rows = rows.annotate(main_deck=_main_deck(question_field))
    if preset.is_default:
        return rows.filter(Q(main_deck__isnull=True) | ~Q(main_deck__in=list(presets.assigned)))
    return rows.filter(main_deck__in=presets.decks_of({preset.id}))


def _within_allowance(
    rows, *, allowance: Allowance, presets: PresetLookup, question_field: str, order, room: int
) -> list:
    """Up to `room` of `rows` in `order` (field names), taking of the rows that follow each
    preset at most what it still allows today. One query; with named presets, one per preset
    with room left, merged in order."""
    if room <= 0:
        return []
    if not presets.assigned:
        return list(rows.order_by(*order)[: min(room, allowance.left[None])])
    picked = []
    for preset in presets.presets:
        left = min(room, allowance.left.get(preset.id, 0))
        if left > 0:
            following = _following(rows, presets, preset, question_field)
            picked += following.order_by(*order)[:left]

    def key(row):
        return tuple(
            -getattr(row, name[1:]) if name.startswith("-") else getattr(row, name)
            for name in order
        )

    return sorted(picked, key=key)[:room]


@dataclass(frozen=True)
class ExamPlan:
    """Where a learner stands for one upcoming exam (`quizapp.study.exams`)."""

    exam: Exam
    exam_day: int
    """Its study day number."""
    days_left: int
    """Study days before the exam, today included (0 on the exam day)."""
    target: float
    """The desired retention of the deck's preset."""
    threshold: float
    """`exam_threshold(target, decay)`: elapsed days per day of stability at the target."""
    started_at_risk: int
    """Started cards of the deck below the target on the exam day unless reviewed before."""
    unstarted: int
    """Cards of the deck not started yet."""
    share_today: int
    """Started at-risk cards the queue brings forward today."""

    @property
    def cards_to_review(self) -> int:
        return self.started_at_risk + self.unstarted

    def _margin(self):
        """Elapsed study days at the exam beyond the target's: positive when at risk (no
        power function needed: `exam_threshold`)."""
        return ExpressionWrapper(
            Value(float(self.exam_day))
            - F("last_review_day")
            - Value(self.threshold) * F("stability"),
            output_field=FloatField(),
        )

    def at_risk(self) -> Q:
        """Started cards below the target on the exam day unless reviewed before it."""
        return Q(GreaterThan(self._margin(), 0.0))

    def on_track(self) -> Q:
        return Q(LessThanOrEqual(self._margin(), 0.0))


def exam_plans(
    *, user, settings: LearnerSettings, presets: PresetLookup, day: StudyDay
) -> list[ExamPlan]:
    """The learner's upcoming exams with their cards at risk, and today's share of them (two
    queries per exam, and one to find the exams)."""
    today = day_date(day.number)
    decay = tuple(settings.parameters or scheduling.DEFAULT_PARAMETERS)[20]
    plans = []
    for exam in exams_for(user=user, today=today):
        exam_day = day.number + (exam.day - today).days
        target = presets.for_deck(exam.deck_id).desired_retention
        plan = ExamPlan(
            exam=exam,
            exam_day=exam_day,
            days_left=exam_day - day.number,
            target=target,
            threshold=exam_threshold(target, decay),
            started_at_risk=0,
            unstarted=0,
            share_today=0,
        )
        cards = CardState.objects.filter(
            user=user,
            suspended=False,
            state__gt=CardState.State.NEW,
            question__status=Question.Status.PUBLISHED,
            question__memberships__deck_id=exam.deck_id,
        )
        counts = cards.aggregate(
            at_risk=Count("pk", filter=plan.at_risk()),
            done_today=Count("pk", filter=Q(last_review_day=day.number) & plan.on_track()),
        )
        unstarted = _new_questions(user, exam.deck_id, day.start)
        plans.append(
            replace(
                plan,
                started_at_risk=counts["at_risk"],
                unstarted=unstarted.count(),
                share_today=daily_share(
                    at_risk=counts["at_risk"],
                    done_today=counts["done_today"],
                    days_left=plan.days_left,
                ),
            )
        )
    return plans


def exam_outlook(*, user, now: datetime | None = None) -> list[ExamPlan]:
    """The learner's upcoming exams and the cards to review before each (for the home page
    and the progress API): three queries, and two per exam."""
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    presets = question_presets(user=user, settings=settings, question_ids=[])
    day = study_day_of(settings, now)
    return exam_plans(user=user, settings=settings, presets=presets, day=day)


def _brought_forward(
    cards, *, plans: list[ExamPlan], day: StudyDay, room: int, taken: set[int]
) -> list[CardState]:
    """Today's share of each exam's at-risk cards that are not due today, lowest recall on the
    exam day first, up to `room` in all (one query per exam with a share left)."""
    picked: list[CardState] = []
    for plan in plans:
        share = min(plan.share_today, room - len(picked))
        if share <= 0:
            continue
        recall_order = ExpressionWrapper(
            (Value(float(plan.exam_day)) - F("last_review_day")) / F("stability"),
            output_field=FloatField(),
        )
        rows = (
            cards.filter(plan.at_risk(), question__memberships__deck_id=plan.exam.deck_id)
            .filter(state=CardState.State.REVIEW, due__gte=day.end)
            .exclude(pk__in=taken)
            .annotate(exam_order=recall_order)
            .select_related("question")
            .order_by("-exam_order", "pk")[:share]
        )
        for card in rows:
            if card.pk not in taken:
                taken.add(card.pk)
                picked.append(card)
    return picked


def study_queue(
    *, user, deck: Deck | None = None, limit: int = 20, now: datetime | None = None
) -> list[QueueEntry]:
    """The next cards to study, in order:

    1. learning and relearning cards that are due now (soonest first);
    2. review cards due by the end of the learner's study day, lowest predicted recall first
       (elapsed study days / stability, highest first, which orders recall the same way);
    3. with an exam coming (`quizapp.study.exams`), today's share of the exam deck's cards
       that would be below the target on the exam day, brought forward;
    4. new cards, in deck order (an exam's deck first), up to what is left of today's
       new-card allowance.

    Each card follows its main deck's preset (`quizapp.study.presets`): its options schedule
    it and its daily limits cap how many such cards come today. Suspended and buried cards are
    left out, and so are questions withheld from the learner (`quizapp.study.withholding`: a
    quiz they are taking keeps its answers secret), each with an anti-join in the same query.
    Seven queries whatever the collection's size; two more for each exam coming; with named
    presets, three more and two for each preset (the default included) with room left today.
    """
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    day = study_day_of(settings, now)
    presets = question_presets(user=user, settings=settings, question_ids=[])
    new_allowance, review_allowance, presets = daily_allowances(user=user, presets=presets, day=day)
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
    overdue = ExpressionWrapper(
        Cast(Value(day.number) - F("last_review_day"), FloatField()) / F("stability"),
        output_field=FloatField(),
    )
    due_reviews = _within_allowance(
        cards.filter(state=CardState.State.REVIEW, due__lt=day.end)
        .annotate(overdue=overdue)
        .select_related("question"),
        allowance=review_allowance,
        presets=presets,
        question_field="question",
        order=("-overdue", "due", "pk"),
        room=room,
    )
    plans = exam_plans(user=user, settings=settings, presets=presets, day=day)
    if deck is not None:
        plans = [plan for plan in plans if plan.exam.deck_id == deck.pk]
    forward = _brought_forward(
        cards,
        plans=plans,
        day=day,
        room=min(room - len(due_reviews), sum(review_allowance.left.values()) - len(due_reviews)),
        taken={card.pk for card in due_reviews},
    )
    exam_decks = [plan.exam.deck_id for plan in plans if plan.unstarted]
    new_questions = _within_allowance(
        _new_questions(user, deck, now, withheld).annotate(
            deck_order=Min(
                Case(
                    When(memberships__deck_id__in=exam_decks, then=Value(0)),
                    default=Value(1_000_000_000),
                )
                + F("memberships__deck__position") * 100_000
                + F("memberships__position")
            )
        ),
        allowance=new_allowance,
        presets=presets,
        question_field="pk",
        order=("deck_order", "pk"),
        room=room - len(due_reviews) - len(forward),
    )
    due_reviews += forward
    presets = question_presets_extend(
        presets,
        user=user,
        question_ids=[c.question_id for c in [*learning, *due_reviews]]
        + [q.pk for q in new_questions],
    )

    configs = {}

    def config_of(question_id: int):
        preset = presets.for_question(question_id)
        if preset.id not in configs:
            configs[preset.id] = scheduler_config(settings, preset)
        return configs[preset.id]

    entries = []
    for kind, items in (("learning", learning), ("review", due_reviews)):
        for card in items:
            memory = memory_of(card)
            config = config_of(card.question_id)
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
    # Every new card of a preset starts from the same memory, and scheduling has no fuzz: one
    # preview per preset serves them all.
    new_intervals = {}
    for question in new_questions:
        config = config_of(question.pk)
        if config not in new_intervals:
            new_intervals[config] = scheduling.preview_intervals(
                scheduling.NEW_CARD, now=now, config=config
            )
        entries.append(
            QueueEntry(
                question=question,
                card=None,
                kind="new",
                predicted_recall=None,
                intervals=new_intervals[config],
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
    """New / learning / due counts per deck, as on a study app's home screen (four queries;
    seven with named presets).

    `new` is what the learner could start today: unstarted cards, capped by what is left of
    the day's new-card allowance of the deck's preset. Cards withheld from the learner are not
    counted, as the queue does not show them.
    """
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    day = study_day_of(settings, now)
    presets = question_presets(user=user, settings=settings, question_ids=[])
    new_allowance, _, presets = daily_allowances(user=user, presets=presets, day=day, reviews=False)
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
                new=min(row.get("new", 0), new_allowance.left[presets.for_deck(deck.pk).id]),
                learning=counts.get("learning", 0),
                due=counts.get("due", 0),
                total=row.get("total", 0),
            )
        )
    return result


def queue_entry_for(*, user, question: Question, now: datetime | None = None) -> QueueEntry:
    """One given card as the queue would show it (to show it again after an undo, or to
    practise a question chosen from the source). Two queries; four with named presets."""
    now = now or timezone.now()
    settings = learner_settings_get(user=user)
    preset = question_presets(user=user, settings=settings, question_ids=[question.pk])
    config = scheduler_config(settings, preset.for_question(question.pk))
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


@dataclass(frozen=True)
class PresetUse:
    preset: Preset
    decks: list[Deck]
    """The decks given this preset; for the default, every deck without a named one."""


@dataclass(frozen=True)
class LearnerPresets:
    presets: list[PresetUse]
    """The default preset first, then the named ones by name."""
    deck_presets: list[tuple[Deck, Preset]]
    """Every deck in study order with the preset it follows."""


def learner_presets(*, user, settings: LearnerSettings | None = None) -> LearnerPresets:
    """A learner's presets and which decks follow each (three queries, and one for the
    settings unless given)."""
    settings = settings or learner_settings_get(user=user)
    default = preset_from(settings)
    named = [preset_from(p) for p in DeckPreset.objects.filter(user=user)]
    by_id = {p.id: p for p in named}
    chosen = dict(
        DeckPresetAssignment.objects.filter(user=user).values_list("deck_id", "preset_id")
    )
    decks = list(Deck.objects.all())
    deck_presets = [(deck, by_id.get(chosen.get(deck.pk), default)) for deck in decks]
    return LearnerPresets(
        presets=[
            PresetUse(preset, [deck for deck, used in deck_presets if used == preset])
            for preset in [default, *named]
        ],
        deck_presets=deck_presets,
    )
