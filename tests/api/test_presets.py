"""Deck presets over the API: list, create, change, delete, and give a deck a preset."""

from datetime import UTC, datetime

import pytest

from quizapp.study.models import DeckPreset, DeckPresetAssignment
from quizapp.study.services import deck_preset_create
from tests.api.conftest import error_of
from tests.factories import DeckFactory, QuestionFactory

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


def again_label(api, deck) -> str:
    (entry,) = api.get("/api/v1/study/queue", {"deck": deck.slug, "limit": 1}).json()["queue"]
    return next(i["label"] for i in entry["intervals"] if i["rating"] == 1)


def test_a_preset_created_and_given_to_a_deck_schedules_its_cards(api, learner, questions, deck):
    other = DeckFactory(slug="others")
    QuestionFactory(deck=other)
    (default,) = api.get("/api/v1/presets").json()["presets"]
    assert default["id"] is None and default["default"] is True
    assert default["learning_steps"] == [1, 10] and default["decks"] == ["capitals", "others"]

    response = api.post(
        "/api/v1/presets",
        {"name": "Exam", "desired_retention": 0.95, "learning_steps": [5, 60]},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["name"], created["desired_retention"], created["decks"]) == ("Exam", 0.95, [])
    assert created["new_cards_per_day"] == default["new_cards_per_day"]  # copied

    assert again_label(api, deck) == "1m"
    response = api.put("/api/v1/decks/capitals/preset", {"preset": created["id"]}, format="json")
    assert response.status_code == 200
    assert response.json()["preset"]["decks"] == ["capitals"]
    assert again_label(api, deck) == "5m"
    presets = api.get("/api/v1/presets").json()["presets"]
    assert [(p["name"], p["decks"]) for p in presets] == [
        ("Default", ["others"]),
        ("Exam", ["capitals"]),
    ]

    response = api.put("/api/v1/decks/capitals/preset", {"preset": None}, format="json")
    assert response.json()["preset"]["default"] is True
    assert again_label(api, deck) == "1m"


def test_changing_and_deleting_a_preset(api, learner):
    preset = deck_preset_create(user=learner, name="Exam")
    response = api.patch(
        f"/api/v1/presets/{preset.pk}", {"name": "Finals", "maximum_interval": 90}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["maximum_interval"]) == ("Finals", 90)
    assert api.delete(f"/api/v1/presets/{preset.pk}").status_code == 204
    assert not DeckPreset.objects.exists()


def test_the_default_preset_is_the_learners_settings(api, learner):
    response = api.patch(
        "/api/v1/me/settings", {"learning_steps": [2, 20], "maximum_interval": 365}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["learning_steps"], response.json()["maximum_interval"]) == (
        [2, 20],
        365,
    )
    (default,) = api.get("/api/v1/presets").json()["presets"]
    assert (default["learning_steps"], default["maximum_interval"]) == ([2, 20], 365)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "learning_steps": [0]}, "learning_steps.0"),
        ({"name": "X", "learning_steps": list(range(1, 12))}, "learning_steps"),
        ({"name": "X", "desired_retention": 0.99}, "desired_retention"),
        ({"name": "X", "time_zone": "UTC"}, "time_zone"),
        ({"desired_retention": 0.9}, "name"),
    ],
)
def test_bad_preset_input_is_a_400_naming_the_field(api, learner, body, field):
    deck_preset_create(user=learner, name="Taken")
    response = api.post("/api/v1/presets", body, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert DeckPreset.objects.count() == 1


def test_a_name_already_used_is_a_conflict(api, learner):
    deck_preset_create(user=learner, name="Taken")
    response = api.post("/api/v1/presets", {"name": "Taken"}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "name_taken"
    other = deck_preset_create(user=learner, name="Other")
    response = api.patch(f"/api/v1/presets/{other.pk}", {"name": "Taken"}, format="json")
    assert response.status_code == 409
    assert DeckPreset.objects.get(pk=other.pk).name == "Other"


def test_another_learners_presets_are_out_of_reach(api, other_learner, deck):
    theirs = deck_preset_create(user=other_learner, name="Theirs")
    assert (
        api.patch(f"/api/v1/presets/{theirs.pk}", {"name": "Mine"}, format="json").status_code
        == 404
    )
    assert api.delete(f"/api/v1/presets/{theirs.pk}").status_code == 404
    response = api.put("/api/v1/decks/capitals/preset", {"preset": theirs.pk}, format="json")
    assert response.status_code == 404
    assert [p["name"] for p in api.get("/api/v1/presets").json()["presets"]] == ["Default"]
    assert not DeckPresetAssignment.objects.exists()
    assert api.put("/api/v1/decks/nope/preset", {"preset": None}, format="json").status_code == 404


def test_preset_endpoints_take_few_queries(api, learner, deck, django_assert_max_num_queries):
    for name in ("A", "B", "C"):
        deck_preset_create(user=learner, name=name)
    # As GET me: the token and the throttle's cache rows; then settings, presets, decks.
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/presets").json()["presets"]) == 4
