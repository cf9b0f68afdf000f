"""Reads for classes, including the reports teachers need."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Greatest, Power
from django.utils import timezone

from quizapp.bank.models import Deck
from quizapp.classroom.models import Assignment, Classroom, Invitation
from quizapp.quizzes.models import Attempt, Quiz
from quizapp.study.fitting import DEFAULT_PARAMETERS
from quizapp.study.models import CardState
from quizapp.study.scheduling import day_number

MASTERED_STABILITY_DAYS = 21
AT_RISK_RECALL = 0.7
AT_RISK_OVERDUE_SHARE = 0.2


def classes_of(user) -> QuerySet[Classroom]:
    return Classroom.objects.filter(enrolments__student=user)


def assignments_due_for(user, now: datetime | None = None) -> QuerySet[Assignment]:
    """A learner's upcoming assignments across their classes, soonest first."""
    return (
        Assignment.objects.filter(
            classroom__enrolments__student=user, due_at__gte=now or timezone.now()
        )
        .select_related("quiz", "deck", "classroom")
        .order_by("due_at")
    )


def invitations_for(user) -> QuerySet[Invitation]:
    """A student's open invitations, newest first, with what the Classes page shows."""
    return (
        Invitation.objects.filter(student=user)
        .select_related("classroom", "invited_by")
        .prefetch_related("classroom__teachers")
        .order_by("-invited_at", "pk")
    )


def classes_taught_by(user) -> QuerySet[Classroom]:
    if user.is_superuser:
        return Classroom.objects.all()
    return Classroom.objects.filter(teachers=user)


@dataclass(frozen=True)
class LatestAttempt:
    """A student's most recent attempt at a quiz, and where it stands."""

    id: int
    number: int
    progress: Attempt.Progress
    last_activity: datetime
    """When they last saved an answer, or started."""


@dataclass(frozen=True)
class ResultCell:
    attempts: int
    best_percentage: Decimal | None
    submitted_at: datetime | None
    on_time: bool | None  # None: nothing submitted
    latest: LatestAttempt | None = None


@dataclass(frozen=True)
class ClassResults:
    classroom: Classroom
    students: list
    assignments: list[Assignment]
    cells: dict[tuple[int, int], ResultCell]  # (student id, assignment id)

    def cell(self, student, assignment) -> ResultCell:
        return self.cells.get((student.pk, assignment.pk), ResultCell(0, None, None, None))


def class_results(
    *, classroom: Classroom, students: list | None = None, now: datetime | None = None
) -> ClassResults:
    """Students × assigned quizzes: attempts, best score, whether the first submission was on
    time, and where the latest attempt stands (four queries whatever the class size).

    `students`: some of the class (a page of the report); by default all, by username.
    """
    now = now or timezone.now()
    if students is None:
        students = list(classroom.students.order_by("username", "pk"))
    assignments = list(
        classroom.assignments.filter(quiz__isnull=False).select_related("quiz").order_by("due_at")
    )
    by_quiz = {a.quiz_id: a for a in assignments}
    submitted = Q(status=Attempt.Status.SUBMITTED)
    rows = (
        Attempt.objects.filter(quiz__in=by_quiz, user__in=[s.pk for s in students])
        .values("user_id", "quiz_id")
        .annotate(
            attempts=Count("pk"),
            best=Max("percentage", filter=submitted),
            first_submitted=Min("submitted_at", filter=submitted),
        )
        .order_by()
    )
    latest = {
        (attempt.user_id, attempt.quiz_id): LatestAttempt(
            id=attempt.pk,
            number=attempt.number,
            progress=attempt.progress(now=now, last_activity=attempt.last_answer),
            last_activity=attempt.last_answer or attempt.started_at,
        )
        for attempt in _latest_attempts(quizzes=list(by_quiz), students=students)
    }
    cells = {}
    for row in rows:
        assignment = by_quiz[row["quiz_id"]]
        first = row["first_submitted"]
        cells[(row["user_id"], assignment.pk)] = ResultCell(
            attempts=row["attempts"],
            best_percentage=row["best"],
            submitted_at=first,
            on_time=None if first is None else first <= assignment.due_at,
            latest=latest.get((row["user_id"], row["quiz_id"])),
        )
    return ClassResults(classroom, students, assignments, cells)


def class_attempt(*, classroom: Classroom, attempt_id: int, teacher) -> Attempt | None:
    """An attempt a teacher of `classroom` may review, or None: its learner is enrolled in the
    class, and its quiz is assigned to the class or is the teacher's own (an administrator:
    any quiz)."""
    attempts = Attempt.objects.filter(pk=attempt_id, user__enrolments__classroom=classroom)
    if not teacher.is_superuser:
        attempts = attempts.filter(
            Q(quiz__assignments__classroom=classroom) | Q(quiz__owner=teacher)
        )
    return attempts.select_related("quiz", "user").distinct().first()


def _latest_attempts(*, quizzes: list[int], students: list) -> QuerySet[Attempt]:
    """Each student's latest attempt at each quiz, with `last_answer` (when they last saved
    an answer in it, if ever)."""
    newest = Attempt.objects.filter(quiz=OuterRef("quiz"), user=OuterRef("user")).order_by(
        "-number"
    )
    return (
        Attempt.objects.filter(quiz__in=quizzes, user__in=[s.pk for s in students])
        .filter(number=Subquery(newest.values("number")[:1]))
        .annotate(last_answer=Max("questions__response__answered_at"))
        .only("user_id", "quiz_id", "number", "status", "auto_submitted", "deadline", "started_at")
        .order_by()
    )


@dataclass(frozen=True)
class StudentMemory:
    student_id: int
    username: str
    cards: int
    average_recall: float | None
    mastered: int
    overdue: int

    @property
    def at_risk(self) -> bool:
        if not self.cards:
            return False
        low = self.average_recall is not None and self.average_recall < AT_RISK_RECALL
        return low or self.overdue / self.cards >= AT_RISK_OVERDUE_SHARE


@dataclass(frozen=True)
class DeckMemory:
    deck: Deck
    students_studying: int
    average_recall: float | None
    mastered_share: float | None
    overdue_per_student: float
    students: list[StudentMemory]

    @property
    def at_risk(self) -> list[StudentMemory]:
        return [s for s in self.students if s.at_risk]


def class_deck_memory(*, classroom: Classroom, now: datetime | None = None) -> list[DeckMemory]:
    """Memory per deck for a class: average predicted recall, share of cards mastered
    (stability ≥ 21 days), overdue load, and the students at risk.

    Computed in SQL with the FSRS-6 forgetting curve at the default decay and today's study
    day in UTC (4 o'clock boundary), so it costs three queries for any class size; a
    learner's own time zone and fitted decay shift their figure by at most a day's forgetting.
    """
    now = now or timezone.now()
    decks = list(
        Deck.objects.filter(assignments__classroom=classroom).distinct() or Deck.objects.all()
    )
    students = {s.pk: s for s in classroom.students.all()}
    decay = DEFAULT_PARAMETERS[20]
    factor = 0.9 ** (-1 / decay) - 1
    today = day_number(now, tz="UTC", day_start_hour=4)
    elapsed = Greatest(Value(0.0), Cast(Value(today) - F("last_review_day"), FloatField()))
    recall = Power(
        Value(1.0) + Value(factor) * elapsed / F("stability"),
        Value(-decay),
        output_field=FloatField(),
    )
    rows = (
        CardState.objects.filter(
            user__in=students,
            question__memberships__deck__in=decks,
            state__gt=CardState.State.NEW,
            stability__isnull=False,
        )
        .values("user_id", deck_key=F("question__memberships__deck"))
        .annotate(
            cards=Count("pk"),
            average_recall=Avg(recall),
            mastered=Count("pk", filter=Q(stability__gte=MASTERED_STABILITY_DAYS)),
            overdue=Count("pk", filter=Q(state=CardState.State.REVIEW, due__lt=now)),
        )
        .order_by()
    )
    per_deck: dict[int, list[StudentMemory]] = {deck.pk: [] for deck in decks}
    for row in rows:
        per_deck[row["deck_key"]].append(
            StudentMemory(
                student_id=row["user_id"],
                username=students[row["user_id"]].get_username(),
                cards=row["cards"],
                average_recall=row["average_recall"],
                mastered=row["mastered"],
                overdue=row["overdue"],
            )
        )
    result = []
    for deck in decks:
        memories = sorted(per_deck[deck.pk], key=lambda s: (s.average_recall or 0, s.username))
        cards = sum(s.cards for s in memories)
        result.append(
            DeckMemory(
                deck=deck,
                students_studying=len(memories),
                average_recall=(
                    sum((s.average_recall or 0) * s.cards for s in memories) / cards
                    if cards
                    else None
                ),
                mastered_share=sum(s.mastered for s in memories) / cards if cards else None,
                overdue_per_student=(
                    sum(s.overdue for s in memories) / len(students) if students else 0.0
                ),
                students=memories,
            )
        )
    return result


@dataclass(frozen=True)
class FlaggedItem:
    quiz_id: int
    quiz_title: str
    question_id: int
    prompt: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class TeacherDashboard:
    classes: list[Classroom]
    recent_submissions: list[Attempt]
    due_this_week: list[Assignment]
    flagged_items: list[FlaggedItem]


DASHBOARD_QUIZZES = 10


def teacher_dashboard(*, user, now: datetime | None = None) -> TeacherDashboard:
    """The admin home for a teacher: their classes, recent submissions to their quizzes,
    assignments due in the next seven days, and items the item analysis flags (for their
    most recently answered quizzes). A bounded number of queries."""
    from quizapp.quizzes.selectors import quiz_item_analysis

    now = now or timezone.now()
    classes = list(
        classes_taught_by(user).annotate(student_count=Count("enrolments", distinct=True))
    )
    own_attempts = Attempt.objects.filter(status=Attempt.Status.SUBMITTED)
    if not user.is_superuser:
        own_attempts = own_attempts.filter(quiz__owner=user)
    recent = list(own_attempts.select_related("quiz", "user").order_by("-submitted_at")[:10])
    due = list(
        Assignment.objects.filter(
            classroom__in=[c.pk for c in classes],
            due_at__gte=now,
            due_at__lt=now + timedelta(days=7),
        )
        .select_related("classroom", "quiz", "deck")
        .order_by("due_at")
    )
    quiz_ids = list(
        own_attempts.values_list("quiz_id", flat=True)
        .order_by("quiz_id")
        .distinct()[:DASHBOARD_QUIZZES]
    )
    flagged = []
    for quiz in Quiz.objects.filter(pk__in=quiz_ids):
        for item in quiz_item_analysis(quiz=quiz).items:
            if item.flags:
                flagged.append(
                    FlaggedItem(quiz.pk, quiz.title, item.question_id, item.prompt, item.flags)
                )
    return TeacherDashboard(classes, recent, due, flagged)
