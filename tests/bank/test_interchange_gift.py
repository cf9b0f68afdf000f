"""Moodle GIFT: reading every supported form, reporting the rest, and the round trip."""

from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quizapp.bank.content import load_content
from quizapp.bank.grading import QuestionType
from quizapp.bank.interchange import as_imported, imported_question
from quizapp.bank.interchange.gift import escape, gift_format, gift_skipped, parse_gift, unescape
from tests.factories import imported_question_specs

GIFT_TYPES = [t for t in QuestionType if t != QuestionType.ORDERING]


def parse_one(text: str):
    result = parse_gift(text)
    assert result.problems == ()
    (question,) = result.questions
    return question


def problems(text: str) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in parse_gift(text).problems]


def test_every_supported_type_is_read():
    text = """\
::capital:: What is the capital of France? {=Paris ~Lyon ~Nice}

::primes:: Which are prime? {~%50%Two ~%50%Three ~%-100%Four}

::earth-round:: The earth is round. {T}

::buried:: Who's buried in Grant's tomb? {=no one =nobody}

::born:: When was Grant born? {#1822:5}

::capitals:: Match the countries and capitals. {
  =Canada -> Ottawa
  =Italy -> Rome
}
"""
    result = parse_gift(text)
    assert result.problems == ()
    by_slug = {q.slug: q for q in result.questions}
    assert by_slug["capital"].type == QuestionType.SINGLE_CHOICE
    assert by_slug["capital"].prompt == "What is the capital of France?"
    assert by_slug["capital"].choices == (("Paris", True), ("Lyon", False), ("Nice", False))
    assert by_slug["primes"].type == QuestionType.MULTIPLE_CHOICE
    assert by_slug["primes"].choices == (("Two", True), ("Three", True), ("Four", False))
    assert by_slug["earth-round"].type == QuestionType.TRUE_FALSE
    assert by_slug["earth-round"].answer_bool is True
    assert by_slug["buried"].type == QuestionType.SHORT_TEXT
    assert by_slug["buried"].accepted == ("no one", "nobody")
    assert by_slug["born"].type == QuestionType.NUMERIC
    assert (by_slug["born"].value, by_slug["born"].tolerance) == (1822, 5)
    assert by_slug["capitals"].type == QuestionType.MATCHING
    assert by_slug["capitals"].pairs == (("Canada", "Ottawa"), ("Italy", "Rome"))
    assert [q.line for q in result.questions] == [1, 3, 5, 7, 9, 11]
    assert {q.status for q in result.questions} == {"draft"}
    assert {(q.source, q.quotes, q.difficulty) for q in result.questions} == {(None, (), 3)}


def test_true_false_spellings():
    answers = [parse_one(f"Q? {{{mark}}}").answer_bool for mark in ("T", "TRUE", "F", "FALSE")]
    assert answers == [True, True, False, False]
    assert parse_one("Q? {false#not so#right}").answer_bool is False


def test_numerical_forms_give_value_and_tolerance():
    def number(answer: str) -> tuple[Decimal | None, Decimal]:
        question = parse_one(f"Year? {{{answer}}}")
        return question.value, question.tolerance

    assert number("#1994") == (1994, 0)
    assert number("#1994:0") == (1994, 0)
    assert number("#=3.1415:0.0005#close enough") == (Decimal("3.1415"), Decimal("0.0005"))
    assert number("#1990..2000") == (1995, 5)
    assert number("#-5..-1") == (-3, 2)
    assert number("#\n  =%100%42:1\n") == (42, 1)


def test_weights_decide_which_answers_of_a_multiple_answer_question_are_correct():
    question = parse_one("Pick? {~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-100%d ~e}")
    assert question.type == QuestionType.MULTIPLE_CHOICE
    assert question.choices == (("a", True), ("b", True), ("c", True), ("d", False), ("e", False))


def test_title_becomes_a_slug_and_untitled_questions_get_unique_slugs_from_their_prompt():
    result = parse_gift(
        "::Q1 Capital of France::Capital? {=Paris ~Lyon}\n\n"
        "What is two plus two? {#4}\n\n"
        "What is two plus two? {#4}\n\n"
        "::  :: ¿? {T}\n"
    )
    assert [q.slug for q in result.questions] == [
        "q1-capital-of-france",
        "what-is-two-plus-two",
        "what-is-two-plus-two-2",
        "question",
    ]


def test_comments_escapes_format_markers_and_multi_line_questions():
    text = """\
// Exported from Moodle
// question: 12  name: escapes
::escapes::[markdown]Is 1 \\+ 1 \\= 2\\: \\{really\\}\\~ a\\\\b\\n c?
Second line of the prompt. {
  // a comment between answers
  =yes \\# indeed
  ~[html]no
  ####[plain]General \\: feedback.
}
"""
    question = parse_one(text)
    assert question.line == 3
    assert question.prompt == "Is 1 \\+ 1 = 2: {really}~ a\\b\n c?\nSecond line of the prompt."
    assert question.choices == (("yes # indeed", True), ("no", False))
    assert question.explanation == "General : feedback."


def test_general_feedback_is_the_explanation_and_feedback_per_answer_is_dropped():
    question = parse_one("Capital? {=Paris#Right! ~Lyon#No, that is Lyon. ####Paris since 987.}")
    assert question.choices == (("Paris", True), ("Lyon", False))
    assert question.explanation == "Paris since 987."


def test_missing_word_questions_get_a_blank_in_the_prompt():
    question = parse_one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question.prompt == "Grant is _____ in Grant's tomb."
    assert question.slug == "grant-is-in-grants-tomb"


def test_categories_and_comment_only_blocks_are_skipped():
    result = parse_gift(
        "$CATEGORY: $course$/Geography\n\n// just a note\n\nCapital? {=Paris ~Lyon}"
    )
    assert [(q.line, q.prompt) for q in result.questions] == [(5, "Capital?")]
    assert result.problems == ()


def test_tags_and_the_quizapp_comment_carry_what_gift_lacks():
    question = parse_one(
        "// [tag:Chapter 1] [tag:geo]\n"
        '// quizapp: {"difficulty": 5, "unit": "km", "typo_tolerance": 0}\n'
        "How far? {#42}"
    )
    assert question.tags == ("chapter-1", "geo")
    assert (question.difficulty, question.unit) == (5, "km")
    assert parse_one('// quizapp: {"shuffle": false}\nPick {=a ~b}').shuffle_choices is False


def test_unsupported_and_malformed_questions_are_reported_by_line_without_stopping():
    text = """\
::ok1:: Fine? {T}

Write an essay. {}

A description without answers.

::cloze:: Two {=a ~b} blocks {=c ~d}

::partial:: Pick {=a ~%50%b ~c}

::two-right:: Pick {=a =b ~c}

::numbers:: Year? {#=1994:0 =%50%1994:2}

::not-a-number:: Year? {#about 1994}

::unclosed Title? {T}

::braces:: Broken { =a

::bare:: Pick {a ~b =c}

// quizapp: {"difficulty": "hard", "colour": 1}
::metadata:: Fine? {T}

// quizapp: not json
::json:: Fine? {T}

::no-right:: Pick {~a ~b}

::short-partial:: Name? {=%50%Bob}

::backwards:: Range? {#10..1}

::ok2:: Fine? {F}
"""
    result = parse_gift(text)
    assert [q.slug for q in result.questions] == ["ok1", "ok2"]
    expected = [
        (3, "essay questions ({} with no answers) are not supported"),
        (5, "no answer block { }"),
        (7, "more than one answer block"),
        (9, "partial credit on single-answer questions is not supported"),
        (11, "several answers are marked ="),
        (13, "a numerical question needs exactly one answer"),
        (15, "'about 1994' is not a number"),
        (17, "the question name has no closing '"),
        (19, "unbalanced braces"),
        (21, "'a' comes before the first = or ~"),
        (23, "'difficulty' in the quizapp comment has the wrong type"),
        (23, "unknown key 'colour' in the quizapp comment"),
        (26, "the quizapp comment is not valid JSON"),
        (29, "no correct answer"),
        (31, "partial credit on short answers is not supported"),
        (33, "the range 10..1 runs backwards"),
    ]
    assert [p.line for p in result.problems] == [line for line, _ in expected]
    for problem, (_, start) in zip(result.problems, expected, strict=True):
        assert problem.message.startswith(start), problem


def test_answer_keys_are_checked_like_the_content_files():
    result = parse_gift("::dupes:: Pick {=a ~a}\n\n::one:: Match {=a -> b}")
    assert [(p.line, p.slug, p.message) for p in result.problems] == [
        (1, "dupes", "duplicate choice text 'a'"),
        (3, "one", "matching needs at least 2 pairs"),
    ]
    assert result.questions == ()


def test_duplicate_titles_are_reported():
    result = parse_gift("::same:: A? {T}\n\n::same:: B? {F}")
    assert [(p.line, p.message) for p in result.problems] == [
        (3, "duplicate slug 'same' (first on line 1)")
    ]


def test_an_empty_file_is_a_problem():
    assert problems("// nothing here\n") == [(1, "the file contains no questions")]


def test_windows_line_endings_and_a_byte_order_mark_are_read():
    result = parse_gift("\ufeff::a:: A? {T}\r\n\r\n::b:: B? {\r\n=x\r\n~y\r\n}\r\n")
    assert [(q.slug, q.line) for q in result.questions] == [("a", 1), ("b", 3)]


def test_escape_and_unescape_are_inverse():
    text = "a~b=c#d{e}f:g\\h\ni\\n"
    assert unescape(escape(text)) == text
    assert escape("x:y") == "x\\:y"


def test_export_skips_ordering_questions_and_lists_them():
    ordering = imported_question(
        line=0, slug="order-it", type=QuestionType.ORDERING, prompt="Order", items=("a", "b")
    )
    true_false = imported_question(
        line=0, slug="tf", type=QuestionType.TRUE_FALSE, prompt="Yes?", answer_bool=True
    )
    text = gift_format([ordering, true_false])
    assert text.startswith("// Skipped order-it: ordering questions have no GIFT form\n")
    assert gift_skipped(ordering) and gift_skipped(true_false) is None
    assert parse_gift(text).questions == (true_false,)


def test_exported_file_matches_moodle_layout():
    question = imported_question(
        line=0,
        slug="capital",
        type=QuestionType.SINGLE_CHOICE,
        prompt="Capital: France?",
        explanation="It is Paris.",
        choices=(("Paris", True), ("Lyon", False)),
        tags=("geo",),
    )
    assert gift_format([question]) == (
        "// [tag:geo]\n::capital::Capital\\: France?{\n\t=Paris\n\t~Lyon\n\t####It is Paris.\n}\n"
    )


def test_text_that_looks_like_gift_syntax_survives_the_round_trip():
    def question(qtype, **parts):
        return imported_question(line=0, slug=f"q-{len(cases)}", type=qtype, **parts)

    cases: list = []
    cases.append(
        question(
            QuestionType.SINGLE_CHOICE,
            prompt="[html]<b>Bold</b> :: {x} // not a comment",
            explanation="#### not feedback",
            choices=(("%50% of them", False), ("=equals", True), ("[plain]x", False)),
        )
    )
    cases.append(
        question(
            QuestionType.MULTIPLE_CHOICE,
            prompt="Line one\nLine two\n\nAfter a blank line",
            choices=(("%100%", True), ("T", False), ("a -> b", True)),
        )
    )
    cases.append(question(QuestionType.SHORT_TEXT, prompt="T or F?", accepted=("T", "%5% off")))
    cases.append(question(QuestionType.SHORT_TEXT, prompt="Slash", accepted=("C:\\dir\\n",)))
    cases.append(question(QuestionType.TRUE_FALSE, prompt="$CATEGORY: no", answer_bool=False))
    cases.append(
        question(
            QuestionType.NUMERIC,
            prompt="Tiny?",
            value=Decimal("-0.000001"),
            tolerance=Decimal("1E+2"),
            unit="m/s",
        )
    )
    cases.append(
        question(
            QuestionType.MATCHING,
            prompt="Arrows",
            pairs=(("a-", "-> b"), ("c =", "= d ~ e")),
        )
    )
    result = parse_gift(gift_format(cases))
    assert result.problems == ()
    assert list(result.questions) == cases


@hypothesis_settings(max_examples=100, deadline=None)
@given(
    st.lists(
        imported_question_specs(GIFT_TYPES), min_size=1, max_size=4, unique_by=lambda q: q.slug
    )
)
def test_exporting_to_gift_and_importing_gives_the_same_questions(questions):
    result = parse_gift(gift_format(questions))
    expected = [replace(q, decks=()) for q in questions if gift_skipped(q) is None]
    assert result.problems == ()
    assert list(result.questions) == expected


def test_the_shipped_question_bank_survives_the_gift_round_trip():
    bundle = load_content(settings.BASE_DIR / "content")
    result = parse_gift(gift_format(bundle.questions))
    expressible = [q for q in bundle.questions if q.type != QuestionType.ORDERING]
    assert result.problems == ()
    assert list(result.questions) == [replace(as_imported(q), decks=()) for q in expressible]
