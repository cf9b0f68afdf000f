"""Writes to the question bank. Each public function is one transaction."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from quizapp.bank.content import (
    ContentBundle,
    ContentError,
    ContentInvalid,
    QuestionSpec,
    QuoteSpec,
    content_fingerprint,
)
from quizapp.bank.grading import QuestionType
from quizapp.bank.models import (
    AcceptedAnswer,
    Choice,
    Deck,
    DeckQuestion,
    MatchPair,
    OrderItem,
    Paragraph,
    Question,
    Quote,
    Source,
    Tag,
)


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    changes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.retired} retired, "
            f"{self.unchanged} unchanged"
        )


def question_spec_from_model(question: Question) -> QuestionSpec:
    """The stored question in the content files' form, so both fingerprint the same way."""
    memberships = sorted(question.memberships.all(), key=lambda m: m.deck.slug)
    return QuestionSpec(
        slug=question.slug,
        type=QuestionType(question.type),
        prompt=question.prompt,
        explanation=question.explanation,
        difficulty=question.difficulty,
        decks=tuple(m.deck.slug for m in memberships),
        tags=tuple(sorted(t.slug for t in question.tags.all())),
        source=question.source.slug if question.source else None,
        quotes=tuple(QuoteSpec(q.paragraph.number, q.text) for q in question.quotes.all()),
        status=question.status,
        choices=tuple((c.text, c.is_correct) for c in question.choices.all()),
        shuffle_choices=question.shuffle_choices,
        answer_bool=question.answer_bool,
        accepted=tuple(a.text for a in question.accepted_answers.all()),
        typo_tolerance=question.typo_tolerance,
        value=question.numeric_value,
        tolerance=question.numeric_tolerance,
        unit=question.numeric_unit,
        items=tuple(i.text for i in question.order_items.all()),
        pairs=tuple((p.left, p.right) for p in question.match_pairs.all()),
    )


def _spec_fingerprint(spec: QuestionSpec) -> str:
    # Deck and tag order in a file is presentation, not content.
    content = spec.content()
    content["decks"] = sorted(content["decks"])
    content["tags"] = sorted(content["tags"])
    if content["value"] is not None:
        content["value"] = Decimal(content["value"])
    return content_fingerprint(content)


def question_content_fingerprint(question: Question) -> str:
    return _spec_fingerprint(question_spec_from_model(question))


@transaction.atomic
def question_bump_version_if_changed(*, question: Question) -> bool:
    """Record an edit made outside the content files (e.g. in the admin) as a new version."""
    fingerprint = question_content_fingerprint(question)
    if fingerprint == question.content_hash:
        return False
    if question.content_hash:
        question.version += 1
    question.content_hash = fingerprint
    question.save(update_fields=["version", "content_hash", "updated_at"])
    return True


@transaction.atomic
def content_seed(
    *, bundle: ContentBundle, progress: Callable[[str], None] | None = None
) -> SeedReport:
    """Load validated content: create, update in place (version + 1) or retire by slug.

    Learners' progress hangs off question rows, so questions are never deleted or replaced:
    an edit rewrites the same row (and its parts, matched by position) and a question that
    left the files is retired.
    """
    _check_slugs_are_ours(bundle)
    report = SeedReport()
    sources = {spec.slug: _source_upsert(spec) for spec in bundle.sources}
    paragraphs = {
        (p.source.slug, p.number): p
        for p in Paragraph.objects.filter(source__in=sources.values()).select_related("source")
    }
    decks = {spec.slug: _deck_upsert(spec) for spec in bundle.decks}
    tags = tags_ensure(slugs={tag for spec in bundle.questions for tag in spec.tags})
    existing = {
        q.slug: q
        for q in Question.objects.seeded()
        .select_related("source")
        .prefetch_related(
            "choices",
            "accepted_answers",
            "order_items",
            "match_pairs",
            "tags",
            "memberships__deck",
            "quotes__paragraph",
        )
    }
    deck_positions: dict[str, int] = {}
    for spec in bundle.questions:
        fingerprint = _spec_fingerprint(spec)
        question = existing.get(spec.slug)
        if question is not None and question.content_hash == fingerprint:
            report.unchanged += 1
        else:
            question = _question_write(spec, question, sources, paragraphs, tags, fingerprint)
            if question.version == 1:
                report.created += 1
                report.changes.append(f"created {spec.slug}")
            else:
                report.updated += 1
                report.changes.append(f"updated {spec.slug} to version {question.version}")
        for deck_slug in spec.decks:
            deck_positions[deck_slug] = deck_positions.get(deck_slug, 0) + 1
            _membership_ensure(decks[deck_slug], question, deck_positions[deck_slug])
        if progress:
            progress(spec.slug)

    in_files = {spec.slug for spec in bundle.questions}
    for slug, question in existing.items():
        if slug not in in_files and question.status != Question.Status.RETIRED:
            question.status = Question.Status.RETIRED
            question.version += 1
            question.content_hash = ""
            question.save(update_fields=["status", "version", "content_hash", "updated_at"])
            report.retired += 1
            report.changes.append(f"retired {slug}")
    return report


def _check_slugs_are_ours(bundle: ContentBundle) -> None:
    taken = Question.objects.filter(
        slug__in=[q.slug for q in bundle.questions], owner__isnull=False
    ).values_list("slug", flat=True)
    taken = set(taken)
    if taken:
        raise ContentInvalid(
            [
                ContentError(q.path, q.line, q.slug, "slug is already used by a teacher's question")
                for q in bundle.questions
                if q.slug in taken
            ]
        )


def _source_upsert(spec) -> Source:
    source, _ = Source.objects.get_or_create(slug=spec.slug, defaults={"title": spec.title})
    fields = {"title": spec.title, "publisher": spec.publisher, "url": spec.url}
    if any(getattr(source, k) != v for k, v in fields.items()):
        Source.objects.filter(pk=source.pk).update(**fields)
    stored = {p.number: p for p in source.paragraphs.all()}
    for paragraph in spec.paragraphs:
        row = stored.pop(paragraph.number, None)
        if row is None:
            Paragraph.objects.create(
                source=source,
                number=paragraph.number,
                text=paragraph.text,
                factual=paragraph.factual,
            )
        elif (row.text, row.factual) != (paragraph.text, paragraph.factual):
            row.text, row.factual = paragraph.text, paragraph.factual
            row.save(update_fields=["text", "factual"])
    # Paragraphs past the new end can go once no quote points at them (validation ensured
    # every quote in the files points inside the new text; retired questions keep theirs).
    Paragraph.objects.filter(pk__in=[p.pk for p in stored.values()], quotes__isnull=True).delete()
    return source


def _deck_upsert(spec) -> Deck:
    fields = {"title": spec.title, "description": spec.description, "position": spec.position}
    deck = Deck.objects.filter(slug=spec.slug).first()
    if deck is None:
        return Deck.objects.create(slug=spec.slug, **fields)
    if any(getattr(deck, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(deck, key, value)
        deck.save()
    return deck


@transaction.atomic
def tags_ensure(*, slugs: set[str]) -> dict[str, Tag]:
    """The tags with these slugs, created where missing (seeding and imports share it)."""
    tags = {t.slug: t for t in Tag.objects.filter(slug__in=slugs)}
    missing = [Tag(slug=slug) for slug in sorted(slugs - tags.keys())]
    for tag in Tag.objects.bulk_create(missing):
        tags[tag.slug] = tag
    return tags


def _membership_ensure(deck: Deck, question: Question, position: int) -> None:
    membership, created = DeckQuestion.objects.get_or_create(
        deck=deck, question=question, defaults={"position": position}
    )
    if not created and membership.position != position:
        membership.position = position
        membership.save(update_fields=["position"])


def question_fields(spec: QuestionSpec) -> dict:
    """The Question columns a spec sets (not slug, owner, source or bookkeeping)."""
    return {
        "type": spec.type.value,
        "prompt": spec.prompt,
        "explanation": spec.explanation,
        "difficulty": spec.difficulty,
        "status": spec.status,
        "shuffle_choices": spec.shuffle_choices,
        "answer_bool": spec.answer_bool,
        "typo_tolerance": spec.typo_tolerance,
        "numeric_value": spec.value,
        "numeric_tolerance": spec.tolerance,
        "numeric_unit": spec.unit,
    }


def _question_write(spec, question, sources, paragraphs, tags, fingerprint) -> Question:
    fields = {
        **question_fields(spec),
        "source": sources[spec.source] if spec.source else None,
        "content_hash": fingerprint,
    }
    if question is None:
        question = Question.objects.create(slug=spec.slug, owner=None, version=1, **fields)
    else:
        for key, value in fields.items():
            setattr(question, key, value)
        question.version += 1
        question.save()
    question.tags.set([tags[t] for t in spec.tags])
    DeckQuestion.objects.filter(question=question).exclude(deck__slug__in=spec.decks).delete()
    question_parts_write(question=question, spec=spec, paragraphs=paragraphs)
    return question


@transaction.atomic
def question_parts_write(
    *, question: Question, spec: QuestionSpec, paragraphs: dict[tuple[str, int], Paragraph]
) -> None:
    """Store a spec's choices, answers, items, pairs and quotes as the question's parts.

    `paragraphs` maps (source slug, number) to the Paragraph each quote cites. Seeding and
    importing questions from files both write parts through here.
    """
    _parts_sync(
        question,
        Choice,
        "choices",
        [{"text": t, "is_correct": c} for t, c in spec.choices],
        identity="text",
    )
    _parts_sync(question, AcceptedAnswer, "accepted_answers", [{"text": t} for t in spec.accepted])
    _parts_sync(question, OrderItem, "order_items", [{"text": t} for t in spec.items])
    _parts_sync(
        question, MatchPair, "match_pairs", [{"left": a, "right": b} for a, b in spec.pairs]
    )
    _parts_sync(
        question,
        Quote,
        "quotes",
        [
            {"paragraph": paragraphs[(spec.source, q.paragraph)], "text": q.text}
            for q in spec.quotes
        ],
    )


def _parts_sync(
    question: Question,
    model,
    related_name: str,
    rows: Sequence[dict],
    *,
    identity: str | None = None,
) -> None:
    """Rewrite a question's ordered parts in place, keeping row ids.

    A row keeps the id of the stored row with the same `identity` value (a choice's text)
    wherever it moved to; the others take the remaining ids in order, so a typo fix keeps its
    id too. Keeping ids means a choice id a learner picked in a past attempt (which the
    attempt's snapshot and any later regrade read) still names the same choice.
    """
    stored = list(model.objects.filter(question=question).order_by("position", "id"))
    kept: list = [None] * len(rows)
    if identity is not None:
        by_identity: dict = {}
        for row in stored:
            by_identity.setdefault(getattr(row, identity), []).append(row)
        for position, values in enumerate(rows):
            same = by_identity.get(values[identity])
            if same:
                kept[position] = same.pop(0)
    taken = {row.pk for row in kept if row is not None}
    free = iter([row for row in stored if row.pk not in taken])
    for position, values in enumerate(rows):
        row = kept[position] or next(free, None)
        if row is None:
            model.objects.create(question=question, position=position, **values)
        elif row.position != position or any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.position = position
            row.save()
    extra = [row.pk for row in free]
    if extra:
        model.objects.filter(pk__in=extra).delete()


@transaction.atomic
def question_duplicate(*, question: Question, owner) -> Question:
    """A draft copy owned by `owner`, with all its parts, decks and tags (e.g. to adapt a
    shared question)."""
    original = (
        Question.objects.with_answer_parts()
        .prefetch_related("tags", "memberships")
        .get(pk=question.pk)
    )
    base = f"{original.slug}-copy"
    slug, n = base, 1
    while Question.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    copy = Question.objects.get(pk=original.pk)
    copy.pk = None
    copy.slug, copy.owner, copy.status, copy.version = slug, owner, Question.Status.DRAFT, 1
    copy.content_hash = ""
    copy.save()
    copy.tags.set(original.tags.all())
    for membership in original.memberships.all():
        DeckQuestion.objects.create(
            deck_id=membership.deck_id, question=copy, position=membership.position
        )
    for model, related in (
        (Choice, "choices"),
        (AcceptedAnswer, "accepted_answers"),
        (OrderItem, "order_items"),
        (MatchPair, "match_pairs"),
        (Quote, "quotes"),
    ):
        rows = list(getattr(original, related).all())
        for row in rows:
            row.pk = None
            row.question = copy
        model.objects.bulk_create(rows)
    question_bump_version_if_changed(question=copy)
    return copy
