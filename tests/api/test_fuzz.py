"""Hostile JSON against every write operation of the API contract (docs/openapi.yaml, which
`test_the_committed_schema_matches_the_code` holds equal to the code): lone surrogates, NUL
characters, nesting 10,000 deep, numbers beyond any range, huge strings and lists, and every
wrong JSON type, as the whole body, as each field of a valid body, and as field names.

Every answer must be a 4xx with the documented error body and a documented code, or a 2xx
where the input happens to be valid; never a 5xx; and a refused request writes nothing (no
INSERT, UPDATE or DELETE reaches a table of the domain apps). Each operation also refuses a
field it does not take, naming it. Operations are found in the
schema, so a new one is fuzzed without being listed here (its path parameters need a value in
`PATH_VALUES`, or its test fails saying so). Schemathesis (`test_schemathesis.py`) covers what
the schema allows; this covers what no client should send.
"""

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizapp.classroom.models import Classroom, Enrolment
from quizapp.classroom.services import invitation_create
from quizapp.quizzes.services import attempt_start
from quizapp.study.services import deck_preset_create, review_record
from tests.api.conftest import error_of, token_client
from tests.api.quiz_data import question_of_each_type
from tests.factories import DeckFactory, QuestionFactory, QuizFactory, TeacherFactory

ROOT = Path(settings.BASE_DIR)
SCHEMA = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
WRITE_METHODS = ("post", "put", "patch", "delete")
OPERATIONS = [
    (method, path)
    for path, operations in SCHEMA["paths"].items()
    for method in operations
    if method in WRITE_METHODS
]
ANSWER_TYPES = [
    "single_choice",
    "multiple_choice",
    "true_false",
    "short_text",
    "numeric",
    "ordering",
    "matching",
]

DEPTH = 10_000
# Raw JSON texts; each goes in as the whole body, as every field's value, or both.
HOSTILE_VALUES = {
    "lone high surrogate": '"\\ud800"',
    "lone low surrogate": '"x\\udfffy"',
    "reversed surrogate pair": '"\\ude00\\ud83d"',
    "NUL": '"a\\u0000b"',
    "deep array": "[" * DEPTH + "]" * DEPTH,
    "deep object": '{"a":' * DEPTH + "0" + "}" * DEPTH,
    "1e400": "1e400",
    "-1e400": "-1e400",
    "10**5000": "1" + "0" * 5000,
    "huge string": '"' + "x" * 300_000 + '"',
    "huge list": "[" + ",".join(["7"] * 50_000) + "]",
    "true": "true",
    "zero": "0",
    "negative": "-1",
    "fraction": "3.5",
    "empty string": '""',
    "blank string": '"  "',
    "string": '"text"',
    "empty list": "[]",
    "empty object": "{}",
    "null": "null",
    "list of null": "[null]",
    "nested": '{"k": [1, {"v": "w"}]}',
}
HOSTILE_BODIES = {
    **HOSTILE_VALUES,
    "nothing": "",
    "truncated": '{"a": ',
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "two documents": "{} {}",
    "over the size limit": '"' + "x" * (settings.API_MAX_BODY_BYTES + 10) + '"',
}
HOSTILE_NAMES = {"surrogate": "\\ud800", "NUL": "a\\u0000b", "empty": ""}


def documented_error_codes() -> set[str]:
    """The codes docs/api.md promises (its Conventions: "`code` is stable (...)")."""
    guide = (ROOT / "docs" / "api.md").read_text()
    listed = re.search(r"`code` is stable\s*\((.*?)\);", guide, re.S)
    assert listed, "docs/api.md no longer lists the error codes"
    return set(re.findall(r"`([a-z_]+)`", listed.group(1)))


CODES = documented_error_codes()


# --------------------------------------------------------------------------- bodies


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(schema: dict) -> Any:
    """A value of the schema's shape (not necessarily one the server accepts: a password, a
    join code or an answer's content may still be wrong, which is a 4xx like any other)."""
    schema = resolve(schema)
    if "oneOf" in schema:
        return example(schema["oneOf"][0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example(value) for name, value in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema.get("items", {}))]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 0.5)
    if kind == "boolean":
        return True
    if "enum" in schema:
        return schema["enum"][0]
    return {
        "uuid": str(uuid.uuid4()),
        "date-time": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "email": "someone@example.com",
    }.get(schema.get("format"), "text")


PLACEHOLDER = "\u2603fuzz\u2603"


def with_value_at(body: Any, path: tuple, raw: str) -> str:
    """The body as JSON text with the raw JSON `raw` at `path` (built as text: a value nested
    10,000 deep cannot go through json.dumps)."""

    def put(node: Any, rest: tuple) -> Any:
        if not rest:
            return PLACEHOLDER
        copy = list(node) if isinstance(node, list) else dict(node)
        copy[rest[0]] = put(node[rest[0]], rest[1:])
        return copy

    return json.dumps(put(body, path)).replace(json.dumps(PLACEHOLDER), raw)


def with_name_at(body: Any, path: tuple, raw_name: str) -> str:
    """The body with an extra field named `raw_name` (a JSON string's inside) in the object at
    `path`."""

    def put(node: Any, rest: tuple) -> Any:
        if not rest:
            return {**node, PLACEHOLDER: 1}
        copy = list(node) if isinstance(node, list) else dict(node)
        copy[rest[0]] = put(node[rest[0]], rest[1:])
        return copy

    return json.dumps(put(body, path)).replace(json.dumps(PLACEHOLDER), f'"{raw_name}"')


def places(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, bool]]:
    """Every (path, is_object) in a body: each value, and whether it is an object."""
    if isinstance(node, dict):
        yield path, True
        for key, value in node.items():
            yield from places(value, (*path, key))
    elif isinstance(node, list):
        yield path, False
        for index, value in enumerate(node):
            yield from places(value, (*path, index))
    else:
        yield path, False


def valid_body(operation: dict) -> Any:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return example(content["schema"]) if content else None


def hostile_requests(operation: dict, *, whole_bodies: bool = True) -> Iterator[tuple[str, str]]:
    """(what, body text) for one operation."""
    body = valid_body(operation)
    valid = {} if body is None else body
    if whole_bodies:
        for name, raw in HOSTILE_BODIES.items():
            yield f"body: {name}", raw
    yield "an unknown field", json.dumps({**valid, "unexpected": 1})
    for path, is_object in places(valid):
        if path:
            for name, raw in HOSTILE_VALUES.items():
                yield f"{'.'.join(map(str, path))}: {name}", with_value_at(valid, path, raw)
        if is_object:
            for name, raw in HOSTILE_NAMES.items():
                where = ".".join(map(str, path)) or "body"
                yield f"{where}: field named {name}", with_name_at(valid, path, raw)
    if body is None:
        for name, raw in HOSTILE_VALUES.items():
            yield f"field: {name}", with_value_at({"field": None}, ("field",), raw)


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    learner: object
    path_values: dict[str, object]


@pytest.fixture
def world(learner, generous_limits) -> World:
    teacher = TeacherFactory()
    deck = DeckFactory()
    card = QuestionFactory(deck=deck)
    review_record(
        user=learner,
        question=card,
        rating=3,
        reviewed_at=timezone.now() - timedelta(hours=1),
        review_id=uuid.uuid4(),
    )
    questions = question_of_each_type(owner=teacher)
    quiz = QuizFactory(owner=teacher, questions=questions, feedback_mode="after_submit")
    attempt = attempt_start(user=learner, quiz=quiz)
    classroom = Classroom.objects.create(name="9B")
    classroom.teachers.add(teacher)
    Enrolment.objects.create(classroom=classroom, student=learner, joined_at=timezone.now())
    preset = deck_preset_create(user=learner, name="Exam term")
    invited = Classroom.objects.create(name="10A")
    invited.teachers.add(teacher)
    invitation = invitation_create(classroom=invited, username=learner.username, by=teacher)
    return World(
        learner=learner,
        path_values={
            "quizzes": quiz.pk,
            "attempts": attempt.pk,
            "answers": {q.type: q.pk for q in questions},
            "cards": card.slug,
            "classes": classroom.pk,
            "presets": preset.pk,
            "decks": deck.slug,
            "invitations": invitation.pk,
        },
    )


def urls_of(path: str, world: World) -> list[str]:
    """The path with each parameter filled by the object the segment before it names; one URL
    per choice where there are several (a question of each type for answers)."""
    urls = [path]
    for match in re.finditer(r"\{[^}]+\}", path):
        segment = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        assert segment in world.path_values, (
            f"No value for {match.group()} after /{segment}/ in {path}: add one to the world."
        )
        found = world.path_values[segment]
        values = list(found.values()) if isinstance(found, dict) else [found]
        urls = [url.replace(match.group(), str(value), 1) for url in urls for value in values]
    return urls


DOMAIN_TABLES = {
    model._meta.db_table
    for label in ("accounts", "bank", "study", "quizzes", "classroom")
    for model in apps.get_app_config(label).get_models(include_auto_created=True)
}
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)


def domain_writes(queries: list[dict]) -> list[str]:
    """The domain tables a request wrote to (not tokens, sessions, caches, lock-out records)."""
    return [
        match.group(1)
        for query in queries
        if (match := WRITE.match(query["sql"])) and match.group(1) in DOMAIN_TABLES
    ]


def send(client, method: str, url: str, text: str):
    return getattr(client, method)(url, text.encode("utf-8"), content_type="application/json")


# --------------------------------------------------------------------------- the tests


def test_the_fuzz_finds_every_write_operation():
    assert len(OPERATIONS) >= 17
    assert ("put", "/api/v1/attempts/{id}/answers/{question}") in OPERATIONS
    assert {"invalid", "parse_error", "payload_too_large", "malformed_answer"} <= CODES


def test_the_write_check_sees_a_write(world):
    with CaptureQueriesContext(connection) as queries:
        response = token_client(world.learner).patch(
            "/api/v1/me/settings", {"new_cards_per_day": 3}
        )
    assert response.status_code == 200
    assert "study_learnersettings" in domain_writes(queries.captured_queries)


def check(response, what: str, writes: list[str]) -> str | None:
    """What is wrong with one answer to hostile input, if anything."""
    status = response.status_code
    if not (200 <= status < 300 or 400 <= status < 500):
        return f"{what}: {status}"
    if status < 400:
        return None
    if response["Content-Type"] != "application/json":
        return f"{what}: {status} as {response['Content-Type']}"
    code = error_of(response)["code"]
    if code not in CODES:
        return f"{what}: undocumented code {code!r}"
    if writes:
        return f"{what}: {status} {code}, but it wrote to {sorted(set(writes))}"
    if what == "an unknown field" and "unexpected" not in error_of(response)["fields"]:
        return f"{what}: {status} {code} without naming it: {error_of(response)}"
    return None


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS]
)
def test_hostile_json_is_refused_with_the_error_body_and_writes_nothing(world, method, path):
    operation = SCHEMA["paths"][path][method]
    problems = []
    client = None
    for number, url in enumerate(urls_of(path, world)):
        for what, text in hostile_requests(operation, whole_bodies=number == 0):
            if client is None:  # a new device after any success: it may have been a logout
                client = token_client(world.learner)
                client.raise_request_exception = False  # a 500 is a finding, like the rest
            with CaptureQueriesContext(connection) as queries:
                response = send(client, method, url, text)
            if response.status_code < 400:
                client = None
            if what == "an unknown field" and response.status_code != 400:
                problems.append(f"{what}: {response.status_code}, not 400")
            elif problem := check(response, what, domain_writes(queries.captured_queries)):
                problems.append(problem)
    assert not problems, f"{method.upper()} {path}:\n" + "\n".join(problems)
