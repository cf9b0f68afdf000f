"""A device's copy of the server state, kept up to date only through `GET /api/v1/sync`."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Replica:
    cursor: str | None = None
    settings: dict[str, Any] | None = None
    decks: dict[int, dict[str, Any]] = field(default_factory=dict)
    questions: dict[int, dict[str, Any]] = field(default_factory=dict)
    cards: dict[int, dict[str, Any]] = field(default_factory=dict)
    pages: int = 0

    def apply(self, page: dict[str, Any]) -> None:
        """Apply one page of changes, as a client must: upserts by id, idempotent."""
        if page["settings"] is not None:
            self.settings = page["settings"]
        for deck in page["decks"]:
            self.decks[deck["id"]] = deck
        for deck_id in page["removed_decks"]:
            self.decks.pop(deck_id, None)
        for question in page["questions"]:
            self.questions[question["id"]] = question
        for question_id in page["removed_questions"]:
            self.questions.pop(question_id, None)
        for card in page["cards"]:
            self.cards[card["question_id"]] = card
        self.cursor = page["cursor"]
        self.pages += 1

    def sync(self, client, *, limit: int = 200) -> list[dict[str, Any]]:
        """One complete round: pages until `has_more` is false."""
        pages = []
        while True:
            params = {"limit": limit}
            if self.cursor is not None:
                params["since"] = self.cursor
            response = client.get("/api/v1/sync", params)
            assert response.status_code == 200, response.content
            page = response.json()
            self.apply(page)
            pages.append(page)
            if not page["has_more"]:
                return pages

    def studyable(self) -> set[int]:
        """Questions the device would offer: listed in a deck and with content."""
        listed = {qid for deck in self.decks.values() for qid in deck["question_ids"]}
        return listed & set(self.questions)
