"""Build a large, realistic database for benchmarks and load tests.

    manage.py generate_load --learners 1000 --cards 1000 --reviews 2000000 \\
        [--classes 40] [--seed 1] [--days 365] [--until 2026-01-01] [--reset] \\
        [--extra-learner 100000 ...] [--quiz-class 500 ...]

Everything it creates is marked with the ``load-`` prefix: a ``load-teacher`` who owns decks of
~100 generated true/false questions (``load-q-000001``…), ``load-learner-N`` students who each
study those cards, and ``load-class-N`` classes of them with a deck assigned. Running it again
refuses while load data exists; ``--reset`` deletes the previous load data first.

Two options add what some benchmarks need. ``--extra-learner N`` (repeatable) adds a learner
with exactly N reviews, beyond the ``--reviews`` shared by the others; extra learners are
numbered from 1,000,001 (``load-learner-1000001``…) so that, like every learner, their history
depends only on the seed and their number. ``--quiz-class N`` (repeatable) adds a class
``load-quiz-class-K`` of the first N learners, with a quiz of 20 questions assigned to it and
every student's submitted attempts (one, sometimes two), graded by the real grading code;
their answers do not enter the review log (the histories stay those of the simulation).

Review histories are simulated, not invented. Each learner studies on most days of the period,
at their usual hour, within a daily review budget (the budgets add up to exactly ``--reviews``);
takes cards in the order the app's queue gives them (learning steps due, reviews due today,
then new cards in deck order, finishing learning steps before stopping); and answers with a
probability of recall from the FSRS forgetting curve shifted by a personal ability. Every
answer goes through the real scheduler (``scheduling.apply_review`` with the learner's own
``scheduler_config``), so the card states, each review's ``state_before`` and the per-day
totals written are exactly what replaying the written reviews gives (``verify_card_states``
reports 0 drifted). Learners start cards as they study, as in the app, so a learner with few
reviews has fewer card states than ``--cards``. A learner's history depends only on the seed
and their number, not on the other sizes, so databases of different sizes can be compared.

Speed: the simulation is pure Python and runs in forked worker processes (``--workers``) while
this process writes the previous chunk of learners with ``bulk_create``, one transaction per
chunk. A chunk's rows are written in time order across its learners, as a live server appends
them, so one learner's rows are spread over the tables instead of lying side by side.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from heapq import heappop, heappush
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from tqdm import tqdm

from quizapp.accounts.models import User
from quizapp.accounts.roles import user_make_teacher
from quizapp.bank.models import Deck, DeckQuestion, Question
from quizapp.study import scheduling
from quizapp.study.days import day_bounds
from quizapp.study.models import LEECH_LAPSES, CardState, LearnerSettings, Review, ReviewDay
from quizapp.study.review_days import Tally, review_tally
from quizapp.study.scheduling import MemoryState, ReviewInput, SchedulerConfig
from quizapp.study.services import REFIT_EVERY, scheduler_config

PREFIX = "load-"
LEARNER_PREFIX = "load-learner-"
TEACHER_USERNAME = "load-teacher"
DECK_SIZE = 100
DECK_POSITION_START = 1000  # load decks sort after the seeded content's decks
ASSIGNMENT_DUE = timedelta(days=14)
# Sessions must fit in a day; beyond this many reviews per learner per day they would not.
MAX_REVIEWS_PER_DAY = 300
# Learners per chunk aim at about this many reviews: big enough for fast inserts, small enough
# to show progress and to keep the writer and the simulation busy at the same time.
CHUNK_REVIEWS = 50_000
# --extra-learner K is learner number EXTRA_LEARNER_START + K, whatever --learners is.
EXTRA_LEARNER_START = 1_000_000
QUIZ_QUESTIONS = 20
SECOND_ATTEMPT_SHARE = 0.25

ZONES = ("UTC", "Europe/Paris", "Asia/Yerevan", "Asia/Baku", "America/New_York", "Asia/Tokyo")
RETENTIONS = (0.85, 0.9, 0.9, 0.9, 0.95)
DAY_START_HOURS = (4, 4, 4, 3, 5)
HARD_SHARE, EASY_SHARE = 0.15, 0.10  # of recalled answers; the rest are Good
# In a session a learner finishes the learning steps coming due within this time.
LEARNING_WAIT = timedelta(minutes=15)


# --- the learners ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerProfile:
    """Who a generated learner is: their settings and their study habits."""

    index: int
    desired_retention: float
    time_zone: str
    day_start_hour: int
    study_hour: int  # local hour their sessions usually start
    skip_rate: float  # share of days they do not study
    ability: float  # added to the log-odds of recall; 0 is the learner FSRS expects
    new_cards_per_day: int = 20
    suspend_leeches: bool = True

    @property
    def username(self) -> str:
        return f"{LEARNER_PREFIX}{self.index}"


def _rng(seed: int, index: int, purpose: str) -> random.Random:
    # One stream per learner and purpose, so a learner never depends on the other sizes.
    return random.Random(f"quizapp-load:{seed}:{index}:{purpose}")


def learner_profile(seed: int, index: int) -> LearnerProfile:
    rng = _rng(seed, index, "profile")
    day_start_hour = rng.choice(DAY_START_HOURS)
    return LearnerProfile(
        index=index,
        desired_retention=rng.choice(RETENTIONS),
        time_zone=rng.choice(ZONES),
        day_start_hour=day_start_hour,
        study_hour=rng.randint(day_start_hour + 3, 18),
        skip_rate=rng.uniform(0.05, 0.4),
        ability=rng.gauss(0.2, 0.35),
    )


def learner_settings_of(profile: LearnerProfile, user_id: int, reviews: int) -> LearnerSettings:
    return LearnerSettings(
        user_id=user_id,
        desired_retention=profile.desired_retention,
        time_zone=profile.time_zone,
        day_start_hour=profile.day_start_hour,
        new_cards_per_day=profile.new_cards_per_day,
        suspend_leeches=profile.suspend_leeches,
        # As if refits had run along the way (and kept the defaults); a full counter would
        # make every learner's next review queue a refit at once.
        reviews_since_fit=reviews % REFIT_EVERY,
    )


def share(total: int, parts: int, index: int) -> int:
    """The `index`-th (0-based) of `parts` near-equal integer shares of `total`."""
    return total * (index + 1) // parts - total * index // parts


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to `weights` that add up to exactly `total`."""
    whole = sum(weights)
    if whole <= 0:
        return [share(total, len(weights), i) for i in range(len(weights))]
    result, running, given = [], 0.0, 0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        result.append(upto - given)
        given = upto
    result[-1] += total - given
    return result


# --- the simulation (pure; runs in worker processes) ---------------------------------------


@dataclass(frozen=True)
class LearnerPlan:
    profile: LearnerProfile
    config: SchedulerConfig
    reviews: int
    days: int
    until: datetime
    seed: int


@dataclass(frozen=True)
class QuestionPool:
    """The cards every learner studies, in deck order, and how hard each one is (1–5)."""

    ids: tuple[int, ...]
    difficulty: tuple[int, ...]


# (question id, rating, state before, reviewed at, received at, duration ms, uuid as an int)
ReviewRow = tuple[int, int, int, datetime, datetime, int, int]
# (question id, memory, suspended, first reviewed at)
CardRow = tuple[int, MemoryState, bool, datetime]


@dataclass(frozen=True)
class LearnerHistory:
    index: int
    reviews: list[ReviewRow]
    cards: list[CardRow]
    days: dict[int, Tally]  # study day number → that day's totals


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    p = min(max(p, 0.001), 0.999)
    return math.log(p / (1.0 - p))


def random_uuid4(rng: random.Random) -> int:
    """A version-4 UUID as an int, drawn from `rng` so a seed reproduces the same ids."""
    value = rng.getrandbits(128)
    value = (value & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    return (value & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant


class LearnerSimulation:
    """One learner studying day by day; every answer goes through the real scheduler."""

    def __init__(self, plan: LearnerPlan, pool: QuestionPool):
        self.plan, self.profile, self.config = plan, plan.profile, plan.config
        self.rng = _rng(plan.seed, plan.profile.index, "reviews")
        self.zone = ZoneInfo(plan.profile.time_zone)
        self.difficulty = dict(zip(pool.ids, pool.difficulty, strict=True))
        self.unstarted = deque(pool.ids)
        self.memory: dict[int, MemoryState] = {}
        self.first_review: dict[int, datetime] = {}
        self.suspended: set[int] = set()
        # (due, question id) heaps: cards in learning or relearning, and cards in review.
        self.learning: list[tuple[datetime, int]] = []
        self.review: list[tuple[datetime, int]] = []
        self.rows: list[ReviewRow] = []
        self.days: dict[int, Tally] = defaultdict(Tally)
        self.clock = datetime.min.replace(tzinfo=UTC)

    def run(self) -> LearnerHistory:
        days = self.plan.days
        last = self.plan.until.astimezone(self.zone).date() - timedelta(days=1)
        dates = [last - timedelta(days=days - 1 - k) for k in range(days)]
        weights = [
            0.0 if self.rng.random() < self.profile.skip_rate else self.rng.uniform(0.5, 1.5)
            for _ in dates
        ]
        # Budget not spent (nothing to do) carries over; when it piles up, or on the last
        # day, the learner reviews ahead, so the total is exactly the plan's.
        early_after = 3 * self.plan.reviews / days + 1
        carry = 0
        for number, (day, quota) in enumerate(
            zip(dates, apportion(self.plan.reviews, weights), strict=True)
        ):
            budget = quota + carry
            if budget:
                early = number == days - 1 or carry > early_after
                carry = budget - self._session(day, budget, early=early)
        if carry:
            raise ValueError(f"learner {self.profile.index}: {carry} reviews could not be placed")
        cards = [
            (qid, memory, qid in self.suspended, self.first_review[qid])
            for qid, memory in self.memory.items()
        ]
        return LearnerHistory(self.profile.index, self.rows, cards, dict(self.days))

    def _session(self, day: date, budget: int, *, early: bool) -> int:
        """Study on `day` until the budget is spent or nothing is left; returns reviews done."""
        hour = min(max(self.profile.study_hour + self.rng.randint(-1, 1), 0), 23)
        start = datetime(day.year, day.month, day.day, hour, self.rng.randrange(60))
        # Never before the previous session ended: each card's reviews stay in time order.
        now = max(
            start.replace(tzinfo=self.zone).astimezone(UTC), self.clock + timedelta(minutes=1)
        )
        _, day_end = day_bounds(day, tz=self.zone, day_start_hour=self.profile.day_start_hour)
        new_today = done = 0
        while done < budget:
            picked = self._next_card(now, day_end, budget, done, new_today, early=early)
            if picked is None:
                break
            qid, now, is_new = picked
            new_today += is_new
            duration = self.rng.randint(2, 20)
            self._answer(qid, now, duration)
            done += 1
            now += timedelta(seconds=duration + self.rng.randint(1, 5))
        if now >= self.plan.until:
            raise ValueError(f"learner {self.profile.index}: sessions run past --until")
        self.clock = now
        return done

    def _next_card(
        self,
        now: datetime,
        day_end: datetime,
        budget: int,
        done: int,
        new_today: int,
        *,
        early: bool,
    ) -> tuple[int, datetime, bool] | None:
        """(card, when, is new): learning due, reviews due, new cards, as the app's queue;
        budget is kept for learning steps coming due in the session, as a learner finishes
        them (left for the next day they would be failed again and again)."""
        if self.learning and self.learning[0][0] <= now:
            return heappop(self.learning)[1], now, False
        left = budget - done
        pending = sum(1 for due, _ in self.learning if due <= now + LEARNING_WAIT)
        # The app orders due reviews by predicted recall; the due date is close enough here.
        if left > pending and self.review and self.review[0][0] < day_end:
            return heappop(self.review)[1], now, False
        # New cards take at most half the day's budget: a learner who fills every day with
        # them falls behind at the first busy week, and never catches up.
        fresh = self.unstarted and new_today < self.profile.new_cards_per_day
        if fresh and left > pending + 1 and 2 * left > budget:
            return self.unstarted.popleft(), now, True
        if pending:
            due, qid = heappop(self.learning)
            return qid, due, False
        if early:
            # Time to spare: start more cards, review ahead, or (failing all else) answer the
            # suspended cards a quiz still shows.
            if self.unstarted:
                return self.unstarted.popleft(), now, True
            for heap in (self.review, self.learning):
                if heap:
                    return heappop(heap)[1], now, False
            if self.suspended:
                return min(self.suspended), now, False
        return None

    def _answer(self, qid: int, at: datetime, duration: int) -> None:
        before = self.memory.get(qid, scheduling.NEW_CARD)
        rating = self._rating(before, at, self.difficulty[qid])
        memory = scheduling.apply_review(
            before, ReviewInput(rating, at), config=self.config, card_id=qid
        )
        self.memory[qid] = memory
        self.first_review.setdefault(qid, at)
        received = min(at + timedelta(seconds=self._upload_delay()), self.plan.until)
        self.rows.append(
            (qid, rating, before.state, at, received, duration * 1000, random_uuid4(self.rng))
        )
        # apply_review has just computed the review's study day, by the learner's settings.
        self.days[memory.last_review_day] += review_tally(
            rating=rating, state_before=before.state, duration_ms=duration * 1000
        )
        if memory.lapses >= LEECH_LAPSES and self.profile.suspend_leeches:
            self.suspended.add(qid)
        elif qid not in self.suspended:
            heap = self.review if memory.state == scheduling.REVIEW else self.learning
            heappush(heap, (memory.due, qid))

    def _rating(self, memory: MemoryState, at: datetime, difficulty: int) -> int:
        if memory.stability is None or memory.last_review is None:
            # First sight: easier questions and abler learners are known more often.
            recall = _sigmoid(self.profile.ability + 1.0 - 0.4 * (difficulty - 3))
        else:
            elapsed = max(0.0, (at - memory.last_review).total_seconds() / 86400)
            curve = scheduling.forgetting_curve(elapsed, memory.stability, self.config.decay)
            recall = _sigmoid(_logit(curve) + self.profile.ability)
        if self.rng.random() >= recall:
            return 1
        draw = self.rng.random()
        return 2 if draw < HARD_SHARE else 4 if draw > 1 - EASY_SHARE else 3

    def _upload_delay(self) -> int:
        # Most reviews arrive within seconds; some were made offline and synced hours later.
        if self.rng.random() < 0.9:
            return self.rng.randint(0, 3)
        return self.rng.randint(60, 12 * 3600)


def simulate_learner(plan: LearnerPlan, pool: QuestionPool) -> LearnerHistory:
    return LearnerSimulation(plan, pool).run()


_worker_pool: QuestionPool | None = None


def _worker_init(pool: QuestionPool) -> None:
    global _worker_pool
    _worker_pool = pool


def _simulate_chunk(plans: list[LearnerPlan]) -> list[LearnerHistory]:
    assert _worker_pool is not None
    return [simulate_learner(plan, _worker_pool) for plan in plans]


@contextmanager
def simulation(
    chunks: Sequence[list[LearnerPlan]], pool: QuestionPool, workers: int
) -> Iterator[Iterator[list[LearnerHistory]]]:
    """Histories chunk by chunk, in order; from worker processes when there are several.

    A context manager so the workers are forked on entry, before the caller starts threads
    (tqdm's monitor): forking a threaded process can deadlock.
    """
    if workers <= 1 or len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield ([simulate_learner(plan, pool) for plan in plans] for plans in chunks)
        return
    # Forked, the workers need no Django setup. They never touch the database; closing the
    # connections first (unless a caller's transaction is open) keeps children from even
    # holding one.
    if not connection.in_atomic_block:
        connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_worker_init, initargs=(pool,)) as processes:
        yield _bounded_map(processes, chunks, ahead=2 * workers)


def _bounded_map(
    processes, chunks: Sequence[list[LearnerPlan]], *, ahead: int
) -> Iterator[list[LearnerHistory]]:
    """Like Pool.imap, but at most `ahead` chunks in flight: the writer is the slower side,
    and imap would pile every finished history up in memory."""
    waiting: deque = deque()
    for plans in chunks:
        waiting.append(processes.apply_async(_simulate_chunk, (plans,)))
        if len(waiting) >= ahead:
            yield waiting.popleft().get()
    while waiting:
        yield waiting.popleft().get()


# --- the database ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadCounts:
    users: int
    questions: int
    decks: int

    @property
    def empty(self) -> bool:
        return not (self.users or self.questions or self.decks)


def load_counts() -> LoadCounts:
    return LoadCounts(
        users=get_user_model().objects.filter(username__startswith=PREFIX).count(),
        questions=Question.objects.filter(slug__startswith=PREFIX).count(),
        decks=Deck.objects.filter(slug__startswith=PREFIX).count(),
    )


@transaction.atomic
def load_data_delete() -> None:
    """Remove everything generate_load made, and whatever hangs off it."""
    users = get_user_model().objects.filter(username__startswith=PREFIX)
    questions = Question.objects.filter(slug__startswith=PREFIX)
    # The big tables first, as plain DELETEs, before Django's collector walks the rest.
    for model in (Review, CardState):
        model.objects.filter(user__in=users).delete()
        model.objects.filter(question__in=questions).delete()
    ReviewDay.objects.filter(user__in=users).delete()
    if apps.is_installed("quizapp.classroom"):
        from quizapp.classroom.models import Classroom

        Classroom.objects.filter(name__startswith=PREFIX).delete()
    if apps.is_installed("quizapp.quizzes"):
        from quizapp.quizzes.models import Quiz

        # Before the questions and the teacher: attempts and items protect both.
        Quiz.objects.filter(owner__in=users).delete()
    DeckQuestion.objects.filter(question__in=questions).delete()
    questions.delete()
    Deck.objects.filter(slug__startswith=PREFIX).delete()
    users.delete()


def create_bank(rng: random.Random, cards: int) -> tuple[User, list[Deck], QuestionPool]:
    """The load teacher, their decks and questions; returns (teacher, decks, pool)."""
    teacher = get_user_model().objects.create(
        username=TEACHER_USERNAME, password=make_password(None), is_staff=True
    )
    user_make_teacher(user=teacher)
    deck_count = max(1, round(cards / DECK_SIZE))
    decks = Deck.objects.bulk_create(
        Deck(
            slug=f"{PREFIX}deck-{n + 1:03d}",
            title=f"Load deck {n + 1}",
            description="Generated by generate_load.",
            position=DECK_POSITION_START + n,
            owner=teacher,
        )
        for n in range(deck_count)
    )
    # Owned by the load teacher: seed_content retires unowned questions it does not know.
    questions = Question.objects.bulk_create(
        Question(
            slug=f"{PREFIX}q-{n + 1:06d}",
            type="true_false",
            prompt=f"Load-test statement number {n + 1} is true.",
            explanation="Generated by generate_load.",
            answer_bool=rng.random() < 0.5,
            difficulty=rng.randint(1, 5),
            status=Question.Status.PUBLISHED,
            owner=teacher,
        )
        for n in range(cards)
    )
    DeckQuestion.objects.bulk_create(
        DeckQuestion(deck=decks[n * deck_count // cards], question=q, position=n % DECK_SIZE + 1)
        for n, q in enumerate(questions)
    )
    pool = QuestionPool(tuple(q.pk for q in questions), tuple(q.difficulty for q in questions))
    return teacher, decks, pool


def create_learners(
    profiles: Sequence[LearnerProfile], reviews: Sequence[int], joined: datetime
) -> list[LearnerSettings]:
    """Learner users and their settings (bulk), in the order of `profiles`."""
    User = get_user_model()
    # One hash for all: hashing a password per learner takes minutes, and nobody logs in.
    password = make_password(None)
    users = User.objects.bulk_create(
        User(username=p.username, password=password, date_joined=joined) for p in profiles
    )
    return LearnerSettings.objects.bulk_create(
        learner_settings_of(p, user.pk, n)
        for p, user, n in zip(profiles, users, reviews, strict=True)
    )


def create_classes(
    count: int,
    *,
    teacher: User,
    learners: Sequence[LearnerSettings],
    decks: Sequence[Deck],
    joined: datetime,
    due: datetime,
) -> int:
    """`count` classes taught by the load teacher, learners shared round robin, a deck each."""
    # A command is a face: it may use any domain app; classroom is imported only if present.
    from quizapp.classroom.models import Enrolment
    from quizapp.classroom.services import assignment_create, classroom_create

    classes = [
        classroom_create(name=f"{PREFIX}class-{n + 1:03d}", teacher=teacher) for n in range(count)
    ]
    Enrolment.objects.bulk_create(
        Enrolment(classroom=classes[n % count], student_id=s.user_id, joined_at=joined)
        for n, s in enumerate(learners)
    )
    for n, classroom in enumerate(classes):
        assignment_create(classroom=classroom, due_at=due, by=teacher, deck=decks[n % len(decks)])
    return len(classes)


def load_data_stamp(joined: datetime) -> None:
    """Date the generated bank and settings to when the learners joined, as if written then
    (bulk_create stamps them with the wall clock)."""
    for model in (Question, Deck):
        model.objects.filter(slug__startswith=PREFIX).update(created_at=joined, updated_at=joined)
    LearnerSettings.objects.filter(user__username__startswith=PREFIX).update(updated_at=joined)


def create_quiz_classes(
    sizes: Sequence[int],
    *,
    teacher: User,
    learners: Sequence[LearnerSettings],
    profiles: Sequence[LearnerProfile],
    pool: QuestionPool,
    joined: datetime,
    until: datetime,
    seed: int,
) -> int:
    """A class of the first `size` learners for each size, each with a quiz of QUIZ_QUESTIONS
    questions assigned and every student's submitted attempts; returns the attempts written.

    Attempts are written in bulk, graded by `grading.grade` against the snapshot of each
    question's key, as `attempt_submit` grades them, but their answers are not recorded as
    reviews: the learners' histories stay exactly those of the simulation.
    """
    from quizapp.bank import grading
    from quizapp.classroom.models import Enrolment
    from quizapp.classroom.services import assignment_create, classroom_create
    from quizapp.quizzes.models import Attempt, AttemptQuestion, Quiz, QuizItem, Response

    written = 0
    for number, size in enumerate(sizes, 1):
        rng = random.Random(f"quizapp-load:{seed}:quiz-{number}")
        classroom = classroom_create(name=f"{PREFIX}quiz-class-{number:03d}", teacher=teacher)
        Enrolment.objects.bulk_create(
            Enrolment(classroom=classroom, student_id=s.user_id, joined_at=joined)
            for s in learners[:size]
        )
        quiz = Quiz.objects.create(
            title=f"{PREFIX}quiz-{number:03d}",
            description="Generated by generate_load.",
            owner=teacher,
            attempts_allowed=2,
            published=True,
        )
        chosen = rng.sample(range(len(pool.ids)), min(QUIZ_QUESTIONS, len(pool.ids)))
        questions = Question.objects.in_bulk([pool.ids[i] for i in chosen])
        items = QuizItem.objects.bulk_create(
            QuizItem(quiz=quiz, question=questions[pool.ids[i]], position=position)
            for position, i in enumerate(chosen)
        )
        keys = {item.question_id: item.question.answer_key() for item in items}
        due = until - timedelta(days=7)
        assignment_create(classroom=classroom, quiz=quiz, due_at=due, by=teacher)
        attempts, answers = [], []
        for settings_row, profile in zip(learners[:size], profiles[:size], strict=True):
            learner = _rng(seed, profile.index, f"quiz-{number}")
            tries = 2 if learner.random() < SECOND_ATTEMPT_SHARE else 1
            started = until - timedelta(days=14) + timedelta(minutes=learner.randrange(12 * 1440))
            for attempt_number in range(1, tries + 1):
                at = started + timedelta(days=attempt_number - 1)
                attempt = Attempt(
                    quiz=quiz,
                    user_id=settings_row.user_id,
                    number=attempt_number,
                    status=Attempt.Status.SUBMITTED,
                    started_at=at,
                    max_score=sum((item.points for item in items), Decimal(0)),
                )
                rows = []
                for position, item in enumerate(items):
                    key = keys[item.question_id]
                    # As at first sight, a little better at a second attempt.
                    known = _sigmoid(
                        profile.ability
                        + 0.5 * attempt_number
                        + 0.5
                        - 0.4 * (pool.difficulty[chosen[position]] - 3)
                    )
                    answer = key.answer_bool if learner.random() < known else not key.answer_bool
                    spent = timedelta(seconds=learner.randint(5, 60))
                    at += spent
                    rows.append((item, key, answer, spent, at))
                attempt.submitted_at = at
                attempts.append((attempt, rows))
        Attempt.objects.bulk_create([attempt for attempt, _ in attempts], batch_size=2000)
        for attempt, rows in attempts:
            score = Decimal(0)
            for position, (item, key, answer, spent, at) in enumerate(rows):
                snapshot = AttemptQuestion(
                    attempt=attempt,
                    position=position,
                    question_id=item.question_id,
                    question_version=item.question.version,
                    points=item.points,
                    prompt=item.question.prompt,
                    explanation=item.question.explanation,
                    answer_key=key.to_json(),
                    display_order=[],
                )
                grade = grading.grade(key, answer)
                points = item.points * Decimal(str(grade.score))
                score += points
                answers.append((snapshot, answer, spent, at, grade, points))
            attempt.score = score
            attempt.percentage = (score / attempt.max_score * 100).quantize(Decimal("0.01"))
            attempt.passed = attempt.percentage >= quiz.pass_mark
        Attempt.objects.bulk_update(
            [attempt for attempt, _ in attempts],
            ["submitted_at", "score", "percentage", "passed"],
            batch_size=2000,
        )
        AttemptQuestion.objects.bulk_create([row[0] for row in answers], batch_size=2000)
        Response.objects.bulk_create(
            (
                Response(
                    attempt_question=snapshot,
                    answer=answer,
                    answered_at=at,
                    time_spent=spent,
                    correct=grade.correct,
                    score=grade.score,
                    points_awarded=points,
                    feedback=grade.feedback,
                    normalized_answer=grade.normalized_answer,
                    graded_at=at,
                )
                for snapshot, answer, spent, at, grade, points in answers
            ),
            batch_size=2000,
        )
        written += len(attempts)
    return written


def write_histories(
    histories: Iterable[LearnerHistory], user_ids: dict[int, int], batch_size: int
) -> tuple[int, int]:
    """Insert one chunk of learners in one transaction; returns (reviews, cards) written."""
    reviews, cards, days = [], [], []
    for history in histories:
        user_id = user_ids[history.index]
        reviews += [(row, user_id) for row in history.reviews]
        cards += [(row, user_id) for row in history.cards]
        days += [
            ReviewDay(user_id=user_id, day=day, **tally.as_dict())
            for day, tally in sorted(history.days.items())
        ]
    # In time order across the chunk's learners, the way a live server appends rows.
    reviews.sort(key=lambda item: item[0][3])
    cards.sort(key=lambda item: item[0][3])
    with transaction.atomic():
        CardState.objects.bulk_create(
            (_card_state(row, user_id) for row, user_id in cards), batch_size=batch_size
        )
        Review.objects.bulk_create(
            (_review(row, user_id) for row, user_id in reviews), batch_size=batch_size
        )
        ReviewDay.objects.bulk_create(days, batch_size=batch_size)
        # bulk_create stamps `updated_at` with the wall clock; a live server stamped each card
        # when it was last reviewed (a sync from a cursor before the build would otherwise
        # find every card changed).
        CardState.objects.filter(user_id__in={user_id for _, user_id in cards}).update(
            updated_at=F("last_review")
        )
    return len(reviews), len(cards)


def _review(row: ReviewRow, user_id: int) -> Review:
    qid, rating, state_before, reviewed_at, received_at, duration_ms, key = row
    return Review(
        uuid=uuid.UUID(int=key),
        user_id=user_id,
        question_id=qid,
        rating=rating,
        state_before=state_before,
        reviewed_at=reviewed_at,
        received_at=received_at,
        duration_ms=duration_ms,
    )


def _card_state(row: CardRow, user_id: int) -> CardState:
    qid, memory, suspended, _ = row
    return CardState(
        user_id=user_id,
        question_id=qid,
        state=memory.state,
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=memory.due,
        last_review=memory.last_review,
        last_review_day=memory.last_review_day,
        introduced_day=memory.introduced_day,
        reps=memory.reps,
        lapses=memory.lapses,
        leech=memory.lapses >= LEECH_LAPSES,
        suspended=suspended,
    )


def counted(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 'es' if noun.endswith('s') else 's'}"


def chunked(plans: Sequence[LearnerPlan], size: int) -> list[list[LearnerPlan]]:
    return [list(plans[i : i + size]) for i in range(0, len(plans), size)]


# --- the command ----------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Generate load data: load-learner-N students with review histories simulated through "
        "the real FSRS scheduler (card states equal their replay), over decks of generated "
        "questions, in classes. Refuses when load data exists; --reset deletes it first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=1000)
        parser.add_argument(
            "--cards", type=int, default=1000, help="questions, all studied by every learner"
        )
        parser.add_argument("--reviews", type=int, default=2_000_000, help="reviews in all")
        parser.add_argument("--classes", type=int, default=40)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, default=365, help="history length in days")
        parser.add_argument(
            "--until",
            type=datetime.fromisoformat,
            help="histories end the study day before this moment (ISO 8601, UTC unless an "
            "offset is given; default: now). Fixed dates make databases comparable.",
        )
        parser.add_argument("--reset", action="store_true", help="delete previous load data")
        parser.add_argument(
            "--extra-learner",
            type=int,
            action="append",
            default=[],
            metavar="REVIEWS",
            help="add a learner with exactly this many reviews (repeatable), numbered from "
            f"{EXTRA_LEARNER_START + 1:,}",
        )
        parser.add_argument(
            "--quiz-class",
            type=int,
            action="append",
            default=[],
            metavar="STUDENTS",
            help="add a class of the first STUDENTS learners with a quiz assigned and their "
            "submitted attempts (repeatable)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=min(os.cpu_count() or 1, 4),
            help="simulation processes (default: the CPU count, at most 4)",
        )
        parser.add_argument(
            "--batch-size", type=int, help="rows per INSERT (default 2000; 5000 on PostgreSQL)"
        )

    def handle(self, *args, verbosity=1, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Load data is for development databases; refused in production.")
        learners, cards = options["learners"], options["cards"]
        reviews, days, seed = options["reviews"], options["days"], options["seed"]
        extras, quiz_classes = options["extra_learner"], options["quiz_class"]
        self._check_sizes(learners, cards, reviews, days)
        self._check_extras(learners, extras, quiz_classes, days)
        until = self._until(options["until"])
        started = time.monotonic()
        self._make_room(reset=options["reset"])

        profiles = [learner_profile(seed, i) for i in range(1, learners + 1)]
        profiles += [
            learner_profile(seed, EXTRA_LEARNER_START + k) for k in range(1, len(extras) + 1)
        ]
        per_learner = [share(reviews, learners, i) for i in range(learners)] + list(extras)
        joined = until - timedelta(days=days + 2)
        with transaction.atomic():
            teacher, decks, pool = create_bank(random.Random(f"quizapp-load:{seed}:bank"), cards)
            learner_settings = create_learners(profiles, per_learner, joined)
            classes = self._classes(
                options["classes"], teacher, learner_settings, decks, joined, until
            )
        plans = [
            LearnerPlan(p, scheduler_config(s), n, days, until, seed)
            for p, s, n in zip(profiles, learner_settings, per_learner, strict=True)
        ]
        user_ids = {p.index: s.user_id for p, s in zip(profiles, learner_settings, strict=True)}
        batch_size = options["batch_size"] or (5000 if connection.vendor == "postgresql" else 2000)
        written, card_states = self._generate(
            plans, pool, user_ids, batch_size, options["workers"], verbosity
        )
        attempts = 0
        if quiz_classes:
            with transaction.atomic():
                attempts = create_quiz_classes(
                    quiz_classes,
                    teacher=teacher,
                    learners=learner_settings,
                    profiles=profiles,
                    pool=pool,
                    joined=joined,
                    until=until,
                    seed=seed,
                )
            classes += len(quiz_classes)
        load_data_stamp(joined)
        self._analyze()
        elapsed = time.monotonic() - started
        quizzed = f", {counted(attempts, 'quiz attempt')}" if attempts else ""
        self.stdout.write(
            f"{counted(len(profiles), 'learner')} in {counted(classes, 'class')}, "
            f"{counted(cards, 'question')} in {counted(len(decks), 'deck')}, "
            f"{counted(card_states, 'card state')}, {counted(written, 'review')}{quizzed}: "
            f"{elapsed:.1f} s ({written / max(elapsed, 1e-9):,.0f} reviews/s, {connection.vendor})."
        )

    def _check_sizes(self, learners: int, cards: int, reviews: int, days: int) -> None:
        if learners < 1 or cards < 1 or days < 1 or reviews < 0:
            raise CommandError("--learners, --cards and --days must be at least 1, --reviews 0.")
        if reviews / learners / days > MAX_REVIEWS_PER_DAY:
            raise CommandError(
                f"{reviews / learners / days:.0f} reviews per learner per day is more than "
                f"{MAX_REVIEWS_PER_DAY}; raise --days or --learners."
            )

    def _check_extras(
        self, learners: int, extras: Sequence[int], quiz_classes: Sequence[int], days: int
    ) -> None:
        if any(n < 1 for n in extras):
            raise CommandError("--extra-learner needs at least 1 review.")
        if any(n / days > MAX_REVIEWS_PER_DAY for n in extras):
            raise CommandError(
                f"An extra learner with {max(extras):,} reviews would study more than "
                f"{MAX_REVIEWS_PER_DAY} a day; raise --days."
            )
        if any(n < 1 or n > learners + len(extras) for n in quiz_classes):
            raise CommandError("--quiz-class needs between 1 and as many students as learners.")
        if quiz_classes and not (
            apps.is_installed("quizapp.classroom") and apps.is_installed("quizapp.quizzes")
        ):
            raise CommandError("--quiz-class needs the quizapp.classroom and quizzes apps.")

    def _until(self, until: datetime | None) -> datetime:
        if until is None:
            return timezone.now().replace(second=0, microsecond=0)
        return until if timezone.is_aware(until) else until.replace(tzinfo=UTC)

    def _make_room(self, *, reset: bool) -> None:
        counts = load_counts()
        if counts.empty:
            return
        if not reset:
            raise CommandError(
                f"Load data already exists ({counts.users} load users, {counts.questions} "
                f"questions, {counts.decks} decks). Run again with --reset to replace it."
            )
        self.stdout.write("Deleting the previous load data…")
        load_data_delete()

    def _classes(
        self,
        count: int,
        teacher: User,
        learners: Sequence[LearnerSettings],
        decks: Sequence[Deck],
        joined: datetime,
        until: datetime,
    ) -> int:
        if not count:
            return 0
        if not apps.is_installed("quizapp.classroom"):
            self.stdout.write(f"--classes {count}: skipped (no quizapp.classroom app).")
            return 0
        due = until + ASSIGNMENT_DUE
        return create_classes(
            min(count, len(learners)),
            teacher=teacher,
            learners=learners,
            decks=decks,
            joined=joined,
            due=due,
        )

    def _generate(
        self,
        plans: Sequence[LearnerPlan],
        pool: QuestionPool,
        user_ids: dict[int, int],
        batch_size: int,
        workers: int,
        verbosity: int,
    ) -> tuple[int, int]:
        per_chunk = max(1, min(100, CHUNK_REVIEWS // max(1, plans[0].reviews)))
        chunks = chunked(plans, per_chunk)
        reviews = cards = learners = 0
        with (
            simulation(chunks, pool, workers) as histories,
            tqdm(
                total=sum(p.reviews for p in plans),
                desc="reviews",
                unit="review",
                unit_scale=True,
                disable=verbosity < 1,
                file=self.stderr,
            ) as bar,
        ):
            for chunk in histories:
                written, card_states = write_histories(chunk, user_ids, batch_size)
                reviews += written
                cards += card_states
                learners += len(chunk)
                bar.update(written)
                bar.set_postfix(learners=f"{learners}/{len(plans)}", refresh=False)
        return reviews, cards

    def _analyze(self) -> None:
        # Fresh planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite)
        # would gather on a database that grew to this size.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
