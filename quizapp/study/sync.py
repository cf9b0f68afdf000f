"""What changed for a learner since their device last synced, without ever missing a change.

A sync *round* returns every row whose ``updated_at`` is at or after the round's ``since``, in
pages ordered by ``(updated_at, pk)``. Rows only ever move forward in that order (an update
re-stamps them; questions are retired, never deleted), so paging never skips a row that was
committed when the round started.

The danger is a row stamped *before* the next round's ``since`` but committed *after* this
round read its table: ``auto_now`` stamps a row when it is saved, and its transaction may
commit later. So the next ``since`` is a *watermark* taken when the round starts:

* the earliest start of a write transaction still in progress (PostgreSQL: read from
  ``pg_stat_activity``; SQLite: none, because the round reads inside an IMMEDIATE transaction,
  which waits for the single writer to finish and keeps new ones out while it reads);
* or the current time if none is in progress;
* minus ``API_SYNC_MARGIN_SECONDS`` for clock skew between servers and for the instant
  between a row being stamped in Python and its statement reaching the database.

Every row stamped before the watermark was committed before the round read it; every row
stamped after is sent by the next round. The price is that the last margin's worth of changes
is sent again, which clients apply idempotently.

Deck membership has no timestamp, so each round fingerprints every deck (its fields and its
ordered published questions), compares them with what the client got last time, and re-sends
the decks that differ with all of their questions. The cursor keeps one fingerprint per group
of `DECK_GROUP` consecutive deck ids (a change re-sends its group) and the deck ids as ranges,
so it stays a few hundred bytes with hundreds of decks and fits in a URL.

Questions withheld from the learner (`quizapp.study.withholding`: a quiz they are taking keeps
its answers secret) have no timestamp either: they are never sent while withheld, every page
names them all, those the client was not yet told of go into `removed_questions`, and the cursor
remembers the set, so the round after one is released sends it again whatever its age.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from quizapp.bank.models import Deck, DeckQuestion, Question, Quote
from quizapp.study.models import CardState, LearnerSettings
from quizapp.study.services import learner_settings_get
from quizapp.study.withholding import withheld_questions


def reviewable_questions(*, user) -> QuerySet[Question]:
    """The questions a learner may record reviews of and act on (suspend, bury, reset):
    published and in at least one deck, withheld or not (a review shows no answer).

    Every deck is open to every learner (as in the queue and the deck counts), so `user` does
    not narrow it yet; it is here for when decks can be scoped to classes.
    """
    return Question.objects.published().filter(
        Exists(DeckQuestion.objects.filter(question=OuterRef("pk")))
    )


def studyable_questions(*, user, now: datetime | None = None) -> QuerySet[Question]:
    """The questions a learner may be shown, answers included (flashcards, practice, sync, the
    source reader's highlights): the reviewable ones not withheld from them at `now`."""
    questions = reviewable_questions(user=user)
    withheld = withheld_questions(user=user, now=now or timezone.now())
    return questions if withheld is None else questions.exclude(pk__in=withheld)


def withheld_question_ids(*, user, now: datetime | None = None) -> frozenset[int]:
    """The ids `withheld_questions` names, read (one query; none without rules)."""
    withheld = withheld_questions(user=user, now=now or timezone.now())
    if withheld is None:
        return frozenset()
    return frozenset(value for row in withheld for value in row.values())  # one column


def flashcard_parts_prefetch(questions: list[Question]) -> list[Question]:
    """Load what `Question.flashcard()`/`answer_key()` read for a list of questions (six
    queries however many questions; none for an empty list)."""
    prefetch_related_objects(
        questions,
        "source",
        "choices",
        "accepted_answers",
        "order_items",
        "match_pairs",
        Prefetch("quotes", Quote.objects.select_related("paragraph")),
    )
    return questions


@dataclass(frozen=True)
class Position:
    """Where a page ended in ``(updated_at, pk)`` order."""

    updated_at: datetime
    pk: int


@dataclass(frozen=True)
class RoundProgress:
    """How far a round that spans several pages has got."""

    next_since: datetime
    changed_decks: tuple[int, ...] = ()
    released: tuple[int, ...] = ()
    """Questions withheld when the last round started and not now: sent again, whatever
    their age."""
    questions_after: Position | None = None
    questions_done: bool = False
    cards_after: Position | None = None
    cards_done: bool = False


@dataclass(frozen=True)
class SyncCursor:
    """Everything the server needs to continue a learner's sync (the client stores it opaque)."""

    since: datetime | None = None
    """Rows stamped at or after this are sent; None sends everything."""
    deck_ids: frozenset[int] = frozenset()
    """The decks the client has."""
    deck_groups: dict[int, str] = field(default_factory=dict)
    """Their fingerprints by group (`deck_group_fingerprints`), as the client has them."""
    withheld: frozenset[int] = frozenset()
    """The questions the client was told are withheld (and so does not have)."""
    progress: RoundProgress | None = None
    """None: the next call starts a new round."""


@dataclass(frozen=True)
class DeckSnapshot:
    deck: Deck
    question_ids: tuple[int, ...]
    """Its published questions in study order."""
    fingerprint: str


@dataclass(frozen=True)
class LearnerChanges:
    settings: LearnerSettings | None
    decks: list[DeckSnapshot]
    removed_decks: list[int]
    questions: list[Question]
    """Studyable questions that changed, with their flashcard parts prefetched."""
    removed_questions: list[int]
    """Ids of questions that changed and may no longer be studied (retired, unpublished), and
    of questions newly withheld from the learner."""
    withheld: list[int]
    """Ids of every question withheld from the learner now."""
    cards: list[CardState]
    """Card states that changed, annotated with `question_slug`."""
    cursor: SyncCursor
    has_more: bool


def _write_in_progress_since() -> datetime | None:
    """Start of the oldest other transaction that has written and not yet committed."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def sync_watermark(now: datetime | None = None) -> datetime:
    """The `since` of the next round: every row stamped before it is already committed.

    On SQLite, call inside `transaction.atomic()` (an IMMEDIATE transaction) before reading.
    """
    moment = now or timezone.now()
    in_progress = _write_in_progress_since()
    if in_progress is not None:
        moment = min(moment, in_progress)
    return moment - timedelta(seconds=settings.API_SYNC_MARGIN_SECONDS)


DECK_GROUP = 16


def deck_group_fingerprints(snapshots: list[DeckSnapshot]) -> dict[int, str]:
    """One fingerprint per group of `DECK_GROUP` consecutive deck ids, over its decks' ids and
    fingerprints."""
    groups: dict[int, list[str]] = defaultdict(list)
    for snapshot in sorted(snapshots, key=lambda s: s.deck.pk):
        groups[snapshot.deck.pk // DECK_GROUP].append(f"{snapshot.deck.pk}:{snapshot.fingerprint}")
    return {
        group: hashlib.sha256(" ".join(members).encode()).hexdigest()[:16]
        for group, members in groups.items()
    }


def deck_snapshots() -> list[DeckSnapshot]:
    """Every deck with its published questions in study order (two queries)."""
    members: dict[int, list[int]] = {}
    for deck_id, question_id in DeckQuestion.objects.filter(
        question__status=Question.Status.PUBLISHED
    ).values_list("deck_id", "question_id"):
        members.setdefault(deck_id, []).append(question_id)
    snapshots = []
    for deck in Deck.objects.order_by("pk"):
        ids = tuple(members.get(deck.pk, ()))
        content = [deck.slug, deck.title, deck.description, deck.position, ids]
        digest = hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]
        snapshots.append(DeckSnapshot(deck=deck, question_ids=ids, fingerprint=digest))
    return snapshots


def _after(queryset: QuerySet, position: Position | None) -> QuerySet:
    if position is None:
        return queryset
    return queryset.filter(
        Q(updated_at__gt=position.updated_at)
        | Q(updated_at=position.updated_at, pk__gt=position.pk)
    )


def _question_page(
    *,
    user,
    since: datetime | None,
    progress: RoundProgress,
    now: datetime,
    limit: int,
) -> list[Question]:
    visible = studyable_questions(user=user, now=now)
    if since is None:
        questions = visible
    else:
        changed = Q(updated_at__gte=since)
        if progress.changed_decks:
            # A deck's membership changed: send its questions again, whatever their age.
            changed |= Q(
                pk__in=DeckQuestion.objects.filter(deck_id__in=progress.changed_decks).values(
                    "question_id"
                )
            )
        if progress.released:
            changed |= Q(pk__in=progress.released)
        questions = Question.objects.filter(changed)
    return list(
        _after(questions, progress.questions_after)
        .annotate(studyable=Exists(visible.filter(pk=OuterRef("pk"))))
        .order_by("updated_at", "pk")[:limit]
    )


def _card_page(*, user, since: datetime | None, after, limit: int) -> list[CardState]:
    cards = CardState.objects.filter(user=user)
    if since is not None:
        cards = cards.filter(updated_at__gte=since)
    return list(
        _after(cards, after)
        .annotate(question_slug=F("question__slug"))
        .order_by("updated_at", "pk")[:limit]
    )


def _last(rows: list) -> Position | None:
    return Position(rows[-1].updated_at, rows[-1].pk) if rows else None


def learner_changes(*, user, cursor: SyncCursor | None = None, limit: int = 200) -> LearnerChanges:
    """One page of what changed for `user` since `cursor` (None: everything).

    Call again with the returned cursor while `has_more`; once it is false, the returned cursor
    starts the next round. A constant number of queries whatever the sizes involved.
    """
    cursor = cursor or SyncCursor()
    with transaction.atomic():
        now = timezone.now()
        withheld = withheld_question_ids(user=user, now=now)
        told_withheld = cursor.withheld | withheld
        progress = cursor.progress
        learner_settings = None
        decks: list[DeckSnapshot] = []
        removed_decks: list[int] = []
        deck_ids, deck_groups = cursor.deck_ids, cursor.deck_groups
        if progress is None:
            # A new round: first the watermark, then read. (A learner's settings row is
            # created on first use: before the watermark, so it is not sent twice.)
            settings_row = learner_settings_get(user=user)
            progress = RoundProgress(next_since=sync_watermark())
            snapshots = deck_snapshots()
            deck_groups = deck_group_fingerprints(snapshots)
            changed = {g for g, fp in deck_groups.items() if cursor.deck_groups.get(g) != fp}
            decks = [s for s in snapshots if s.deck.pk // DECK_GROUP in changed]
            deck_ids = frozenset(s.deck.pk for s in snapshots)
            removed_decks = sorted(cursor.deck_ids - deck_ids)
            if cursor.since is not None:  # a first sync sends every question anyway
                progress = replace(
                    progress,
                    changed_decks=tuple(s.deck.pk for s in decks),
                    released=tuple(sorted(cursor.withheld - withheld)),
                )
            # Releases are noticed when a round starts; within one, the set only grows.
            told_withheld = withheld
            if cursor.since is None or settings_row.updated_at >= cursor.since:
                learner_settings = settings_row

        questions: list[Question] = []
        if not progress.questions_done:
            questions = _question_page(
                user=user, since=cursor.since, progress=progress, now=now, limit=limit
            )
            progress = replace(
                progress,
                questions_after=_last(questions) or progress.questions_after,
                questions_done=len(questions) < limit,
            )
        cards: list[CardState] = []
        if not progress.cards_done:
            cards = _card_page(
                user=user, since=cursor.since, after=progress.cards_after, limit=limit
            )
            progress = replace(
                progress,
                cards_after=_last(cards) or progress.cards_after,
                cards_done=len(cards) < limit,
            )
        studyable = flashcard_parts_prefetch([q for q in questions if q.studyable])

    has_more = not (progress.questions_done and progress.cards_done)
    kept = {"deck_ids": deck_ids, "deck_groups": deck_groups, "withheld": told_withheld}
    if has_more:
        next_cursor = SyncCursor(since=cursor.since, progress=progress, **kept)
    else:
        next_cursor = SyncCursor(since=progress.next_since, **kept)
    removed = {q.pk for q in questions if not q.studyable} | (withheld - cursor.withheld)
    return LearnerChanges(
        settings=learner_settings,
        decks=decks,
        removed_decks=removed_decks,
        questions=studyable,
        removed_questions=sorted(removed),
        withheld=sorted(withheld),
        cards=cards,
        cursor=next_cursor,
        has_more=has_more,
    )
