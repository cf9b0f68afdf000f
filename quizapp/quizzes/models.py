"""Quizzes, attempts and responses."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from quizapp.bank.models import Deck, Question, Tag

DEADLINE_GRACE = timedelta(seconds=30)
"""Answers that arrive this long after the deadline still count (network latency, clocks)."""
ABANDONED_AFTER = timedelta(days=1)
"""An attempt in progress with no activity for this long is reported as abandoned."""


class FeedbackMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately, question by question"
    AFTER_SUBMIT = "after_submit", "After the attempt is submitted"
    AFTER_CLOSE = "after_close", "After the quiz closes"


class QuizQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class Quiz(models.Model):
    class Visibility(models.TextChoices):
        ASSIGNED = "assigned", "Learners in a class it is assigned to"
        PUBLIC = "public", "Every signed-in learner"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quizzes"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.ASSIGNED
    )
    # Either ordered items, or a rule drawing `draw_count` random published questions from a
    # deck and/or tag at each attempt.
    draw_count = models.PositiveSmallIntegerField(
        default=0, help_text="Random questions drawn per attempt (0 = use the listed items)."
    )
    draw_deck = models.ForeignKey(
        Deck, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    draw_tag = models.ForeignKey(
        Tag, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    time_limit = models.DurationField(
        null=True, blank=True, help_text="Empty for no limit, e.g. 00:15:00 for 15 minutes."
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        default=1, help_text="0 for unlimited attempts."
    )
    shuffle_questions = models.BooleanField(default=False)
    shuffle_choices = models.BooleanField(default=True)
    feedback_mode = models.CharField(
        max_length=12, choices=FeedbackMode.choices, default=FeedbackMode.AFTER_SUBMIT
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    pass_mark = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(50),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage needed to pass.",
    )
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="quiz_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0, pass_mark__lte=100), name="quiz_pass_mark_range"
            ),
            # Feedback "after the quiz closes" needs a closing time to mean anything.
            models.CheckConstraint(
                condition=~Q(feedback_mode="after_close") | Q(closes_at__isnull=False),
                name="quiz_after_close_needs_closes_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def uses_draw(self) -> bool:
        return self.draw_count > 0


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="quiz_items")
    position = models.PositiveIntegerField(default=0)
    points = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["quiz", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "question"], name="quizitem_unique_question")
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.position}: {self.question}"


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    class Progress(models.TextChoices):
        """Where an attempt stands, as a teacher's report tells it (see `progress`)."""

        IN_PROGRESS = "in_progress", "in progress"
        SUBMITTED = "submitted", "submitted"
        AUTO_SUBMITTED = "auto_submitted", "timed out, submitted automatically"
        TIMED_OUT = "timed_out", "timed out, not submitted yet"
        ABANDONED = "abandoned", "abandoned"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    # Empty once the learner deleted their account: the attempt is kept, anonymised, for the
    # quiz's item analysis (see `quizapp.accounts.services.learner_delete`, docs/privacy.md).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attempts",
    )
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal(0))
    percentage = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "user", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user", "number"], name="attempt_unique_number")
        ]
        indexes = [models.Index(fields=["user", "status"], name="attempt_user_status")]

    def __str__(self) -> str:
        return f"{self.user or 'a deleted learner'} · {self.quiz} · attempt {self.number}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def is_overdue(self, now: datetime) -> bool:
        """In progress past its deadline (and the grace): due to be submitted automatically,
        which happens the next time anyone opens it."""
        return (
            not self.is_submitted
            and self.deadline is not None
            and now > self.deadline + DEADLINE_GRACE
        )

    def progress(self, *, now: datetime, last_activity: datetime | None) -> "Attempt.Progress":
        """`last_activity`: when the learner last saved an answer (None: never)."""
        if self.is_submitted:
            return self.Progress.AUTO_SUBMITTED if self.auto_submitted else self.Progress.SUBMITTED
        if self.is_overdue(now):
            return self.Progress.TIMED_OUT
        if now - (last_activity or self.started_at) >= ABANDONED_AFTER:
            return self.Progress.ABANDONED
        return self.Progress.IN_PROGRESS


class AttemptQuestion(models.Model):
    """What an attempt showed for one question, frozen when the attempt started."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    question_version = models.PositiveIntegerField()
    points = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(1))
    prompt = models.TextField()
    explanation = models.TextField(blank=True)
    # The grading key at the version shown (so later edits never change this grade) and the
    # order choices/items/right-hand sides were shown in (stable within the attempt).
    answer_key = models.JSONField()
    display_order = models.JSONField(default=list)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="attemptquestion_unique_question"
            ),
            models.UniqueConstraint(
                fields=["attempt", "position"], name="attemptquestion_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} Q{self.position + 1}"


class Response(models.Model):
    """A learner's answer to one attempt question; the last saved answer counts."""

    attempt_question = models.OneToOneField(
        AttemptQuestion, on_delete=models.CASCADE, related_name="response"
    )
    answer = models.JSONField()
    answered_at = models.DateTimeField()
    time_spent = models.DurationField(default=timedelta)
    correct = models.BooleanField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="0..1 of the question's points")
    points_awarded = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    feedback = models.TextField(blank=True)
    normalized_answer = models.JSONField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    regraded_at = models.DateTimeField(null=True, blank=True)
    regraded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"response to {self.attempt_question}"


class Regrade(models.Model):
    """An explicit regrade of a question's responses, with who did it and what changed."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="regrades")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    responses_checked = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list, help_text="[{attempt, before, after}] in points")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"regrade of {self.question} at {self.at}"
