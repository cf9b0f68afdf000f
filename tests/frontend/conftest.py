import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from quizapp.study.services import review_record
from tests.factories import (
    AcceptedAnswerFactory,
    ChoiceFactory,
    DeckFactory,
    MatchPairFactory,
    OrderItemFactory,
    ParagraphFactory,
    QuestionFactory,
    QuoteFactory,
    SourceFactory,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STATIC = settings.BASE_DIR / "frontend" / "static" / "frontend"
PAGE_BUDGET = 100_000


def page_weight(response) -> int:
    """HTML + the stylesheet + our script modules (htmx itself is excluded by the budget)."""
    return len(response.content) + sum(
        (STATIC / name).stat().st_size for name in ("quizapp.css", "shortcuts.js", "autosave.js")
    )


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def learner(student):
    student.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
    student.save(update_fields=["date_joined"])
    return student


@pytest.fixture
def other_learner(other_student):
    other_student.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
    other_student.save(update_fields=["date_joined"])
    return other_student


@pytest.fixture
def signed_in(client, learner) -> Client:
    client.force_login(learner)
    return client


@pytest.fixture
def csrf_client(learner) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    return client


@pytest.fixture
def source(db):
    source = SourceFactory(slug="the-article", title="The article")
    for number, text in enumerate(
        [
            "Yerevan is the capital of Armenia and its largest city.",
            "Baku is the capital of Azerbaijan, on the Caspian Sea.",
            "The ceasefire of 1994 ended the first war.",
        ],
        start=1,
    ):
        ParagraphFactory(source=source, number=number, text=text)
    return source


@dataclass
class Bank:
    deck: object
    true_false: object
    single: object
    multiple: object
    short_text: object
    numeric: object
    ordering: object
    matching: object
    draft: object

    @property
    def published(self):
        return [
            self.true_false,
            self.single,
            self.multiple,
            self.short_text,
            self.numeric,
            self.ordering,
            self.matching,
        ]


@pytest.fixture
def bank(source):
    """A deck with one published question of every type, each quoting the source."""
    deck = DeckFactory(slug="capitals", title="Capitals")
    paragraphs = list(source.paragraphs.order_by("number"))

    def question(qtype, **fields):
        fields = {"answer_bool": None, "shuffle_choices": False, **fields}
        q = QuestionFactory(deck=deck, type=qtype, source=source, **fields)
        QuoteFactory(question=q, paragraph=paragraphs[0], text="Yerevan is the capital of Armenia")
        return q

    true_false = question("true_false", answer_bool=True, prompt="Yerevan is Armenia's capital.")
    single = question("single_choice", prompt="Which city is the capital of Armenia?")
    for position, (text, correct) in enumerate(
        [("Baku", False), ("Yerevan", True), ("Moscow", False)]
    ):
        ChoiceFactory(question=single, text=text, is_correct=correct, position=position)
    multiple = question("multiple_choice", prompt="Which are capitals?")
    for position, (text, correct) in enumerate(
        [("Baku", True), ("Yerevan", True), ("Lachin", False), ("Tegh", False)]
    ):
        ChoiceFactory(question=multiple, text=text, is_correct=correct, position=position)
    short_text = question("short_text", prompt="Name the capital of Azerbaijan.", typo_tolerance=1)
    AcceptedAnswerFactory(question=short_text, text="Baku", position=0)
    numeric = question(
        "numeric", prompt="In which year was the ceasefire?", numeric_value=Decimal(1994)
    )
    ordering = question("ordering", prompt="Order these from west to east.")
    for position, text in enumerate(["Yerevan", "Baku", "Tashkent"]):
        OrderItemFactory(question=ordering, text=text, position=position)
    matching = question("matching", prompt="Match each capital to its country.")
    for position, (left, right) in enumerate(
        [("Yerevan", "Armenia"), ("Baku", "Azerbaijan"), ("Tbilisi", "Georgia")]
    ):
        MatchPairFactory(question=matching, left=left, right=right, position=position)
    draft = question("true_false", answer_bool=True, status="draft", prompt="A draft.")
    return Bank(deck, true_false, single, multiple, short_text, numeric, ordering, matching, draft)


def record(user, question, rating=3, at=NOW):
    return review_record(
        user=user, question=question, rating=rating, reviewed_at=at, review_id=uuid.uuid4()
    )


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no field {name}"
    return match.group(1)


def csrf_token(client: Client, url: str) -> str:
    return form_value(client.get(url).content.decode(), "csrfmiddlewaretoken")
