"""The question bank: sources, decks, tags, questions and their type-specific parts."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from quizapp.bank import grading
from quizapp.bank.grading import QuestionType


class Source(models.Model):
    """An article questions are written from. Its body is kept as numbered paragraphs."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Paragraph(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="paragraphs")
    number = models.PositiveIntegerField(help_text="1-based position in the source.")
    text = models.TextField()
    factual = models.BooleanField(
        default=True, help_text="False for headings, captions and credits that state no fact."
    )

    class Meta:
        ordering = ["source", "number"]
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="paragraph_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.source.slug} ¶{self.number}"


class Deck(models.Model):
    """A topic students study; questions belong to decks in a study order."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decks",
        help_text="The teacher who made it; empty for the shared, seeded bank.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class QuestionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Question.Status.PUBLISHED)

    def seeded(self):
        return self.filter(owner__isnull=True)

    def with_answer_parts(self):
        """Everything `answer_key()` and `flashcard()` read, in a constant number of queries."""
        return self.select_related("source").prefetch_related(
            "choices",
            "accepted_answers",
            "order_items",
            "match_pairs",
            models.Prefetch("quotes", Quote.objects.select_related("paragraph")),
        )


class Question(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    slug = models.SlugField(max_length=120, unique=True)
    type = models.CharField(max_length=20, choices=[(t.value, t.label) for t in QuestionType])
    prompt = models.TextField()
    explanation = models.TextField(blank=True, help_text="Shown after answering.")
    difficulty = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 easy – 5 hard",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions")
    decks = models.ManyToManyField(
        Deck, through="DeckQuestion", blank=True, related_name="questions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        help_text="The teacher who wrote it; empty for the shared, seeded bank.",
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="questions"
    )
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    # Type-specific scalar parts; list-like parts live in their own tables below.
    shuffle_choices = models.BooleanField(default=True)
    answer_bool = models.BooleanField(null=True, blank=True, help_text="True/false questions.")
    typo_tolerance = models.PositiveSmallIntegerField(
        default=0, help_text="Short text: letters that may be wrong (0 = exact after normalising)."
    )
    numeric_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    numeric_tolerance = models.DecimalField(max_digits=20, decimal_places=6, default=Decimal(0))
    numeric_unit = models.CharField(max_length=30, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        indexes = [models.Index(fields=["status", "updated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(difficulty__gte=1, difficulty__lte=5), name="question_difficulty_1_5"
            ),
            models.CheckConstraint(
                condition=Q(numeric_tolerance__gte=0), name="question_tolerance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def question_type(self) -> QuestionType:
        return QuestionType(self.type)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def answer_key(self) -> grading.AnswerKey:
        """The pure grading view of this question (reads prefetched parts when available)."""
        return grading.AnswerKey(
            type=self.question_type,
            choices=tuple(
                grading.ChoiceKey(id=c.pk, text=c.text, correct=c.is_correct)
                for c in self.choices.all()
            ),
            answer_bool=self.answer_bool,
            accepted=tuple(a.text for a in self.accepted_answers.all()),
            typo_tolerance=self.typo_tolerance,
            value=self.numeric_value,
            tolerance=self.numeric_tolerance,
            unit=self.numeric_unit,
            items=tuple(grading.ItemKey(id=i.pk, text=i.text) for i in self.order_items.all()),
            pairs=tuple(
                grading.PairKey(id=p.pk, left=p.left, right=p.right) for p in self.match_pairs.all()
            ),
        )

    def flashcard(self) -> "Flashcard":
        key = self.answer_key()
        quotes = list(self.quotes.all())
        return Flashcard(
            front=self.prompt,
            options=tuple(c.text for c in key.choices) if key.choices else (),
            back=grading.correct_answer_text(key),
            explanation=self.explanation,
            quotes=tuple((q.paragraph.number, q.text) for q in quotes),
        )


@dataclass(frozen=True)
class Flashcard:
    """Front and back of a question studied as a card; the back includes its provenance."""

    front: str
    options: tuple[str, ...]
    back: str
    explanation: str
    quotes: tuple[tuple[int, str], ...]


class DeckQuestion(models.Model):
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="memberships")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="memberships")
    position = models.PositiveIntegerField(default=0, help_text="Study order of new cards.")

    class Meta:
        ordering = ["deck", "position", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["deck", "question"], name="deckquestion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.deck} #{self.position}: {self.question}"


class QuestionPart(models.Model):
    """Ordered rows that belong to one question (choices, answers, items, pairs, quotes)."""

    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Choice(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)

    class Meta(QuestionPart.Meta):
        pass

    def __str__(self) -> str:
        return self.text


class AcceptedAnswer(QuestionPart):
    """Short-text answers; the first is the canonical one, the rest are accepted variants."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="accepted_answers"
    )
    text = models.CharField(max_length=300)

    class Meta(QuestionPart.Meta):
        pass

    def __str__(self) -> str:
        return self.text


class OrderItem(QuestionPart):
    """An item of an ordering question; `position` is its place in the correct order."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="order_items")
    text = models.CharField(max_length=300)

    class Meta(QuestionPart.Meta):
        pass

    def __str__(self) -> str:
        return self.text


class MatchPair(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="match_pairs")
    left = models.CharField(max_length=300)
    right = models.CharField(max_length=300)

    class Meta(QuestionPart.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.left} → {self.right}"


class Quote(QuestionPart):
    """Provenance: a verbatim passage of the question's source that supports its answer."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="quotes")
    paragraph = models.ForeignKey(Paragraph, on_delete=models.PROTECT, related_name="quotes")
    text = models.TextField()

    class Meta(QuestionPart.Meta):
        pass

    def __str__(self) -> str:
        return f"¶{self.paragraph.number}: {self.text[:60]}"
