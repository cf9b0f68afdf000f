"""Writes for spaced repetition. Each public function is one transaction.

The review log is the truth: every write either appends or removes reviews and then
re-derives the card's cached state from them, or changes a flag (suspend, bury) that is not
memory at all. Writes to the log also keep the per-day totals (`ReviewDay`) exact, in the same
transaction (see `quizapp.study.review_days`).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from quizapp.bank.models import Deck, DeckQuestion, Question
from quizapp.study import review_days, scheduling
from quizapp.study.days import day_bounds, study_day
from quizapp.study.models import (
    LEECH_LAPSES,
    CardState,
    DeckPreset,
    DeckPresetAssignment,
    LearnerSettings,
    Review,
    ReviewSource,
    WorkloadSimulation,
)
from quizapp.study.presets import (
    OPTION_FIELDS,
    SCHEDULING_FIELDS,
    Preset,
    PresetLookup,
    main_deck_presets,
    preset_from,
)
from quizapp.study.scheduling import MemoryState, ReviewInput

if TYPE_CHECKING:
    from quizapp.study.fitting import FittedParameters
    from quizapp.study.simulation import Habits

FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_BATCH = 500
# Refit a learner's parameters in the background after this many new reviews.
REFIT_EVERY = 500


class ReviewError(Exception):
    """A review that cannot be stored; `code` is stable for clients, `message` is for people."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ReviewPayload:
    """What a client sends for one review."""

    uuid: uuid.UUID
    question_id: int
    rating: int
    reviewed_at: datetime
    duration_ms: int = 0
    source: str = ReviewSource.FLASHCARD
    device_id: str = ""


@dataclass(frozen=True)
class ReviewResult:
    uuid: uuid.UUID
    outcome: Outcome
    card: CardState | None = None
    code: str = ""
    message: str = ""


@dataclass
class BatchResult:
    results: list[ReviewResult] = field(default_factory=list)

    def of(self, outcome: Outcome) -> list[ReviewResult]:
        return [r for r in self.results if r.outcome == outcome]


def learner_settings_get(*, user) -> LearnerSettings:
    settings, _ = LearnerSettings.objects.get_or_create(user=user)
    return settings


def learner_settings_lock(*, user) -> LearnerSettings:
    """The learner's settings, read and locked until the transaction ends (call inside one).

    Every write to a learner's review log takes this lock first, so it is the learner's write
    lock. Without it two uploads of one learner (two devices) locked cards, then day rows, in
    the order of their own reviews, and PostgreSQL broke the cycle by failing one of them
    with "deadlock detected" (a 500). It also means a write uses the learner's parameters as
    committed, never ones a concurrent refit is replacing. On SQLite the IMMEDIATE transaction
    already holds the database's write lock, and `select_for_update` is a no-op.
    """
    settings = LearnerSettings.objects.select_for_update().filter(user=user).first()
    if settings is None:
        try:
            # A row this transaction inserts is its own until it commits.
            with transaction.atomic():
                settings = LearnerSettings.objects.create(user=user)
        except IntegrityError:
            # Another transaction created it meanwhile (and has committed): lock theirs.
            settings = LearnerSettings.objects.select_for_update().get(user=user)
    return settings


def scheduler_config(
    settings: LearnerSettings, preset: Preset | None = None
) -> scheduling.SchedulerConfig:
    """How a card of this learner is scheduled: their parameters, zone and day start, and the
    options of the card's preset (the default preset's when none is given)."""
    preset = preset or preset_from(settings)
    return scheduling.SchedulerConfig(
        parameters=tuple(settings.parameters or scheduling.DEFAULT_PARAMETERS),
        desired_retention=preset.desired_retention,
        tz=scheduling.resolve_zone(settings.time_zone),
        day_start_hour=settings.day_start_hour,
        learning_steps=preset.learning_step_times(),
        relearning_steps=preset.relearning_step_times(),
        maximum_interval=preset.maximum_interval,
    )


def question_presets(*, user, settings: LearnerSettings, question_ids=None) -> PresetLookup:
    """Which preset each question follows for this learner: its main deck's (the first deck in
    study order listing it), else the default. `question_ids`: a list or a values() queryset;
    None means every question the learner has a card for. No query when the learner has no
    named preset assigned, two otherwise."""
    default = preset_from(settings)
    if not settings.has_deck_presets:
        return PresetLookup(default=default, assigned={}, by_question={})
    assigned = {
        assignment.deck_id: preset_from(assignment.preset)
        for assignment in DeckPresetAssignment.objects.filter(user=user).select_related("preset")
    }
    if not assigned:
        return PresetLookup(default=default, assigned={}, by_question={})
    return question_presets_extend(
        PresetLookup(default=default, assigned=assigned, by_question={}),
        user=user,
        question_ids=question_ids,
    )


def question_presets_extend(presets: PresetLookup, *, user, question_ids=None) -> PresetLookup:
    """`presets` knowing the presets of `question_ids` too (one query; none when the learner
    has no named preset assigned, since every question then follows the default)."""
    if not presets.assigned:
        return presets
    if question_ids is None:
        question_ids = CardState.objects.filter(user=user).values("question_id")
    memberships = (
        DeckQuestion.objects.filter(question_id__in=question_ids)
        .order_by("question_id", "deck__position", "deck__title", "deck_id")
        .values_list("question_id", "deck_id")
    )
    found = main_deck_presets(presets.default, presets.assigned, memberships)
    return replace(found, by_question={**presets.by_question, **found.by_question})


def memory_of(card: CardState) -> MemoryState:
    return MemoryState(
        state=card.state,
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
        last_review_day=card.last_review_day,
        introduced_day=card.introduced_day,
        reps=card.reps,
        lapses=card.lapses,
    )


def _store_memory(card: CardState, memory: MemoryState, settings: LearnerSettings) -> None:
    was_leech = card.leech
    for name in MemoryState.__dataclass_fields__:
        setattr(card, name, getattr(memory, name))
    card.leech = memory.lapses >= LEECH_LAPSES
    if card.leech and not was_leech and settings.suspend_leeches:
        card.suspended = True
    card.save()


def _card_for_update(*, user, question: Question) -> CardState:
    """The card row, created if needed and locked until the transaction ends.

    On PostgreSQL the row lock serialises two requests for one card (writes to the review log
    take the learner's lock, `learner_settings_lock`, before any card's, so card locks never
    form a cycle); on SQLite the IMMEDIATE transaction already holds the database's write lock.
    """
    # One query for an existing card: the read takes the lock. A card this transaction
    # inserts is its own until it commits.
    card, _ = CardState.objects.select_for_update().get_or_create(user=user, question=question)
    return card


def card_rederive(
    *,
    card: CardState,
    settings: LearnerSettings,
    count_days: bool = True,
    preset: Preset | None = None,
) -> CardState:
    """Recompute a card's cached memory from its reviews (call inside a transaction).

    Also reclassifies each review's `state_before` and moves the per-day counts of those that
    changed (`count_days=False` when the caller rebuilds the learner's days afterwards).
    `preset`: the card's, when the caller has looked it up.
    """
    if preset is None:
        preset = question_presets(
            user=card.user_id, settings=settings, question_ids=[card.question_id]
        ).for_question(card.question_id)
    reviews = list(
        Review.objects.for_card(card.user_id, card.question_id)
        .in_replay_order()
        .only("pk", "rating", "reviewed_at", "state_before")
    )
    memory, states = review_days.card_states_before(
        [ReviewInput(r.rating, r.reviewed_at) for r in reviews],
        reset_at=card.reset_at,
        config=scheduler_config(settings, preset),
        card_id=card.question_id,
    )
    changed = []
    for review, state in zip(reviews, states, strict=True):
        if review.state_before != state:
            moved = review_days.review_reclassified(
                rating=review.rating, old=review.state_before, new=state
            )
            review.state_before = state
            changed.append((review, moved))
    if changed:
        Review.objects.bulk_update([review for review, _ in changed], ["state_before"])
        if count_days:
            review_days.review_days_change(
                settings=settings,
                changes=review_days.changes_by_day(
                    settings, ((review.reviewed_at, moved) for review, moved in changed)
                ),
            )
    _store_memory(card, memory, settings)
    return card


def _validate(payload: ReviewPayload, *, user, now: datetime) -> None:
    if not isinstance(payload.uuid, uuid.UUID) or payload.uuid.int == 0:
        raise ReviewError("invalid_id", "id must be a random UUID (not the all-zero UUID).")
    if isinstance(payload.rating, bool) or payload.rating not in (1, 2, 3, 4):
        raise ReviewError("invalid_rating", "rating must be 1 (Again), 2 (Hard), 3 (Good) or 4.")
    if timezone.is_naive(payload.reviewed_at):
        raise ReviewError("invalid_time", "reviewed_at must include a time zone offset.")
    if payload.reviewed_at > now + FUTURE_TOLERANCE:
        raise ReviewError("future", "reviewed_at is in the future (device clock ahead?).")
    if payload.reviewed_at < user.date_joined - FUTURE_TOLERANCE:
        raise ReviewError("before_account", "reviewed_at is before the account existed.")
    if not 0 <= payload.duration_ms <= 24 * 3600 * 1000:
        raise ReviewError("invalid_duration", "duration_ms must be between 0 and 86400000.")
    if payload.source not in ReviewSource.values:
        raise ReviewError("invalid_source", f"source must be one of {', '.join(ReviewSource)}.")


def _same_payload(review: Review, payload: ReviewPayload) -> bool:
    return (
        review.question_id == payload.question_id
        and review.rating == payload.rating
        and review.reviewed_at == payload.reviewed_at
        and review.duration_ms == payload.duration_ms
    )


def _record_one(
    payload: ReviewPayload,
    *,
    user,
    settings: LearnerSettings,
    question: Question | None,
    now,
    presets: PresetLookup,
) -> ReviewResult:
    _validate(payload, user=user, now=now)
    existing = Review.objects.filter(user=user, uuid=payload.uuid).first()
    if existing is not None:
        return _duplicate_or_conflict(existing, payload)
    if question is None or not question.is_published:
        raise ReviewError("unknown_question", f"question {payload.question_id} does not exist.")
    card = _card_for_update(user=user, question=question)
    # Strictly later only: a tie with the last review is ordered by UUID, so replay it.
    is_latest = card.last_review is None or payload.reviewed_at > card.last_review
    extends = is_latest and (card.reset_at is None or payload.reviewed_at > card.reset_at)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                uuid=payload.uuid,
                user=user,
                question=question,
                rating=payload.rating,
                reviewed_at=payload.reviewed_at,
                received_at=now,
                duration_ms=payload.duration_ms,
                source=payload.source,
                device_id=payload.device_id,
                # Known now when the review extends the replay; otherwise the replay below
                # classifies it with the others.
                state_before=card.state if extends else None,
            )
    except IntegrityError:
        # The same id arrived concurrently through another request and won the race.
        return _duplicate_or_conflict(Review.objects.get(user=user, uuid=payload.uuid), payload)
    _count_review(review, settings, sign=1)
    preset = presets.for_question(question.pk)
    if extends:
        # The common case: the new review comes last, so it extends the cached replay.
        memory = scheduling.apply_review(
            memory_of(card),
            ReviewInput(payload.rating, payload.reviewed_at),
            config=scheduler_config(settings, preset),
            card_id=question.pk,
        )
        _store_memory(card, memory, settings)
    else:
        # A late (offline) review belongs somewhere in the past: replay the card in order.
        card_rederive(card=card, settings=settings, preset=preset)
    return ReviewResult(payload.uuid, Outcome.ACCEPTED, card=card)


def _count_review(review: Review, settings: LearnerSettings, *, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one logged review's counts to its study day."""
    tally = review_days.review_tally(
        rating=review.rating, state_before=review.state_before, duration_ms=review.duration_ms
    )
    review_days.review_days_change(
        settings=settings,
        changes={review_days.day_of(settings, review.reviewed_at): tally if sign > 0 else -tally},
    )


def _duplicate_or_conflict(existing: Review, payload: ReviewPayload) -> ReviewResult:
    if _same_payload(existing, payload):
        card = CardState.objects.filter(
            user_id=existing.user_id, question_id=existing.question_id
        ).first()
        return ReviewResult(payload.uuid, Outcome.DUPLICATE, card=card)
    raise ReviewError(
        "conflict",
        "a different review with this id is already stored; generate a new id for a new review.",
    )


@transaction.atomic
def review_record(
    *,
    user,
    question: Question,
    rating: int,
    reviewed_at: datetime,
    review_id: uuid.UUID,
    duration_ms: int = 0,
    source: str = ReviewSource.FLASHCARD,
    device_id: str = "",
) -> ReviewResult:
    """Record one review, idempotently by its id. Raises ReviewError when it cannot be stored
    (a reused id with a different payload is a `conflict`)."""
    payload = ReviewPayload(
        review_id, question.pk, rating, reviewed_at, duration_ms, source, device_id
    )
    settings = learner_settings_lock(user=user)
    presets = question_presets(user=user, settings=settings, question_ids=[question.pk])
    result = _record_one(
        payload,
        user=user,
        settings=settings,
        question=question,
        now=timezone.now(),
        presets=presets,
    )
    _count_for_refit(settings, 1 if result.outcome == Outcome.ACCEPTED else 0)
    return result


@transaction.atomic
def reviews_record_batch(
    *, user, payloads: Sequence[ReviewPayload], questions: dict[int, Question] | None = None
) -> BatchResult:
    """Record an upload: each item accepted, duplicate or rejected with a reason.

    One transaction per batch; a rejected item does not undo the accepted ones (each item runs
    in a savepoint), so a client can drop the rejected ids and never resend them. `questions`:
    the payloads' questions by id when the caller has loaded them (any missing are loaded).
    """
    if len(payloads) > MAX_BATCH:
        raise ReviewError("too_many", f"a batch holds at most {MAX_BATCH} reviews.")
    settings = learner_settings_lock(user=user)
    questions = dict(questions or {})
    if missing := {p.question_id for p in payloads} - set(questions):
        questions |= Question.objects.in_bulk(missing)
    presets = question_presets(user=user, settings=settings, question_ids=list(questions))
    now = timezone.now()
    batch = BatchResult()
    seen: dict[uuid.UUID, ReviewPayload] = {}
    # Apply in replay order so a batch of offline reviews extends cards incrementally.
    for payload in sorted(payloads, key=lambda p: (p.reviewed_at, str(p.uuid))):
        try:
            if payload.uuid in seen and seen[payload.uuid] != payload:
                raise ReviewError("conflict", "the batch holds two different reviews with this id.")
            seen[payload.uuid] = payload
            with transaction.atomic():
                result = _record_one(
                    payload,
                    user=user,
                    settings=settings,
                    question=questions.get(payload.question_id),
                    now=now,
                    presets=presets,
                )
        except ReviewError as error:
            result = ReviewResult(
                payload.uuid, Outcome.REJECTED, code=error.code, message=error.message
            )
        batch.results.append(result)
    _count_for_refit(settings, len(batch.of(Outcome.ACCEPTED)))
    return batch


def _count_for_refit(settings: LearnerSettings, accepted: int) -> None:
    """Count new reviews; each time the count passes a multiple of REFIT_EVERY, queue a
    background refit.

    Only the crossing queues one: a learner who keeps studying while the worker is busy (or
    down) adds no further fits of the same history to the queue. If a queued fit is lost, the
    next multiple queues another. `settings` is locked by the caller, so its count is current.
    """
    if not accepted:
        return
    before = settings.reviews_since_fit
    settings.reviews_since_fit = before + accepted
    # Not `updated_at`: the count is bookkeeping, not a change of the learner's settings.
    LearnerSettings.objects.filter(pk=settings.pk).update(
        reviews_since_fit=settings.reviews_since_fit
    )
    if before // REFIT_EVERY < settings.reviews_since_fit // REFIT_EVERY:
        from quizapp.study.tasks import fit_learner_parameters

        user_id = settings.user_id
        transaction.on_commit(lambda: fit_learner_parameters.enqueue(user_id=user_id))


@transaction.atomic
def review_undo(*, user) -> Review | None:
    """Remove the learner's most recently recorded study review (flashcard or practice) and
    re-derive that card.

    Reviews a quiz recorded are graded work, not a misclick in a study session: undo leaves
    them, as it leaves the attempt they came from.
    """
    settings = learner_settings_lock(user=user)
    last = (
        Review.objects.filter(user=user)
        .exclude(source=ReviewSource.QUIZ)
        .order_by("-received_at", "-id")
        .first()
    )
    if last is None:
        return None
    card = _card_for_update(user=user, question=last.question)
    last.delete()
    _count_review(last, settings, sign=-1)
    card_rederive(card=card, settings=settings)
    return last


def _card_flags(*, user, question: Question, **changes) -> CardState:
    card = _card_for_update(user=user, question=question)
    for name, value in changes.items():
        setattr(card, name, value)
    card.save(update_fields=[*changes, "updated_at"])
    return card


@transaction.atomic
def card_suspend(*, user, question: Question) -> CardState:
    return _card_flags(user=user, question=question, suspended=True)


@transaction.atomic
def card_unsuspend(*, user, question: Question) -> CardState:
    return _card_flags(user=user, question=question, suspended=False)


@transaction.atomic
def card_bury(*, user, question: Question, now: datetime | None = None) -> CardState:
    """Hide the card until the learner's next study day starts."""
    settings = learner_settings_get(user=user)
    zone = scheduling.resolve_zone(settings.time_zone)
    today = study_day(now or timezone.now(), tz=zone, day_start_hour=settings.day_start_hour)
    _, tomorrow = day_bounds(today, tz=zone, day_start_hour=settings.day_start_hour)
    return _card_flags(user=user, question=question, buried_until=tomorrow)


@transaction.atomic
def card_reset(*, user, question: Question, now: datetime | None = None) -> CardState:
    """Forget the card: it becomes new again. Its reviews stay in the log (history, stats)."""
    settings = learner_settings_lock(user=user)
    card = _card_for_update(user=user, question=question)
    card.reset_at = now or timezone.now()
    card.leech = False
    return card_rederive(card=card, settings=settings)


def learner_cards_rederive(*, user, progress=None) -> int:
    """Re-derive every card of a learner (after their parameters, time zone or day start
    changed), then rebuild their per-day totals, whose day numbers and classes may all have
    moved."""
    count = 0
    with transaction.atomic():
        settings = learner_settings_lock(user=user)
        presets = question_presets(user=user, settings=settings)
        cards = CardState.objects.filter(user=user).select_for_update().order_by("pk")
        for card in cards:
            preset = presets.for_question(card.question_id)
            card_rederive(card=card, settings=settings, count_days=False, preset=preset)
            count += 1
            if progress:
                progress(count)
        review_days.review_days_rebuild(settings=settings)
    return count


def _cards_rederive_where_presets_changed(
    *, user, settings: LearnerSettings, before: PresetLookup
) -> int:
    """Re-derive only the learner's cards whose preset's scheduling options differ from
    `before` (a change of limits, or of another preset, leaves a card alone). Call inside the
    transaction that made the change, with the learner locked."""
    after = question_presets(user=user, settings=settings)
    count = 0
    for card in CardState.objects.filter(user=user).select_for_update().order_by("pk"):
        preset = after.for_question(card.question_id)
        if preset.scheduling != before.for_question(card.question_id).scheduling:
            card_rederive(card=card, settings=settings, preset=preset)
            count += 1
    return count


NAME_TAKEN = "You already have a preset with this name."

SCHEDULE_FIELDS = {"time_zone", "day_start_hour"}
"""Settings that move every card's study days: all of them are re-derived."""
LEARNER_SETTINGS = {"time_zone", "day_start_hour", "suspend_leeches", *OPTION_FIELDS}


@transaction.atomic
def learner_settings_update(*, user, **changes) -> LearnerSettings:
    """Change a learner's settings, the default preset's options included. A new time zone or
    day start re-derives every card; new scheduling options of the default preset re-derive
    only the cards that follow it.

    Callers validate ranges (forms, serializers); the model's validators and check
    constraints back them up.
    """
    settings = learner_settings_lock(user=user)
    unknown = set(changes) - LEARNER_SETTINGS
    if unknown:
        raise ValueError(f"not a learner setting: {', '.join(sorted(unknown))}")
    before = question_presets(user=user, settings=settings)
    changed = {k for k, v in changes.items() if getattr(settings, k) != v}
    for name in changed:
        setattr(settings, name, changes[name])
    settings.full_clean()
    settings.save()
    if changed & SCHEDULE_FIELDS:
        learner_cards_rederive(user=user)
    elif changed & SCHEDULING_FIELDS:
        _cards_rederive_where_presets_changed(user=user, settings=settings, before=before)
    return settings


def _preset_options(changes: dict) -> None:
    unknown = set(changes) - set(OPTION_FIELDS)
    if unknown:
        raise ValueError(f"not a preset option: {', '.join(sorted(unknown))}")


def _preset_save(preset: DeckPreset) -> None:
    preset.full_clean(exclude=["user"])
    try:
        with transaction.atomic():
            preset.save()
    except IntegrityError:
        raise ValidationError({"name": NAME_TAKEN}) from None


@transaction.atomic
def deck_preset_create(*, user, name: str, **options) -> DeckPreset:
    """A new named preset; options not given are the default preset's."""
    _preset_options(options)
    settings = learner_settings_lock(user=user)
    values = {field: getattr(settings, field) for field in OPTION_FIELDS} | options
    preset = DeckPreset(user=user, name=name.strip(), **values)
    if DeckPreset.objects.filter(user=user, name=preset.name).exists():
        raise ValidationError({"name": NAME_TAKEN})
    _preset_save(preset)
    return preset


@transaction.atomic
def deck_preset_update(*, user, preset: DeckPreset, **changes) -> DeckPreset:
    """Change a named preset; the cards that follow it are re-derived only when an option
    that schedules them changed."""
    _preset_options({k: v for k, v in changes.items() if k != "name"})
    settings = learner_settings_lock(user=user)
    preset = DeckPreset.objects.select_for_update().get(pk=preset.pk, user=user)
    before = question_presets(user=user, settings=settings)
    for name, value in changes.items():
        setattr(preset, name, value.strip() if name == "name" else value)
    if (
        "name" in changes
        and DeckPreset.objects.filter(user=user, name=preset.name).exclude(pk=preset.pk).exists()
    ):
        raise ValidationError({"name": NAME_TAKEN})
    _preset_save(preset)
    if set(changes) & SCHEDULING_FIELDS:
        _cards_rederive_where_presets_changed(user=user, settings=settings, before=before)
    return preset


@transaction.atomic
def deck_preset_delete(*, user, preset: DeckPreset) -> None:
    """Delete a named preset; its decks follow the default preset again."""
    settings = learner_settings_lock(user=user)
    before = question_presets(user=user, settings=settings)
    DeckPreset.objects.filter(pk=preset.pk, user=user).delete()
    _deck_presets_noted(settings)
    _cards_rederive_where_presets_changed(user=user, settings=settings, before=before)


def _deck_presets_noted(settings: LearnerSettings) -> None:
    settings.has_deck_presets = DeckPresetAssignment.objects.filter(
        user_id=settings.user_id
    ).exists()
    LearnerSettings.objects.filter(pk=settings.pk).update(
        has_deck_presets=settings.has_deck_presets
    )


@transaction.atomic
def deck_preset_assign(*, user, deck: Deck, preset: DeckPreset | None) -> None:
    """Give a deck one of the learner's named presets, or (None) the default preset back."""
    settings = learner_settings_lock(user=user)
    if preset is not None and preset.user_id != user.pk:
        raise ValueError("a learner can only assign their own presets")
    before = question_presets(user=user, settings=settings)
    if preset is None:
        DeckPresetAssignment.objects.filter(user=user, deck=deck).delete()
    else:
        DeckPresetAssignment.objects.update_or_create(
            user=user, deck=deck, defaults={"preset": preset}
        )
    _deck_presets_noted(settings)
    _cards_rederive_where_presets_changed(user=user, settings=settings, before=before)


@dataclass(frozen=True)
class ParameterFit:
    """A refit and how it was judged against the parameters in use."""

    fitted: "FittedParameters"
    log_loss: float
    """The new fit's log loss on the learner's own history."""
    current_log_loss: float
    """The parameters in use before it (the defaults if none), on the same history."""
    applied: bool
    """Whether the fit replaced them: only when its log loss is no worse."""

    @property
    def review_count(self) -> int:
        return self.fitted.review_count

    @property
    def item_count(self) -> int:
        return self.fitted.item_count


def learner_parameters_fit(*, user, progress=None) -> ParameterFit | None:
    """Fit personal FSRS-6 parameters from the learner's own reviews and apply them if they
    predict that history at least as well as the parameters in use.

    A fit on more (or more recent) data can still predict worse, and a learner's intervals
    would jump for nothing; so, as Anki does since 23.12, both are scored by log loss on the
    learner's whole history and the new parameters replace the current ones only if theirs
    is no worse. Both figures and the date are kept either way. Returns None when there are
    too few reviews to fit (the parameters stay).
    """
    from quizapp.study.evaluation import history_log_loss
    from quizapp.study.fitting import ReviewEvent, fit_parameters

    settings = learner_settings_get(user=user)
    counted = settings.reviews_since_fit  # read first: every review it counts is in the fit
    events = [
        ReviewEvent(question_id, rating, reviewed_at)
        for question_id, rating, reviewed_at in Review.objects.filter(user=user)
        .in_replay_order()
        .values_list("question_id", "rating", "reviewed_at")
        .iterator(chunk_size=5000)
    ]
    # The fit takes seconds and holds no lock; the learner may study or change settings
    # meanwhile. Only the fitted fields are written back, under the learner's lock, and the
    # reviews counted since the fit began stay counted towards the next one.
    fitted = fit_parameters(
        events, tz=settings.time_zone, day_start_hour=settings.day_start_hour, progress=progress
    )
    fit_log_loss = None if fitted is None else history_log_loss(fitted.items, fitted.parameters)
    with transaction.atomic():
        settings = learner_settings_lock(user=user)
        settings.reviews_since_fit = max(0, settings.reviews_since_fit - counted)
        if fitted is None:
            settings.save(update_fields=["reviews_since_fit"])
            return None
        # Judged against the parameters as committed now (another fit may have replaced them).
        current = tuple(settings.parameters or scheduling.DEFAULT_PARAMETERS)
        outcome = ParameterFit(
            fitted=fitted,
            log_loss=fit_log_loss,
            current_log_loss=history_log_loss(fitted.items, current),
            applied=False,
        )
        outcome = replace(outcome, applied=outcome.log_loss <= outcome.current_log_loss)
        settings.last_fit_at = timezone.now()
        settings.last_fit_log_loss = outcome.log_loss
        settings.last_fit_current_log_loss = outcome.current_log_loss
        settings.last_fit_applied = outcome.applied
        fields = [
            "reviews_since_fit",
            "last_fit_at",
            "last_fit_log_loss",
            "last_fit_current_log_loss",
            "last_fit_applied",
        ]
        if outcome.applied:
            settings.parameters = list(fitted.parameters)
            settings.parameters_fitted_at = settings.last_fit_at
            settings.parameters_review_count = fitted.review_count
            fields += ["parameters", "parameters_fitted_at", "parameters_review_count"]
        settings.save(update_fields=[*fields, "updated_at"])
        if outcome.applied:
            learner_cards_rederive(user=user)
    return outcome


# --------------------------------------------------------------------------------------------
# Workload simulation
# --------------------------------------------------------------------------------------------

INLINE_SIMULATION_CARDS = 250
"""Cards (started, and new ones the horizon can introduce) up to which a simulation of every
retention takes about a second on one core and runs in the request; more go to the worker."""
HABIT_MINIMUM = 20
"""Reviews of one kind a learner's own shares and times need before they replace the
defaults."""
SIMULATION_STALE = timedelta(minutes=10)
"""A simulation queued or running for longer is taken as lost (a worker stopped) and redone."""


def workload_habits(*, user) -> "Habits":
    """How the learner answers and how long each kind of review takes them, from their own
    history where it has enough reviews of that kind (one query)."""
    from django.db.models import Avg, Count
    from django.db.models.functions import Least

    from quizapp.study.simulation import DEFAULT_SECONDS, Habits

    rows = (
        Review.objects.filter(user=user, state_before__isnull=False)
        .values("state_before", "rating")
        .annotate(
            count=Count("pk"),
            # Answer times are capped at a minute (a card left open is not a minute's work).
            seconds=Avg(Least(F("duration_ms"), 60_000), filter=Q(duration_ms__gt=0)) / 1000.0,
        )
        .order_by()
    )
    kinds = {
        scheduling.NEW: "new",
        scheduling.REVIEW: "review",
        scheduling.LEARNING: "step",
        scheduling.RELEARNING: "step",
    }
    counts = {kind: [0, 0, 0, 0] for kind in DEFAULT_SECONDS}
    seconds = {kind: [[0.0, 0] for _ in range(4)] for kind in DEFAULT_SECONDS}
    for row in rows:
        kind, rating = kinds[row["state_before"]], row["rating"]
        counts[kind][rating - 1] += row["count"]
        if row["seconds"] is not None:
            seconds[kind][rating - 1][0] += row["seconds"] * row["count"]
            seconds[kind][rating - 1][1] += row["count"]
    defaults = Habits()

    def shares(kind, default, ratings):
        picked = [counts[kind][r - 1] for r in ratings]
        return tuple(c / sum(picked) for c in picked) if sum(picked) >= HABIT_MINIMUM else default

    return Habits(
        first_ratings=shares("new", defaults.first_ratings, (1, 2, 3, 4)),
        recall_ratings=shares("review", defaults.recall_ratings, (2, 3, 4)),
        step_ratings=shares("step", defaults.step_ratings, (1, 2, 3, 4)),
        seconds={
            kind: tuple(
                total / n if n >= HABIT_MINIMUM else DEFAULT_SECONDS[kind][index]
                for index, (total, n) in enumerate(seconds[kind])
            )
            for kind in DEFAULT_SECONDS
        },
    )


@dataclass(frozen=True)
class WorkloadInputs:
    cards: list
    config: scheduling.SchedulerConfig
    new_per_day: int
    reviews_per_day: int
    personal_parameters: bool
    habits: "Habits | None" = None

    @property
    def size(self) -> int:
        return len(self.cards)


def workload_inputs(*, user) -> WorkloadInputs:
    """What the simulation starts from: the learner's started cards (as stored), the new cards
    the year could introduce, their parameters, zone and default preset's steps, and the daily
    limits of all their presets together (each preset's limits apply to its own cards)."""
    from quizapp.study.simulation import HORIZONS, SimulatedCard
    from quizapp.study.sync import studyable_questions

    settings = learner_settings_get(user=user)
    presets = question_presets(user=user, settings=settings, question_ids=[])
    in_use = presets.presets
    new_per_day = sum(p.new_cards_per_day for p in in_use)
    cards = [
        SimulatedCard(memory_of(card))
        for card in CardState.objects.filter(
            user=user,
            suspended=False,
            state__gt=CardState.State.NEW,
            question__status=Question.Status.PUBLISHED,
        )
    ]
    started_or_suspended = CardState.objects.filter(user=user, question=OuterRef("pk")).filter(
        Q(state__gt=CardState.State.NEW) | Q(suspended=True)
    )
    unstarted = studyable_questions(user=user).exclude(Exists(started_or_suspended)).count()
    cards += [SimulatedCard(scheduling.NEW_CARD)] * min(unstarted, new_per_day * max(HORIZONS))
    return WorkloadInputs(
        cards=cards,
        config=scheduler_config(settings),
        new_per_day=new_per_day,
        reviews_per_day=sum(p.max_reviews_per_day for p in in_use),
        personal_parameters=settings.parameters is not None,
    )


def _workload_result(inputs: WorkloadInputs, *, now, progress=None) -> dict:
    from quizapp.study.simulation import simulate_workload

    result = simulate_workload(
        inputs.cards,
        config=inputs.config,
        habits=inputs.habits,
        new_per_day=inputs.new_per_day,
        reviews_per_day=inputs.reviews_per_day,
        start=now,
        progress=progress,
    )
    return {
        **result.as_dict(),
        "personal_parameters": inputs.personal_parameters,
        "new_cards_per_day": inputs.new_per_day,
        "max_reviews_per_day": inputs.reviews_per_day,
    }


def workload_simulation_request(*, user, now: datetime | None = None) -> WorkloadSimulation:
    """Simulate the learner's workload: at once when it is small (about a second), else in the
    background (`simulate_learner_workload`), whose progress the row shows. A simulation already
    queued or running is not asked for twice."""
    now = now or timezone.now()
    simulation = WorkloadSimulation.objects.filter(user=user).first()
    if (
        simulation is not None
        and simulation.status in WorkloadSimulation.BUSY
        and now - simulation.requested_at < SIMULATION_STALE
    ):
        return simulation
    inputs = replace(workload_inputs(user=user), habits=workload_habits(user=user))
    small = inputs.size <= INLINE_SIMULATION_CARDS
    Status = WorkloadSimulation.Status
    simulation, _ = WorkloadSimulation.objects.update_or_create(
        user=user,
        defaults={
            "status": Status.RUNNING if small else Status.QUEUED,
            "progress": 0.0,
            "requested_at": now,
            "finished_at": None,
            "result": None,
        },
    )
    if small:
        return _workload_finish(simulation, _workload_result(inputs, now=now))
    from quizapp.study.tasks import simulate_learner_workload

    user_id = user.pk
    transaction.on_commit(lambda: simulate_learner_workload.enqueue(user_id=user_id))
    return simulation


def _workload_finish(simulation: WorkloadSimulation, result: dict) -> WorkloadSimulation:
    simulation.status = WorkloadSimulation.Status.DONE
    simulation.progress = 1.0
    simulation.finished_at = timezone.now()
    simulation.result = result
    simulation.save(update_fields=["status", "progress", "finished_at", "result"])
    return simulation


def workload_simulation_run(*, user) -> WorkloadSimulation | None:
    """Run a queued simulation (the background task): progress is written after each desired
    retention, so the page and the API can show it. None if there is nothing queued."""
    simulation = WorkloadSimulation.objects.filter(user=user).first()
    if simulation is None or simulation.status == WorkloadSimulation.Status.DONE:
        return simulation
    WorkloadSimulation.objects.filter(pk=simulation.pk).update(
        status=WorkloadSimulation.Status.RUNNING, progress=0.0
    )
    inputs = replace(workload_inputs(user=user), habits=workload_habits(user=user))

    def progress(done: int, total: int) -> None:
        WorkloadSimulation.objects.filter(pk=simulation.pk).update(progress=done / total)

    try:
        result = _workload_result(inputs, now=simulation.requested_at, progress=progress)
    except Exception:
        WorkloadSimulation.objects.filter(pk=simulation.pk).update(
            status=WorkloadSimulation.Status.FAILED, finished_at=timezone.now()
        )
        raise
    return _workload_finish(simulation, result)
