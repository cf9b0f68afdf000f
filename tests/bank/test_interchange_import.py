"""Importing GIFT and CSV files into the bank, and exporting questions back out."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from quizapp.bank.grading import QuestionType
from quizapp.bank.interchange import as_imported
from quizapp.bank.interchange.csv_format import COLUMNS, parse_csv
from quizapp.bank.interchange.gift import parse_gift
from quizapp.bank.interchange.services import (
    export_csv,
    export_gift,
    import_preview,
    import_questions,
    parse_questions,
)
from quizapp.bank.models import (
    AcceptedAnswer,
    Choice,
    DeckQuestion,
    MatchPair,
    OrderItem,
    Question,
    Tag,
)
from quizapp.bank.services import question_spec_from_model
from tests.factories import ChoiceQuestionFactory, DeckFactory, QuestionFactory

GIFT_EVERY_TYPE = """\
// [tag:geo]
::capital:: What is the capital of France? {=Paris ~Lyon ~Nice ####Since 987.}

::primes:: Which are prime? {~%50%Two ~%50%Three ~%-100%Four}

::round:: The earth is round. {T}

// quizapp: {"typo_tolerance": 1}
::armenia:: Capital of Armenia? {=Yerevan =Erevan}

// quizapp: {"unit": "km"}
::distance:: How far? {#42.5:0.5}

::capitals:: Match. {=Canada -> Ottawa =Italy -> Rome}
"""

CSV_EVERY_TYPE = "\r\n".join(
    [
        ",".join(COLUMNS),
        "capital,single_choice,Capital of France?,Since 987.,2,,geo,Lyon|Paris,2,,,,,,,,",
        "primes,multiple_choice,Primes?,,3,,,2|3|4,1|2,false,,,,,,,",
        "round,true_false,Round?,,3,,,,true,,,,,,,,",
        "armenia,short_text,Capital of Armenia?,,3,,,,,,Yerevan|Erevan,1,,,,,",
        "distance,numeric,How far?,,3,,,,,,,,42.5,0.5,km,,",
        "timeline,ordering,Oldest first,,3,,,,,,,,,,,Rome|Paris|Berlin,",
        "capitals,matching,Match.,,3,,,,,,,,,,,,Canada=>Ottawa|Italy=>Rome",
    ]
)

BROKEN_GIFT = """\
::good:: Fine? {T}

::essay:: Write about it. {}

::bad-number:: Year? {#about 1994}

::also-good:: Capital? {=Paris ~Lyon}
"""


def counts() -> tuple[int, ...]:
    models = (Question, Choice, AcceptedAnswer, OrderItem, MatchPair, DeckQuestion)
    return tuple(model.objects.count() for model in models)


def test_gift_import_creates_draft_questions_owned_by_the_teacher_with_their_parts(teacher):
    result = import_questions(text=GIFT_EVERY_TYPE, format="gift", owner=teacher)
    assert result.problems == () and result.saved
    questions = {q.slug: q for q in Question.objects.with_answer_parts()}
    assert set(questions) == {"capital", "primes", "round", "armenia", "distance", "capitals"}
    assert {(q.owner, q.status, q.source) for q in questions.values()} == {(teacher, "draft", None)}
    capital = questions["capital"]
    assert [(c.text, c.is_correct) for c in capital.choices.all()] == [
        ("Paris", True),
        ("Lyon", False),
        ("Nice", False),
    ]
    assert capital.explanation == "Since 987."
    assert list(capital.tags.values_list("slug", flat=True)) == ["geo"]
    assert questions["primes"].type == QuestionType.MULTIPLE_CHOICE
    assert questions["round"].answer_bool is True
    armenia = questions["armenia"]
    assert [a.text for a in armenia.accepted_answers.all()] == ["Yerevan", "Erevan"]
    assert armenia.typo_tolerance == 1
    distance = questions["distance"]
    assert (distance.numeric_value, distance.numeric_tolerance, distance.numeric_unit) == (
        Decimal("42.5"),
        Decimal("0.5"),
        "km",
    )
    assert [(p.left, p.right) for p in questions["capitals"].match_pairs.all()] == [
        ("Canada", "Ottawa"),
        ("Italy", "Rome"),
    ]


def test_csv_import_creates_every_type_including_ordering(teacher):
    result = import_questions(text=CSV_EVERY_TYPE.encode("utf-8-sig"), format="csv", owner=teacher)
    assert result.problems == ()
    assert sorted(q.type for q in result.created) == sorted(QuestionType)
    timeline = Question.objects.get(slug="timeline")
    assert [i.text for i in timeline.order_items.all()] == ["Rome", "Paris", "Berlin"]
    assert Question.objects.get(slug="primes").shuffle_choices is False
    # Stored questions read back as exactly what the file said.
    stored = [question_spec_from_model(q) for q in Question.objects.order_by("pk")]
    assert [as_imported(s) for s in stored] == list(parse_csv(CSV_EVERY_TYPE).questions)


def test_malformed_lines_are_reported_by_line_and_nothing_is_saved(teacher):
    result = import_questions(text=BROKEN_GIFT, format="gift", owner=teacher)
    assert not result.saved
    assert [(p.line, p.slug) for p in result.problems] == [(3, "essay"), (5, "bad-number")]
    assert "essay questions" in result.problems[0].message
    assert counts() == (0, 0, 0, 0, 0, 0)
    assert Tag.objects.count() == 0


def test_only_valid_imports_the_valid_questions_and_reports_the_rest(teacher):
    result = import_questions(text=BROKEN_GIFT, format="gift", owner=teacher, only_valid=True)
    assert [q.slug for q in result.created] == ["good", "also-good"]
    assert [p.line for p in result.problems] == [3, 5]
    assert set(Question.objects.values_list("slug", flat=True)) == {"good", "also-good"}
    assert Choice.objects.count() == 2


def test_invalid_csv_rows_save_nothing(teacher):
    text = "type,prompt,choices,correct\nsingle_choice,Pick,a|b,1\nsingle_choice,Pick,a|a,1\n"
    result = import_questions(text=text, format="csv", owner=teacher)
    assert [str(p) for p in result.problems] == ["line 3: duplicate choice text 'a'"]
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_preview_shows_what_would_be_created_and_saves_nothing(teacher):
    preview = import_preview(text=BROKEN_GIFT, format="gift", owner=teacher)
    assert [(q.slug, q.line) for q in preview.questions] == [("good", 1), ("also-good", 7)]
    assert [p.line for p in preview.problems] == [3, 5]
    assert not preview.ok
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_slugs_already_in_the_bank_are_conflicts(teacher, other_teacher):
    QuestionFactory(slug="mine", owner=teacher)
    QuestionFactory(slug="theirs", owner=other_teacher)
    text = "::mine:: A? {T}\n\n::theirs:: B? {T}\n\n::new:: C? {T}\n"
    preview = import_preview(text=text, format="gift", owner=teacher)
    assert preview.existing_slugs == ("mine", "theirs")
    assert [str(p) for p in preview.problems] == [
        "line 1: [mine] the slug is already used by one of your questions: give this one a new "
        "slug",
        "line 3: [theirs] the slug is already used by a question in the bank: give this one a "
        "new slug",
    ]
    assert [q.slug for q in preview.questions] == ["new"]
    result = import_questions(text=text, format="gift", owner=teacher)
    assert not result.saved and Question.objects.count() == 2


def test_decks_in_a_csv_must_exist_and_belong_to_the_teacher(teacher, other_teacher):
    DeckFactory(slug="mine", owner=teacher)
    DeckFactory(slug="theirs", owner=other_teacher)
    DeckFactory(slug="shared", owner=None)
    text = "\n".join(
        [
            "type,prompt,correct,decks",
            "true_false,A?,true,mine",
            "true_false,B?,true,theirs|mine",
            "true_false,C?,true,shared",
            "true_false,D?,true,nowhere",
        ]
    )
    preview = import_preview(text=text, format="csv", owner=teacher)
    assert [str(p) for p in preview.problems] == [
        "line 3: [b] deck 'theirs' is not one of your decks",
        "line 4: [c] deck 'shared' is not one of your decks",
        "line 5: [d] unknown deck 'nowhere'",
    ]
    result = import_questions(text=text, format="csv", owner=teacher, only_valid=True)
    assert [q.slug for q in result.created] == ["a"]
    assert list(DeckQuestion.objects.values_list("deck__slug", "question__slug")) == [("mine", "a")]


def test_a_superuser_may_import_into_any_deck(admin_user):
    DeckFactory(slug="shared", owner=None)
    text = "type,prompt,correct,decks\ntrue_false,A?,true,shared\n"
    assert import_questions(text=text, format="csv", owner=admin_user).saved


def test_the_chosen_deck_gets_the_questions_after_its_own_in_file_order(teacher):
    deck = DeckFactory(owner=teacher)
    QuestionFactory(deck=deck, owner=teacher)
    import_questions(text="::b:: B? {T}\n\n::a:: A? {F}\n", format="gift", owner=teacher, deck=deck)
    slugs = DeckQuestion.objects.filter(deck=deck).order_by("position")
    assert [m.question.slug for m in slugs][1:] == ["b", "a"]


def test_importing_into_someone_elses_deck_is_refused(teacher, other_teacher):
    deck = DeckFactory(owner=other_teacher)
    with pytest.raises(PermissionDenied):
        import_questions(text="Q? {T}", format="gift", owner=teacher, deck=deck)
    assert Question.objects.count() == 0


def test_a_file_that_is_not_utf8_is_reported_with_its_line():
    result = parse_questions(
        text="type,prompt\ntrue_false,Caf\xe9\n".encode("latin-1"), format="csv"
    )
    assert [str(p) for p in result.problems] == [
        "line 2: the file is not UTF-8 text: save it as UTF-8"
    ]


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="xml"):
        parse_questions(text="", format="xml")


# --------------------------------------------------------------------------- exports


def test_exported_gift_imports_back_as_the_same_questions(teacher):
    import_questions(text=CSV_EVERY_TYPE, format="csv", owner=teacher)
    text = export_gift(Question.objects.order_by("pk")).decode()
    assert text.startswith("// Skipped timeline: ordering questions have no GIFT form\n")
    stored = [question_spec_from_model(q) for q in Question.objects.order_by("pk")]
    assert list(parse_gift(text).questions) == [
        as_imported(spec) for spec in stored if spec.type != QuestionType.ORDERING
    ]


def test_csv_export_import_export_gives_the_same_file(teacher, other_teacher):
    import_questions(text=CSV_EVERY_TYPE, format="csv", owner=teacher)
    first = export_csv(Question.objects.order_by("pk"))
    assert first.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read UTF-8
    Question.objects.all().delete()
    assert import_questions(text=first, format="csv", owner=other_teacher).saved
    assert export_csv(Question.objects.order_by("pk")) == first


def test_a_deck_exports_in_study_order_in_a_fixed_number_of_queries(
    teacher, django_assert_max_num_queries
):
    deck = DeckFactory(owner=teacher)
    for n in range(6):
        ChoiceQuestionFactory(slug=f"q{n}", deck=deck, owner=teacher)
    last = max(DeckQuestion.objects.filter(deck=deck).values_list("position", flat=True))
    DeckQuestion.objects.filter(question__slug="q0").update(position=last + 1)
    with django_assert_max_num_queries(12):
        text = export_gift(deck).decode()
    slugs = [line.split("::")[1] for line in text.splitlines() if line.startswith("::")]
    assert slugs == ["q1", "q2", "q3", "q4", "q5", "q0"]
    with django_assert_max_num_queries(12):
        rows = export_csv([Question.objects.get(slug="q3")]).decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[1].startswith("q3,single_choice,")


def test_text_that_is_no_unicode_in_gift_metadata_is_a_problem_and_nothing_is_saved(teacher):
    # JSON escapes in the metadata comment can spell a lone surrogate or a NUL.
    text = (
        '// quizapp: {"unit": "km\\ud800"}\n::far:: How far? {#42}\n\n'
        '// quizapp: {"unit": "km\\u0000"}\n::nul:: How near? {#4}\n\n'
        "::fine:: Fine? {T}\n"
    )
    result = import_questions(text=text, format="gift", owner=teacher)
    assert not result.saved
    assert [(p.slug, p.message) for p in result.problems] == [
        (
            "far",
            "the text contains a lone UTF-16 surrogate (\\ud800), which is not text: send valid "
            "Unicode (a surrogate needs its pair)",
        ),
        ("nul", "the text contains a NUL character (\\u0000), which no text may contain"),
    ]
    assert counts() == (0, 0, 0, 0, 0, 0)
