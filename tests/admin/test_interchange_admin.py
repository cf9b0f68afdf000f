import io
import zipfile
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from quizapp.bank.models import DeckQuestion, Question
from tests.factories import ChoiceQuestionFactory, DeckFactory, QuizFactory

GIFT = """::capital-of-armenia:: What is the capital of Armenia? {=Yerevan ~Baku ~Moscow}

::war-year:: In which year was the first Karabakh war settled? {#1994}
"""
BROKEN = GIFT + "\n::essay:: Discuss the conflict. {}\n"


def post_import(client, text, **extra):
    return client.post(
        reverse("admin:bank_question_import"), {"format": "gift", "text": text, **extra}
    )


def test_import_previews_then_creates_drafts_owned_by_the_teacher(client, teacher):
    client.force_login(teacher)
    preview = post_import(client, GIFT)
    assert preview.status_code == 200
    assert preview.context["preview"].ok and len(preview.context["preview"].questions) == 2
    assert not Question.objects.exists()
    post_import(client, GIFT, confirm="1")
    created = Question.objects.order_by("slug")
    assert [q.slug for q in created] == ["capital-of-armenia", "war-year"]
    assert {(q.owner, q.status) for q in created} == {(teacher, "draft")}


def test_a_malformed_line_is_reported_by_line_number_and_nothing_is_saved(client, teacher):
    client.force_login(teacher)
    preview = post_import(client, BROKEN)
    problems = [str(p) for p in preview.context["preview"].problems]
    assert len(problems) == 1 and problems[0].startswith("line 5")
    post_import(client, BROKEN, confirm="1")
    assert not Question.objects.exists()
    post_import(client, BROKEN, confirm="1", only_valid="on")
    assert Question.objects.count() == 2


def test_import_into_someone_elses_deck_is_not_offered(client, teacher, other_teacher):
    theirs = DeckFactory(owner=other_teacher)
    client.force_login(teacher)
    response = post_import(client, GIFT, deck=theirs.pk)
    assert "deck" in response.context["form"].errors
    assert not Question.objects.exists()


def test_students_cannot_import(client, student):
    client.force_login(student)
    response = post_import(client, GIFT, confirm="1")
    assert response.status_code == 302 and not Question.objects.exists()


def export(client, model, kind, ids):
    return client.post(
        reverse(f"admin:{model}_changelist"), {"action": f"export_{kind}", "_selected_action": ids}
    )


def test_deck_exports_in_three_formats(client, teacher, other_teacher):
    deck = DeckFactory(owner=teacher, slug="my-deck")
    mine = ChoiceQuestionFactory(owner=teacher, prompt="Mine?")
    hidden = ChoiceQuestionFactory(owner=other_teacher, status="draft", prompt="Secret draft?")
    for position, question in enumerate([mine, hidden]):
        DeckQuestion.objects.create(deck=deck, question=question, position=position)
    client.force_login(teacher)
    gift = export(client, "bank_deck", "gift", [deck.pk])
    assert gift["Content-Disposition"] == 'attachment; filename="my-deck.gift.txt"'
    assert b"Mine?" in gift.content and b"Secret draft?" not in gift.content
    csv = export(client, "bank_deck", "csv", [deck.pk])
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("slug,type,prompt")
    anki = export(client, "bank_deck", "anki", [deck.pk])
    with zipfile.ZipFile(io.BytesIO(anki.content)) as package:
        assert "collection.anki2" in package.namelist()


def test_another_teachers_deck_or_quiz_cannot_be_exported(client, teacher, other_teacher):
    deck = DeckFactory(owner=other_teacher)
    quiz = QuizFactory(owner=other_teacher, questions=[ChoiceQuestionFactory(owner=other_teacher)])
    client.force_login(teacher)
    for model, pk in (("bank_deck", deck.pk), ("quizzes_quiz", quiz.pk)):
        response = export(client, model, "gift", [pk])
        assert response.status_code == 302  # "no items selected": nothing to export
        assert "Content-Disposition" not in response


def test_a_quiz_exports_its_questions_in_order(client, teacher):
    first = ChoiceQuestionFactory(owner=teacher, prompt="First?")
    second = ChoiceQuestionFactory(owner=teacher, prompt="Second?")
    quiz = QuizFactory(owner=teacher, questions=[first, second])
    client.force_login(teacher)
    text = export(client, "quizzes_quiz", "gift", [quiz.pk]).content.decode()
    assert text.index("First?") < text.index("Second?")


@pytest.mark.parametrize("kind", ["gift", "csv", "anki"])
def test_a_teacher_exports_selected_questions_from_the_question_list(
    client, teacher, other_teacher, kind
):
    mine = ChoiceQuestionFactory(owner=teacher, status="draft", slug="mine", prompt="Mine?")
    shared = ChoiceQuestionFactory(owner=None, slug="shared", prompt="Shared?")
    theirs = ChoiceQuestionFactory(owner=other_teacher, slug="theirs", prompt="Theirs?")
    client.force_login(teacher)
    response = export(client, "bank_question", kind, [mine.pk, shared.pk, theirs.pk])
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="')
    if kind == "anki":
        with zipfile.ZipFile(io.BytesIO(response.content)) as package:
            assert "collection.anki2" in package.namelist()
        return
    text = response.content.decode("utf-8-sig")
    assert "Mine?" in text and "Shared?" in text
    assert "Theirs?" not in text  # another teacher's question is never selectable


class _FormFields(HTMLParser):
    """What a browser posts from the page's form: its inputs, as they are, and a button
    (by its label)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.buttons: dict[str, tuple[str, str]] = {}
        self._button: dict | None = None
        self._label = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "button" and attrs.get("type", "submit") == "submit" and "name" in attrs:
            self._button, self._label = attrs, ""
        if tag != "input" or "name" not in attrs or "disabled" in attrs:
            return
        kind = attrs.get("type", "text")
        if kind == "submit":
            self.buttons[attrs.get("value", "")] = (attrs["name"], attrs.get("value", ""))
        elif kind not in ("checkbox", "radio") or "checked" in attrs:
            self.fields.append((attrs["name"], attrs.get("value", "on")))

    def handle_data(self, data):
        if self._button is not None:
            self._label += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            label = " ".join(self._label.split())
            self.buttons[label] = (self._button["name"], self._button.get("value", ""))
            self._button = None


def confirm_as_shown(client, preview) -> tuple[str, object]:
    """Press the preview's import button, posting what the page holds; return its label."""
    form = _FormFields()
    form.feed(preview.content.decode())
    ((label, button),) = [(label, b) for label, b in form.buttons.items() if b[0] == "confirm"]
    data: dict[str, list[str]] = {}
    for name, value in [*form.fields, button]:
        data.setdefault(name, []).append(value)
    return label, client.post(reverse("admin:bank_question_import"), data)


def test_the_import_button_imports_what_it_says(client, teacher):
    client.force_login(teacher)
    label, response = confirm_as_shown(client, post_import(client, GIFT))
    assert label == "Import 2 question(s) as drafts"
    assert Question.objects.count() == 2
    assert "2 question(s) imported as drafts." in response.content.decode()


def test_with_problems_the_import_button_says_it_skips_them_and_does(client, teacher):
    client.force_login(teacher)
    preview = post_import(client, BROKEN)
    label, response = confirm_as_shown(client, preview)
    assert label == "Import the 2 valid question(s) as drafts and skip 1 line with problems"
    assert sorted(Question.objects.values_list("slug", flat=True)) == [
        "capital-of-armenia",
        "war-year",
    ]
    assert "2 question(s) imported as drafts; 1 line(s) skipped." in response.content.decode()


def test_a_file_with_nothing_valid_offers_no_import_button(client, teacher):
    client.force_login(teacher)
    page = post_import(client, "::essay:: Discuss the conflict. {}\n").content.decode()
    assert 'name="confirm"' not in page
    assert "Nothing can be imported: fix the problems listed and preview again." in page
