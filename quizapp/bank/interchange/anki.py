"""Anki packages (.apkg) via genanki: one note per question. Pure (no database).

Ids are stable so that importing a newer export into Anki updates the notes it already has
instead of adding duplicates: the note type has a fixed id, a deck's id is derived from its
slug, and a note's GUID from its question's slug. (Anki updates an existing note only when
the incoming one is newer, so notes are stamped with the export time.)
"""

import hashlib
import html
import itertools
import sqlite3
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

import genanki

from quizapp.bank.models import Flashcard

# Picked once at random from genanki's recommended range; never change it, or every
# teacher's Anki would get a second, duplicate note type.
MODEL_ID = 1_607_392_319
_ID_RANGE = (1 << 30, 1 << 31)

MODEL = genanki.Model(
    MODEL_ID,
    "quizapp question",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Source"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": (
                '{{FrontSide}}<hr id="answer">{{Back}}'
                '{{#Source}}<div class="source">{{Source}}</div>{{/Source}}'
            ),
        }
    ],
    css=(
        ".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n"
        ".explanation { margin-top: 1em; font-size: 16px; }\n"
        ".source { margin-top: 1em; font-size: 14px; color: #555; }\n"
    ),
)


@dataclass(frozen=True)
class AnkiNote:
    """One question as Anki will show it."""

    slug: str
    card: Flashcard
    tags: tuple[str, ...] = ()
    source_title: str = ""


def stable_id(text: str) -> int:
    """An id in genanki's recommended range that is the same for the same text, every time."""
    digest = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    low, high = _ID_RANGE
    return low + digest % (high - low)


def note_guid(slug: str) -> str:
    return genanki.guid_for("quizapp", slug)


def _html(text: str) -> str:
    """Anki fields are HTML: escape our plain text and keep its line breaks."""
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def front_html(card: Flashcard) -> str:
    front = _html(card.front)
    if card.options:
        items = "".join(f"<li>{_html(option)}</li>" for option in card.options)
        front += f'<ol type="A">{items}</ol>'
    return front


def back_html(card: Flashcard) -> str:
    back = _html(card.back)
    if card.explanation:
        back += f'<div class="explanation">{_html(card.explanation)}</div>'
    return back


def source_html(card: Flashcard, source_title: str = "") -> str:
    """The quotes with their paragraph numbers (empty when the question cites none)."""
    if not card.quotes:
        return ""
    quotes = "<br>".join(f"¶{number}: “{_html(text)}”" for number, text in card.quotes)
    return f"{_html(source_title)}<br>{quotes}" if source_title else quotes


def anki_note(note: AnkiNote) -> genanki.Note:
    return genanki.Note(
        model=MODEL,
        fields=[
            front_html(note.card),
            back_html(note.card),
            source_html(note.card, note.source_title),
        ],
        tags=[tag.replace(" ", "-") for tag in note.tags],  # Anki tags cannot hold spaces
        guid=note_guid(note.slug),
    )


def anki_package(
    *, deck_key: str, deck_title: str, notes: Iterable[AnkiNote], at: float | None = None
) -> bytes:
    """The .apkg file: a zip holding the SQLite collection `collection.anki2`.

    `deck_key` (a deck slug) fixes the Anki deck id; `at` is the notes' modification time.
    """
    deck = genanki.Deck(stable_id(f"quizapp-deck:{deck_key}"), deck_title)
    for note in notes:
        deck.add_note(anki_note(note))
    timestamp = time.time() if at is None else at
    # genanki's write_to_file leaves its temporary database behind in /tmp; writing the
    # collection into an in-memory database and serialising it leaves nothing.
    connection = sqlite3.connect(":memory:")
    try:
        cursor = connection.cursor()
        genanki.Package(deck).write_to_db(cursor, timestamp, itertools.count(int(timestamp * 1000)))
        connection.commit()
        collection = connection.serialize()
    finally:
        connection.close()
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("collection.anki2", collection)
        package.writestr("media", "{}")  # no media files
    return out.getvalue()
