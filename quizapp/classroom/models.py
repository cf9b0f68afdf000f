"""Classes: teachers, enrolled students, and assignments of quizzes and decks."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from quizapp.bank.models import Deck
from quizapp.quizzes.models import Quiz

# No 0/O, 1/I/L: codes are read aloud and typed from a board.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class Classroom(models.Model):
    name = models.CharField(max_length=200)
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="taught_classes")
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Enrolment", related_name="classes"
    )
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    joined_at = models.DateTimeField()

    class Meta:
        ordering = ["classroom", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="enrolment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class Invitation(models.Model):
    """A teacher's invitation of one student to a class. The student is enrolled only when
    they accept it (on the web Classes page or over the API); declining deletes it."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="invitations")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField()

    class Meta:
        ordering = ["-invited_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.student} invited to {self.classroom}"


class Assignment(models.Model):
    """A quiz or a deck set for a class, with a due date."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    quiz = models.ForeignKey(
        Quiz, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    deck = models.ForeignKey(
        Deck, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    due_at = models.DateTimeField()
    exam_date = models.DateField(
        null=True,
        blank=True,
        help_text="For a deck: the day of the exam it prepares for. Each student's cards of "
        "the deck that would be below their desired retention that day are brought forward.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(quiz__isnull=False) & Q(deck__isnull=True))
                | (Q(quiz__isnull=True) & Q(deck__isnull=False)),
                name="assignment_quiz_xor_deck",
            ),
            models.CheckConstraint(
                condition=Q(exam_date__isnull=True) | Q(deck__isnull=False),
                name="assignment_exam_needs_deck",
                violation_error_message="An exam date needs a deck to prepare.",
            ),
            models.UniqueConstraint(
                fields=["classroom", "quiz"],
                condition=Q(quiz__isnull=False),
                name="assignment_unique_quiz",
            ),
            models.UniqueConstraint(
                fields=["classroom", "deck"],
                condition=Q(deck__isnull=False),
                name="assignment_unique_deck",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz or self.deck} for {self.classroom} by {self.due_at:%Y-%m-%d}"
