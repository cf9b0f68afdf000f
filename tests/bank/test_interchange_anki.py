"""Anki packages: a zip holding a SQLite collection with one note per question."""

import io
import json
import sqlite3
import zipfile

import pytest

from quizapp.bank.interchange.anki import MODEL_ID, note_guid, stable_id
from quizapp.bank.interchange.services import export_anki
from quizapp.bank.models import MatchPair
from tests.factories import (
    ChoiceQuestionFactory,
    DeckFactory,
    ParagraphFactory,
    QuestionFactory,
    QuoteFactory,
    SourceFactory,
)

FIELD_SEPARATOR = "\x1f"


def open_collection(package: bytes, tmp_path) -> sqlite3.Connection:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert {"collection.anki2", "media"} <= set(archive.namelist())
        path = tmp_path / "collection.anki2"
        path.write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(path)


def notes(connection: sqlite3.Connection) -> dict[str, list[str]]:
    """Each note's fields (Front, Back, Source) by GUID."""
    rows = connection.execute("SELECT guid, flds FROM notes").fetchall()
    return {guid: fields.split(FIELD_SEPARATOR) for guid, fields in rows}


@pytest.fixture
def deck(teacher):
    deck = DeckFactory(slug="capitals", title="Capitals", owner=teacher)
    source = SourceFactory(title="The Atlas")
    paragraph = ParagraphFactory(source=source, number=4, text="Paris is the capital of France.")
    capital = ChoiceQuestionFactory(
        slug="capital",
        prompt="Capital of France?",
        explanation="See the atlas.",
        choices=[("Paris", True), ("Lyon", False)],
        source=source,
        deck=deck,
    )
    QuoteFactory(question=capital, paragraph=paragraph, text="Paris is the capital")
    QuestionFactory(slug="round", prompt="The earth is <round> & blue.", deck=deck)
    matching = QuestionFactory(slug="match", type="matching", answer_bool=None, deck=deck)
    MatchPair.objects.create(question=matching, left="Canada", right="Ottawa", position=0)
    MatchPair.objects.create(question=matching, left="Italy", right="Rome", position=1)
    return deck


def test_the_package_is_a_zip_with_a_collection_holding_one_note_per_question(deck, tmp_path):
    connection = open_collection(export_anki(deck), tmp_path)
    assert connection.execute("SELECT count(*) FROM notes").fetchone() == (3,)
    assert connection.execute("SELECT count(*) FROM cards").fetchone() == (3,)
    by_guid = notes(connection)
    front, back, source = by_guid[note_guid("capital")]
    assert front == 'Capital of France?<ol type="A"><li>Paris</li><li>Lyon</li></ol>'
    assert back == 'Paris<div class="explanation">See the atlas.</div>'
    assert source == "The Atlas<br>¶4: “Paris is the capital”"


def test_fields_are_html_escaped_and_questions_without_quotes_have_an_empty_source(deck, tmp_path):
    by_guid = notes(open_collection(export_anki(deck), tmp_path))
    front, back, source = by_guid[note_guid("round")]
    assert front == "The earth is &lt;round&gt; &amp; blue."
    assert back.startswith("True")
    assert source == ""
    assert by_guid[note_guid("match")][1].startswith("Canada → Ottawa; Italy → Rome")


def test_ids_are_stable_so_reimporting_into_anki_updates_the_same_notes(deck, tmp_path):
    first = open_collection(export_anki(deck), tmp_path)
    guids = set(notes(first))
    (second_dir := tmp_path / "again").mkdir()
    second = open_collection(export_anki(deck), second_dir)
    assert set(notes(second)) == guids == {note_guid(s) for s in ("capital", "round", "match")}
    decks = json.loads(second.execute("SELECT decks FROM col").fetchone()[0])
    models = json.loads(second.execute("SELECT models FROM col").fetchone()[0])
    assert str(stable_id("quizapp-deck:capitals")) in decks
    assert decks[str(stable_id("quizapp-deck:capitals"))]["name"] == "Capitals"
    assert str(MODEL_ID) in models
    assert [f["name"] for f in models[str(MODEL_ID)]["flds"]] == ["Front", "Back", "Source"]
    assert second.execute("SELECT DISTINCT mid FROM notes").fetchall() == [(MODEL_ID,)]


def test_a_list_of_questions_exports_under_the_given_title(deck, tmp_path):
    questions = list(deck.questions.filter(slug="round"))
    connection = open_collection(export_anki(questions, title="Quiz 1", key="quiz-1"), tmp_path)
    decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
    assert decks[str(stable_id("quizapp-deck:quiz-1"))]["name"] == "Quiz 1"
    assert list(notes(connection)) == [note_guid("round")]


def test_stable_ids_stay_in_ankis_recommended_range():
    assert stable_id("a") == stable_id("a") != stable_id("b")
    assert all((1 << 30) <= stable_id(str(n)) < (1 << 31) for n in range(100))
