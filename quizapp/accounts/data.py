"""A learner's personal data, all of it, as JSON: what "Download my data" gives (web and API).

This is the one place that knows every app's personal data, so it reads across them (study,
quizzes, classroom, device tokens); `learner_delete` in `services.py` is its counterpart.
Reviews and card states can run to hundreds of thousands of rows, so they are read in chunks
(`iterator`) and `learner_data_json` streams the document without holding it in memory;
`learner_data_export` builds the same document as a dict. Queries: a constant number.

A quiz attempt is exported as the attempt page shows it (`attempt_view`, the one rule for
every face): answers name options by their text, never by the bank ids they are stored with
(those follow authoring order: an ordering answer's ids sort into the right order), questions
by id (a slug may describe the answer), and correctness, points and feedback only once the
quiz's feedback mode shows them, so downloading one's data never reveals the answers of a
quiz that is still open.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from knox.models import AuthToken

from quizapp.classroom.models import Enrolment, Invitation
from quizapp.quizzes.models import Attempt, AttemptQuestion
from quizapp.quizzes.selectors import AttemptView, attempt_view, shown_answer
from quizapp.study.models import (
    CardState,
    DeckPreset,
    DeckPresetAssignment,
    LearnerSettings,
    Review,
)
from quizapp.study.presets import OPTION_FIELDS

FORMAT = "quizapp-learner-data"
VERSION = 2  # 2: quiz answers by option text, questions by id (not slug)
CHUNK_ROWS = 2000
CARD_STATES = {value: label.lower() for value, label in CardState.State.choices}
SETTINGS_FIELDS = (
    *OPTION_FIELDS,
    "time_zone",
    "day_start_hour",
    "suspend_leeches",
    "parameters",
    "parameters_fitted_at",
    "last_fit_at",
    "last_fit_log_loss",
    "last_fit_current_log_loss",
    "last_fit_applied",
    "updated_at",
)


def _time(value: datetime | None) -> str | None:
    """As the API writes times: ISO 8601, UTC as `Z`."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _profile(user) -> dict:
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": _time(user.date_joined),
        "last_login": _time(user.last_login),
    }


def _settings(user) -> dict:
    # Read without creating: a learner who never opened the settings has the defaults.
    settings = LearnerSettings.objects.filter(user=user).first() or LearnerSettings(user=user)
    values = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
    for name in ("parameters_fitted_at", "last_fit_at", "updated_at"):
        values[name] = _time(values[name])
    return values


def _presets(user) -> list[dict]:
    """The learner's named deck presets, each with the slugs of the decks given it."""
    decks: dict[int, list[str]] = defaultdict(list)
    for preset_id, slug in (
        DeckPresetAssignment.objects.filter(user=user)
        .order_by("deck__slug")
        .values_list("preset_id", "deck__slug")
    ):
        decks[preset_id].append(slug)
    return [
        {
            "name": preset.name,
            **{name: getattr(preset, name) for name in OPTION_FIELDS},
            "decks": decks[preset.pk],
        }
        for preset in DeckPreset.objects.filter(user=user).order_by("name", "pk")
    ]


def _reviews(user) -> Iterator[dict]:
    rows = (
        Review.objects.filter(user=user)
        .order_by("reviewed_at", "uuid")
        .values_list(
            "uuid",
            "question__slug",
            "rating",
            "reviewed_at",
            "received_at",
            "duration_ms",
            "source",
            "device_id",
        )
    )
    for uuid, question, rating, reviewed_at, received_at, duration, source, device in rows.iterator(
        chunk_size=CHUNK_ROWS
    ):
        yield {
            "id": str(uuid),
            "question": question,
            "rating": rating,
            "reviewed_at": _time(reviewed_at),
            "received_at": _time(received_at),
            "duration_ms": duration,
            "source": source,
            "device_id": device,
        }


def _cards(user) -> Iterator[dict]:
    rows = (
        CardState.objects.filter(user=user)
        .order_by("question__slug")
        .values(
            "question__slug",
            "state",
            "step",
            "stability",
            "difficulty",
            "due",
            "last_review",
            "reps",
            "lapses",
            "leech",
            "suspended",
            "buried_until",
            "reset_at",
            "updated_at",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK_ROWS):
        yield {
            "question": row["question__slug"],
            "state": CARD_STATES.get(row["state"], "new"),
            "step": row["step"],
            "stability": row["stability"],
            "difficulty": row["difficulty"],
            "due": _time(row["due"]),
            "last_review": _time(row["last_review"]),
            "reps": row["reps"],
            "lapses": row["lapses"],
            "leech": row["leech"],
            "suspended": row["suspended"],
            "buried_until": _time(row["buried_until"]),
            "reset_at": _time(row["reset_at"]),
            "updated_at": _time(row["updated_at"]),
        }


def _responses(view: AttemptView, questions: list[AttemptQuestion]) -> list[dict]:
    """Each question as the attempt shows it now (`attempt_view`): options by their text,
    results only where the feedback mode shows them."""
    rows = []
    for question, aq in zip(view.questions, questions, strict=True):
        response = getattr(aq, "response", None)
        result = question.result if response is not None else None
        rows.append(
            {
                "position": question.position,
                "question_id": question.question_id,
                "prompt": question.prompt,
                "answer": shown_answer(question),
                "answered_at": _time(response.answered_at) if response else None,
                "time_spent_ms": (
                    int(response.time_spent.total_seconds() * 1000) if response else None
                ),
                "correct": result.correct if result else None,
                "score": result.score if result else None,
                "points_awarded": _decimal(result.points_awarded) if result else None,
                "feedback": result.feedback if result else "",
            }
        )
    return rows


def _attempts(user, now: datetime) -> list[dict]:
    attempts = list(
        Attempt.objects.filter(user=user).select_related("quiz").order_by("started_at", "pk")
    )
    questions: dict[int, list[AttemptQuestion]] = defaultdict(list)
    for aq in (
        AttemptQuestion.objects.filter(attempt__in=[a.pk for a in attempts])
        .select_related("response")
        .order_by("attempt_id", "position")
    ):
        questions[aq.attempt_id].append(aq)
    rows = []
    for attempt in attempts:
        view = attempt_view(attempt=attempt, now=now, questions=questions[attempt.pk])
        rows.append(
            {
                "id": attempt.pk,
                "quiz": {"id": attempt.quiz_id, "title": attempt.quiz.title},
                "number": attempt.number,
                "status": attempt.status,
                "started_at": _time(attempt.started_at),
                "deadline": _time(attempt.deadline),
                "submitted_at": _time(attempt.submitted_at),
                "auto_submitted": attempt.auto_submitted,
                "results_visible": view.results_visible,
                "score": _decimal(view.score),
                "max_score": _decimal(attempt.max_score),
                "percentage": _decimal(view.percentage),
                "passed": view.passed,
                "responses": _responses(view, questions[attempt.pk]),
            }
        )
    return rows


def _classes(user) -> list[dict]:
    return [
        {"id": classroom_id, "name": name, "joined_at": _time(joined_at)}
        for classroom_id, name, joined_at in Enrolment.objects.filter(student=user)
        .order_by("joined_at", "pk")
        .values_list("classroom_id", "classroom__name", "joined_at")
    ]


def _class_invitations(user) -> list[dict]:
    """Open invitations from teachers (each names the learner by username)."""
    return [
        {"class_name": name, "invited_by": inviter, "invited_at": _time(invited_at)}
        for name, inviter, invited_at in Invitation.objects.filter(student=user)
        .order_by("invited_at", "pk")
        .values_list("classroom__name", "invited_by__username", "invited_at")
    ]


def _devices(user) -> list[dict]:
    """Signed-in devices (API tokens): when each signed in and when it expires. Never the
    token, which is stored only as a hash anyway."""
    return [
        {"signed_in_at": _time(created), "expires_at": _time(expiry)}
        for created, expiry in AuthToken.objects.filter(user=user)
        .order_by("created")
        .values_list("created", "expiry")
    ]


def learner_data_sections(*, user, now: datetime | None = None) -> dict[str, Any]:
    """The export, section by section; `reviews` and `cards` are iterators (read lazily)."""
    now = now or timezone.now()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _time(now),
        "profile": _profile(user),
        "settings": _settings(user),
        "presets": _presets(user),
        "reviews": _reviews(user),
        "cards": _cards(user),
        "quiz_attempts": _attempts(user, now),
        "classes": _classes(user),
        "class_invitations": _class_invitations(user),
        "devices": _devices(user),
    }


def learner_data_export(*, user, now: datetime | None = None) -> dict[str, Any]:
    """Everything stored about a learner, as one JSON-serialisable dict."""
    return {
        name: list(value) if isinstance(value, Iterator) else value
        for name, value in learner_data_sections(user=user, now=now).items()
    }


def _json_array(rows: Iterable[dict]) -> Iterator[str]:
    yield "["
    batch: list[str] = []
    first = True
    for row in rows:
        batch.append(json.dumps(row))
        if len(batch) == CHUNK_ROWS:
            yield ("" if first else ",") + ",".join(batch)
            batch, first = [], False
    if batch:
        yield ("" if first else ",") + ",".join(batch)
    yield "]"


def learner_data_json(*, user, now: datetime | None = None) -> Iterator[str]:
    """The export as JSON text, in pieces (for a streaming response): the same document as
    `json.dumps(learner_data_export(...))`, never wholly in memory."""
    sections = learner_data_sections(user=user, now=now)
    yield "{"
    for index, (name, value) in enumerate(sections.items()):
        yield ("," if index else "") + json.dumps(name) + ":"
        if isinstance(value, Iterator):
            yield from _json_array(value)
        else:
            yield json.dumps(value)
    yield "}"
