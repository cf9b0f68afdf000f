"""Schemathesis against a live server: every operation of the committed contract, every check,
with two learners configured as peers (its object-level authorization check replays each of
one learner's reads of her own objects as the other, who must not get them).

Two runs: the learners' (every operation but the teaching reports, pinned to the first peer)
and the teacher's (the reports). Seeded: a deck with questions citing a source, open quizzes of
every question type (public, and assigned to a class both learners are in), an attempt each,
reviews, a teacher with a second class to join. Schemathesis signs in through `POST /auth/login`
itself (a Web Fuzzing Commons auth file), so its own calls to `auth/logout`, `auth/logout-all`
only make it sign in again; dictionaries hand it real ids some of the time. A fixed seed and a
bounded number of examples keep it repeatable and at about two minutes on a busy two-core
machine; `SCHEMATHESIS_MAX_EXAMPLES` raises the bound. Runs on PostgreSQL too (DATABASE_URL).
"""

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.http import Http404
from django.utils import timezone

from quizapp.api.views import quizzes as quiz_views
from quizapp.bank.models import Paragraph, Quote, Source
from quizapp.classroom.models import Assignment, Classroom, Enrolment
from quizapp.quizzes.models import Attempt
from quizapp.quizzes.services import attempt_start
from quizapp.study.services import review_record
from tests.api.quiz_data import question_of_each_type
from tests.factories import (
    PASSWORD,
    DeckFactory,
    QuestionFactory,
    QuizFactory,
    StudentFactory,
    TeacherFactory,
)

SEED = 20260502
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
PEERS = ("alice", "bob")


@dataclass(frozen=True)
class Seeded:
    source: str
    join_code: str
    classroom: int
    quiz: int
    attempts: tuple[int, ...]  # the first peer's
    questions: tuple[int, ...]


def seed_data() -> Seeded:
    teacher = TeacherFactory(username="teacher")
    joined = timezone.now() - timedelta(days=30)
    learners = [StudentFactory(username=name, date_joined=joined) for name in PEERS]
    deck = DeckFactory(slug="capitals")
    source = Source.objects.create(slug="kars-treaty", title="The Treaty of Kars")
    paragraph = Paragraph.objects.create(source=source, number=1, text="Signed in 1921.")
    cards = [QuestionFactory(deck=deck, source=source) for _ in range(4)]
    Quote.objects.create(question=cards[0], paragraph=paragraph, text="Signed in 1921")
    questions = question_of_each_type(owner=teacher)
    open_quiz = QuizFactory(owner=teacher, questions=questions, feedback_mode="immediate")
    closes = timezone.now() + timedelta(days=7)
    assigned = QuizFactory(
        owner=teacher,
        visibility="assigned",
        questions=questions,
        feedback_mode="after_close",
        closes_at=closes,
        time_limit=timedelta(hours=2),
    )
    classroom = Classroom.objects.create(name="9B")
    classroom.teachers.add(teacher)
    Assignment.objects.create(classroom=classroom, quiz=assigned, due_at=closes)
    Assignment.objects.create(classroom=classroom, deck=deck, due_at=closes)
    another = Classroom.objects.create(name="10A")  # for joining
    another.teachers.add(teacher)
    attempts = {}
    for learner in learners:
        Enrolment.objects.create(classroom=classroom, student=learner, joined_at=joined)
        attempts[learner] = [
            attempt_start(user=learner, quiz=open_quiz).pk,
            attempt_start(user=learner, quiz=assigned).pk,
        ]
        review_record(
            user=learner,
            question=cards[0],
            rating=3,
            reviewed_at=timezone.now() - timedelta(hours=1),
            review_id=uuid.uuid4(),
        )
    return Seeded(
        source=source.slug,
        join_code=another.join_code,
        classroom=classroom.pk,
        quiz=assigned.pk,
        attempts=tuple(attempts[learners[0]]),
        questions=tuple(q.pk for q in questions),
    )


def wfc_auth_document() -> dict:
    """Each user signs in through the API; the token goes into `Authorization: Bearer`."""
    return {
        "schemaVersion": "1.0.0",
        "auth": [
            {
                "name": name,
                "loginEndpointAuth": {
                    "endpoint": "/api/v1/auth/login",
                    "verb": "POST",
                    "contentType": "application/json",
                    "payloadUserPwd": {
                        "username": name,
                        "password": PASSWORD,
                        "usernameField": "username",
                        "passwordField": "password",
                    },
                    "token": {
                        "extractFrom": "body",
                        "extractSelector": "/token",
                        "sendIn": "header",
                        "sendName": "Authorization",
                        "sendTemplate": "Bearer {token}",
                    },
                },
            }
            for name in (*PEERS, "teacher")
        ],
    }


# Requests the schema calls valid that the API may still refuse with 400, because what makes
# them valid is not a shape: a user's password, a password's strength, an existing join code,
# an IANA time zone name, a cursor the server signed, and an answer's shape, which depends on
# the question's type.
SEMANTIC_400 = [
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/register",
    "POST /api/v1/classes/join",
    "PATCH /api/v1/me/settings",
    "PUT /api/v1/attempts/{id}/answers/{question}",
    "GET /api/v1/sync",  # the cursor is signed by the server
    "DELETE /api/v1/me",  # the account's password
]


def config(auth_file: Path, seeded: Seeded, *, user: str) -> str:
    """Learners' run: pinned to the first peer, the other replaying her reads. Teacher's run:
    the teaching reports, as their teacher."""
    names = ", ".join(f'"{name}"' for name in PEERS)
    peers = f"peers = [{names}]" if user in PEERS else ""
    semantic = ", ".join(f'"{name}"' for name in SEMANTIC_400)
    return f"""
seed = {SEED}
workers = 1
color = false

[cache]
enabled = false

[generation]
max-examples = {MAX_EXAMPLES}
database = "none"

# More scenarios than operations get examples: links between operations (the preset and
# invitation ones) must not crowd out the attempt reads the peer check replays.
[phases.stateful.generation]
max-examples = {3 * MAX_EXAMPLES}

[checks]
enabled = true

[auth]
auto-signup = false

[auth.wfc]
path = "{auth_file}"
user = "{user}"
{peers}

[dictionaries.sources]
values = ["{seeded.source}"]

[dictionaries.codes]
values = ["{seeded.join_code}"]

[dictionaries.classes]
values = [{seeded.classroom}]

[dictionaries.quizzes]
values = [{seeded.quiz}]

[dictionaries.attempts]
values = [{", ".join(map(str, seeded.attempts))}]

[dictionaries.questions]
values = [{", ".join(map(str, seeded.questions))}]

[[operations]]
include-name = "GET /api/v1/sources/{{slug}}"
parameters = {{ "path.slug" = {{ dictionary = "sources", probability = 0.5 }} }}

[[operations]]
include-name = "POST /api/v1/classes/join"
parameters = {{ "body.code" = {{ dictionary = "codes", probability = 0.3 }} }}

[[operations]]
include-name = "GET /api/v1/classes/{{id}}/results"
parameters = {{ "path.id" = {{ dictionary = "classes", probability = 0.5 }} }}

[[operations]]
include-name = "GET /api/v1/quizzes/{{id}}/item-analysis"
parameters = {{ "path.id" = {{ dictionary = "quizzes", probability = 0.5 }} }}

[[operations]]
include-name = "PUT /api/v1/attempts/{{id}}/answers/{{question}}"
[operations.parameters]
"path.id" = {{ dictionary = "attempts", probability = 0.5 }}
"path.question" = {{ dictionary = "questions", probability = 0.5 }}

[[operations]]
include-name = [{semantic}]
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", 400, 401, 403, 404, 409, 429, "5xx"
]
"""


def schemathesis(config_file: Path, schema_url: str, *arguments: str, report_dir: Path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config_file),
            "run",
            schema_url,
            "--checks",
            "all",
            "--report",
            "ndjson",
            "--report-dir",
            str(report_dir),
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=report_dir,
    )
    (report_dir / "output.txt").write_text(run.stdout + run.stderr)
    return run


def failures(run: subprocess.CompletedProcess, report_dir: Path) -> str:
    """Schemathesis's report, each line cut short (a failing case's curl can be huge); the
    whole output is kept in the report directory."""
    lines = [line[:400] for line in (run.stdout + run.stderr).splitlines()]
    return f"(full output: {report_dir / 'output.txt'})\n" + "\n".join(lines[-400:])


@pytest.fixture
def attempt_reads(monkeypatch) -> list[tuple[str, int, int]]:
    """(who, attempt id, status) of every attempt the live server was asked for, to show that
    the peer check did replay one learner's attempts as the other."""
    reads = []
    original = quiz_views._own_attempt

    def recording(request, id):
        try:
            attempt = original(request, id)
        except Http404:
            reads.append((request.user.get_username(), id, 404))
            raise
        reads.append((request.user.get_username(), id, 200))
        return attempt

    monkeypatch.setattr(quiz_views, "_own_attempt", recording)
    return reads


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_nothing(live_server, generous_limits, attempt_reads, tmp_path):
    seeded = seed_data()
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps(wfc_auth_document()))
    schema_url = f"{live_server.url}/api/schema/"

    learners = tmp_path / "learners"
    learners.mkdir()
    (learners / "schemathesis.toml").write_text(config(auth_file, seeded, user=PEERS[0]))
    run = schemathesis(
        learners / "schemathesis.toml", schema_url, "--exclude-tag", "teaching", report_dir=learners
    )
    assert run.returncode == 0, failures(run, learners)

    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "schemathesis.toml").write_text(config(auth_file, seeded, user="teacher"))
    run = schemathesis(
        teacher / "schemathesis.toml", schema_url, "--include-tag", "teaching", report_dir=teacher
    )
    assert run.returncode == 0, failures(run, teacher)

    # The peer check ran: the second learner asked for the first one's attempts, and got 404s.
    owners = dict(Attempt.objects.values_list("pk", "user__username"))
    replayed = [(who, id, code) for who, id, code in attempt_reads if owners.get(id) == PEERS[0]]
    assert any(who == PEERS[1] for who, _, _ in replayed), attempt_reads
    assert all(code == 404 for who, _, code in replayed if who != PEERS[0]), replayed
