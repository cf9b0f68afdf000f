"""Deck presets on the web: create one, give it to a deck, and see the deck studied by it."""

import re

from quizapp.study.models import DeckPreset, DeckPresetAssignment
from quizapp.study.services import deck_preset_create
from tests.factories import DeckFactory
from tests.frontend.conftest import csrf_token

PRESET = {
    "name": "Exam",
    "desired_retention": "0.95",
    "new_cards_per_day": "5",
    "max_reviews_per_day": "300",
    "learning_steps": "5m 1h",
    "relearning_steps": "15m",
    "maximum_interval": "60",
}


def again_interval(html: str) -> str:
    (interval,) = re.findall(
        r'data-rating="1"[^>]*>.*?<span class="rating-interval">([^<]+)</span>', html
    )
    return interval


def test_a_preset_given_to_a_deck_schedules_its_cards(signed_in, learner, bank):
    assert again_interval(signed_in.get("/study/capitals/").content.decode()) == "1m"
    response = signed_in.post("/settings/presets/new/", PRESET)
    assert response.status_code == 302 and response["Location"] == "/settings/"
    preset = DeckPreset.objects.get(user=learner)
    assert (preset.learning_steps, preset.relearning_steps) == ([5, 60], [15])

    html = signed_in.get("/settings/").content.decode()
    assert f'<option value="{preset.pk}">Exam</option>' in html
    response = signed_in.post("/settings/decks/", {f"deck-{bank.deck.pk}": str(preset.pk)})
    assert response.status_code == 302
    html = signed_in.get("/settings/").content.decode()
    assert "Your decks’ presets are saved." in html
    assert f'<option value="{preset.pk}" selected>Exam</option>' in html
    card = re.search(r'<h3 id="preset-2">Exam</h3>(.*?)</li>', html, re.S)
    assert card is not None
    assert "<dt>Retention</dt><dd>0.95</dd>" in card.group(1)
    assert "<dt>Learning steps</dt><dd>5m 1h</dd>" in card.group(1)
    assert "<dt>Relearning steps</dt><dd>15m</dd>" in card.group(1)
    assert "Decks: Capitals" in card.group(1)

    assert again_interval(signed_in.get("/study/capitals/").content.decode()) == "5m"
    # Back to the default preset.
    signed_in.post("/settings/decks/", {f"deck-{bank.deck.pk}": ""})
    assert not DeckPresetAssignment.objects.exists()
    assert again_interval(signed_in.get("/study/capitals/").content.decode()) == "1m"


def test_editing_and_deleting_a_preset(signed_in, learner, bank):
    preset = deck_preset_create(user=learner, name="Exam")
    html = signed_in.get(f"/settings/presets/{preset.pk}/").content.decode()
    assert 'name="name" value="Exam"' in html and 'value="1m 10m"' in html
    response = signed_in.post(f"/settings/presets/{preset.pk}/", {**PRESET, "name": "Finals"})
    assert response.status_code == 302
    preset.refresh_from_db()
    assert (preset.name, preset.desired_retention) == ("Finals", 0.95)
    response = signed_in.post(f"/settings/presets/{preset.pk}/delete/")
    assert response.status_code == 302
    assert not DeckPreset.objects.exists()
    assert (
        "is deleted; its decks follow the default" in signed_in.get("/settings/").content.decode()
    )


def test_bad_preset_input_re_renders_with_messages_and_saves_nothing(signed_in, learner):
    deck_preset_create(user=learner, name="Exam")
    response = signed_in.post(
        "/settings/presets/new/",
        {**PRESET, "learning_steps": "5m soon", "desired_retention": "0.99"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "“soon” is not a step" in html
    assert "Ensure this value is less than or equal to 0.97." in html
    response = signed_in.post("/settings/presets/new/", PRESET)
    assert response.status_code == 422
    assert "You already have a preset with this name." in response.content.decode()
    assert DeckPreset.objects.count() == 1


def test_a_deck_cannot_be_given_a_preset_that_is_not_the_learners(
    signed_in, learner, other_learner, bank
):
    theirs = deck_preset_create(user=other_learner, name="Theirs")
    response = signed_in.post("/settings/decks/", {f"deck-{bank.deck.pk}": str(theirs.pk)})
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    assert not DeckPresetAssignment.objects.exists()


def test_another_learners_preset_is_not_found(signed_in, other_learner):
    theirs = deck_preset_create(user=other_learner, name="Theirs")
    assert signed_in.get(f"/settings/presets/{theirs.pk}/").status_code == 404
    assert signed_in.post(f"/settings/presets/{theirs.pk}/", PRESET).status_code == 404
    assert signed_in.post(f"/settings/presets/{theirs.pk}/delete/").status_code == 404
    assert DeckPreset.objects.get(pk=theirs.pk).name == "Theirs"


def test_preset_forms_enforce_csrf(csrf_client, learner):
    deck = DeckFactory()
    assert csrf_client.post("/settings/presets/new/", PRESET).status_code == 403
    assert csrf_client.post("/settings/decks/", {f"deck-{deck.pk}": ""}).status_code == 403
    token = csrf_token(csrf_client, "/settings/presets/new/")
    response = csrf_client.post("/settings/presets/new/", {**PRESET, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_preset_pages_take_few_queries(signed_in, learner, bank, django_assert_max_num_queries):
    preset = deck_preset_create(user=learner, name="Exam")
    with django_assert_max_num_queries(4):
        signed_in.get(f"/settings/presets/{preset.pk}/")
    with django_assert_max_num_queries(7):
        signed_in.get("/settings/")
