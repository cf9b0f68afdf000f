"""The question editor: a type is chosen first, and each type shows only its own fields."""

import pytest
from django.urls import reverse

from quizapp.bank.grading import QuestionType
from quizapp.bank.models import Question
from tests.admin.test_question_admin import management, question_post
from tests.factories import ParagraphFactory, QuestionFactory, SourceFactory

# What a teacher fills in for each type: the answer fields and the list of parts (an inline).
FIELDS_OF_TYPE = {
    "single_choice": ({"shuffle_choices"}, "choices"),
    "multiple_choice": ({"shuffle_choices"}, "choices"),
    "true_false": ({"answer_bool"}, None),
    "short_text": ({"typo_tolerance"}, "accepted_answers"),
    "numeric": ({"numeric_value", "numeric_tolerance", "numeric_unit"}, None),
    "ordering": (set(), "order_items"),
    "matching": (set(), "match_pairs"),
}
ANSWER_FIELDS = set().union(*(fields for fields, _ in FIELDS_OF_TYPE.values()))
PARTS = {part for _, part in FIELDS_OF_TYPE.values() if part}


def add_url(**params) -> str:
    from urllib.parse import urlencode

    url = reverse("admin:bank_question_add")
    return f"{url}?{urlencode(params)}" if params else url


def shown(html: str) -> tuple[set[str], set[str]]:
    """The answer fields and the part lists on an editor page."""
    fields = {name for name in ANSWER_FIELDS if f'name="{name}"' in html}
    parts = {part for part in PARTS if f'name="{part}-TOTAL_FORMS"' in html}
    return fields, parts


def test_adding_a_question_starts_by_choosing_its_type(client, teacher):
    client.force_login(teacher)
    html = client.get(add_url()).content.decode()
    for qtype in QuestionType:
        assert f'value="{qtype.value}"' in html and qtype.label in html
    assert shown(html) == (set(), set())
    assert 'name="prompt"' not in html


@pytest.mark.parametrize("qtype", list(FIELDS_OF_TYPE))
def test_the_add_form_shows_only_the_chosen_types_fields(client, teacher, qtype):
    client.force_login(teacher)
    html = client.get(add_url(type=qtype)).content.decode()
    fields, part = FIELDS_OF_TYPE[qtype]
    assert shown(html) == (fields, {part} if part else set())
    assert 'name="prompt"' in html and 'name="quotes-TOTAL_FORMS"' in html


@pytest.mark.parametrize("qtype", ["single_choice", "short_text", "numeric", "matching"])
def test_the_change_form_shows_only_the_questions_types_fields(client, teacher, qtype):
    question = QuestionFactory(owner=teacher, type=qtype, answer_bool=None)
    client.force_login(teacher)
    url = reverse("admin:bank_question_change", args=[question.pk])
    html = client.get(url).content.decode()
    fields, part = FIELDS_OF_TYPE[qtype]
    assert shown(html) == (fields, {part} if part else set())
    assert 'name="type"' not in html  # a saved question keeps its type


def test_the_chosen_type_is_the_one_saved(client, teacher):
    client.force_login(teacher)
    data = question_post(type="numeric", answer_bool="true") | management()
    response = client.post(add_url(type="true_false"), data)
    assert response.status_code == 302, response.context["errors"]
    assert Question.objects.get().type == "true_false"


def test_parts_posted_for_another_type_are_not_saved(client, teacher):
    client.force_login(teacher)
    data = question_post(type="true_false", answer_bool="true") | management(
        choices=[{"position": 0, "text": "A", "is_correct": "on"}]
    )
    assert client.post(add_url(type="true_false"), data).status_code == 302
    assert not Question.objects.get().choices.exists()


def test_the_paragraphs_to_quote_show_before_the_first_save(client, teacher):
    source = SourceFactory(title="The ceasefire article")
    ParagraphFactory(source=source, number=1, text="The ceasefire was signed at night.")
    ParagraphFactory(source=source, number=2, text="Peacekeepers arrived the next day.")
    other = SourceFactory()
    ParagraphFactory(source=other, number=1, text="Something else entirely.")
    client.force_login(teacher)
    chooser = client.get(add_url()).content.decode()
    assert "The ceasefire article" in chooser  # the source can be chosen with the type
    html = client.get(add_url(type="single_choice", source=source.pk)).content.decode()
    assert "The ceasefire was signed at night." in html
    assert "Peacekeepers arrived the next day." in html
    assert "Something else entirely." not in html
    assert f'<option value="{source.pk}" selected>' in html


def test_the_paragraph_list_can_be_scrolled_with_the_keyboard(client, teacher):
    source = SourceFactory(title="The ceasefire article")
    ParagraphFactory(source=source, number=1)
    question = QuestionFactory(owner=teacher, source=source)
    client.force_login(teacher)
    html = client.get(reverse("admin:bank_question_change", args=[question.pk])).content.decode()
    assert (
        '<div class="quizapp-paragraphs" tabindex="0" role="region" '
        'aria-label="Paragraphs of The ceasefire article">' in html
    )


@pytest.mark.parametrize(
    ("qtype", "heading"),
    [
        ("short_text", "Accepted answers (the first is the canonical one)"),
        ("ordering", "Items (list them in the correct order)"),
        ("true_false", "Supporting quotes (verbatim from the source)"),
    ],
)
def test_part_headings_read_as_plurals(client, teacher, qtype, heading):
    question = QuestionFactory(owner=teacher, type=qtype, answer_bool=None)
    client.force_login(teacher)
    html = client.get(reverse("admin:bank_question_change", args=[question.pk])).content.decode()
    assert heading in html
    assert ")s\n" not in html and ")s<" not in html
