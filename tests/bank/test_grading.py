"""Tests for quizapp.bank.grading: pure, no Django, no database."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quizapp.bank.grading import (
    AnswerKey,
    ChoiceKey,
    Grade,
    InvalidKey,
    ItemKey,
    MalformedAnswer,
    PairKey,
    QuestionType,
    correct_answer,
    correct_answer_text,
    edit_distance,
    grade,
    normalize_text,
    parse_number,
    validate_key,
)

QT = QuestionType
DOTLESS_I = "\u0131"
FAST = settings(max_examples=60, deadline=None)


# --------------------------------------------------------------------------- keys


def single_choice_key() -> AnswerKey:
    return AnswerKey(
        type=QT.SINGLE_CHOICE,
        choices=(
            ChoiceKey(1, "Baku", False),
            ChoiceKey(2, "Yerevan", True),
            ChoiceKey(3, "Tbilisi", False),
        ),
    )


def multiple_choice_key() -> AnswerKey:
    # Correct: 1, 2. Wrong: 3, 4.
    return AnswerKey(
        type=QT.MULTIPLE_CHOICE,
        choices=(
            ChoiceKey(1, "Armenia", True),
            ChoiceKey(2, "Azerbaijan", True),
            ChoiceKey(3, "Kazakhstan", False),
            ChoiceKey(4, "Mongolia", False),
        ),
    )


def true_false_key(answer: bool = True) -> AnswerKey:
    return AnswerKey(type=QT.TRUE_FALSE, answer_bool=answer)


def short_text_key(*accepted: str, typo_tolerance: int = 0) -> AnswerKey:
    return AnswerKey(
        type=QT.SHORT_TEXT, accepted=accepted or ("Yerevan",), typo_tolerance=typo_tolerance
    )


def numeric_key(value: str = "1994", tolerance: str = "0", unit: str = "") -> AnswerKey:
    return AnswerKey(type=QT.NUMERIC, value=Decimal(value), tolerance=Decimal(tolerance), unit=unit)


def ordering_key() -> AnswerKey:
    return AnswerKey(
        type=QT.ORDERING,
        items=(ItemKey(10, "A"), ItemKey(20, "B"), ItemKey(30, "C"), ItemKey(40, "D")),
    )


def matching_key() -> AnswerKey:
    return AnswerKey(
        type=QT.MATCHING,
        pairs=(
            PairKey(1, "Baku", "Azerbaijan"),
            PairKey(2, "Yerevan", "Armenia"),
            PairKey(3, "Tbilisi", "Georgia"),
        ),
    )


def assert_wrong(result: Grade) -> None:
    assert result.correct is False
    assert result.score == 0.0


def assert_full_marks(result: Grade) -> None:
    assert result.correct is True
    assert result.score == 1.0


# --------------------------------------------------------------------------- question type


def test_question_type_values_and_labels():
    assert QT("short_text") is QT.SHORT_TEXT
    assert QT.SINGLE_CHOICE == "single_choice"
    assert QT.SINGLE_CHOICE.label == "Single choice"
    assert QT.TRUE_FALSE.label == "True/false"
    assert ("matching", "Matching") in QT.choices()
    assert len(QT.choices()) == 7


def test_answer_key_accepts_plain_strings_and_lists_from_models():
    key = AnswerKey(type="numeric", value="2.5", tolerance=1)  # type: ignore[arg-type]
    assert key.type is QT.NUMERIC
    assert key.value == Decimal("2.5")
    assert key.tolerance == Decimal(1)
    listed = AnswerKey(type=QT.SHORT_TEXT, accepted=["Baku"])  # type: ignore[arg-type]
    assert listed.accepted == ("Baku",)
    assert hash(listed) == hash(AnswerKey(type=QT.SHORT_TEXT, accepted=("Baku",)))


# --------------------------------------------------------------------------- single choice


def test_single_choice_correct_choice_gets_full_marks():
    result = grade(single_choice_key(), 2)
    assert_full_marks(result)
    assert result.feedback == "Correct."
    assert result.normalized_answer == 2


def test_single_choice_wrong_choice_scores_zero():
    result = grade(single_choice_key(), 1)
    assert_wrong(result)
    assert result.feedback == "Incorrect."


def test_single_choice_accepts_a_string_of_digits_from_mobile_clients():
    assert_full_marks(grade(single_choice_key(), "2"))


@pytest.mark.parametrize(
    "answer", [None, True, False, 2.0, "2.0", " 2", "two", "-1", "", [2], {"id": 2}, "²"]
)
def test_single_choice_rejects_anything_but_an_id(answer):
    with pytest.raises(MalformedAnswer, match="Expected a choice id"):
        grade(single_choice_key(), answer)


def test_single_choice_rejects_unknown_id():
    with pytest.raises(MalformedAnswer, match=r"^Unknown choice id 99\.$"):
        grade(single_choice_key(), 99)


# --------------------------------------------------------------------------- multiple choice


def test_multiple_choice_exact_set_in_any_order_gets_full_marks():
    result = grade(multiple_choice_key(), [2, "1"])
    assert_full_marks(result)
    assert result.normalized_answer == [1, 2]


def test_multiple_choice_missing_a_correct_pick_gets_partial_credit():
    result = grade(multiple_choice_key(), [1])
    assert result.correct is False
    assert result.score == 0.5
    assert result.feedback == "1 of 2 correct choices picked."


def test_multiple_choice_wrong_pick_is_penalised_but_never_below_zero():
    key = multiple_choice_key()
    assert grade(key, [1, 2, 3]).score == 0.5  # 2/2 - 1/2
    assert grade(key, [1, 3]).score == 0.0  # 1/2 - 1/2
    assert grade(key, [3, 4]).score == 0.0  # 0/2 - 2/2 = -1, clamped
    assert grade(key, [1, 3, 4]).score == 0.0  # 1/2 - 2/2, clamped


def test_multiple_choice_ticking_every_box_is_not_a_free_pass():
    result = grade(multiple_choice_key(), [1, 2, 3, 4])
    assert_wrong(result)
    assert result.feedback == "2 of 2 correct choices picked, 2 wrong choices picked."


def test_multiple_choice_partial_feedback_counts_picks():
    key = AnswerKey(
        type=QT.MULTIPLE_CHOICE,
        choices=(
            ChoiceKey(1, "a", True),
            ChoiceKey(2, "b", True),
            ChoiceKey(3, "c", False),
            ChoiceKey(4, "d", False),
            ChoiceKey(5, "e", False),
        ),
    )
    result = grade(key, [1, 3])
    assert result.feedback == "1 of 2 correct choices picked, 1 wrong choice picked."
    assert result.score == pytest.approx(0.5 - 1 / 3)


def test_multiple_choice_empty_list_means_nothing_picked():
    result = grade(multiple_choice_key(), [])
    assert_wrong(result)
    assert result.feedback == "No choices picked."
    assert result.normalized_answer == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "Expected a list of choice ids for a multiple-choice question."),
        (1, "Expected a list of choice ids"),
        ("1,2", "Expected a list of choice ids"),
        ({1, 2}, "Expected a list of choice ids"),
        ({"1": True}, "Expected a list of choice ids"),
        ([1, True], "Expected a list of choice ids"),
        ([1, None], "Expected a list of choice ids"),
        ([1, 1], "Duplicate choice id 1."),
        ([1, "1"], "Duplicate choice id 1."),
        ([1, 99], "Unknown choice id 99."),
    ],
)
def test_multiple_choice_malformed_answers(answer, message):
    with pytest.raises(MalformedAnswer) as excinfo:
        grade(multiple_choice_key(), answer)
    assert str(excinfo.value).startswith(message)


# --------------------------------------------------------------------------- true / false


@pytest.mark.parametrize("answer", [True, "true", "TRUE", " True "])
def test_true_false_accepts_bools_and_their_strings(answer):
    result = grade(true_false_key(True), answer)
    assert_full_marks(result)
    assert result.normalized_answer is True


@pytest.mark.parametrize("answer", [False, "false", "False"])
def test_true_false_wrong_answer_scores_zero(answer):
    result = grade(true_false_key(True), answer)
    assert_wrong(result)
    assert result.normalized_answer is False
    assert result.feedback == "Incorrect."


@pytest.mark.parametrize("answer", [None, 1, 0, "yes", "t", "", [True], 1.0])
def test_true_false_rejects_other_shapes(answer):
    with pytest.raises(MalformedAnswer, match="Expected true or false"):
        grade(true_false_key(), answer)


def test_true_false_key_without_answer_cannot_grade():
    with pytest.raises(InvalidKey):
        grade(AnswerKey(type=QT.TRUE_FALSE), True)


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("YEREVAN", "yerevan"),
        ("Azərbaycan", "azerbaycan"),
        ("Nagorno-Karabakh", "nagorno karabakh"),
        ("Nagorno–Karabakh", "nagorno karabakh"),  # en dash
        ("nagorno_karabakh", "nagorno karabakh"),
        ("Armenia/Azerbaijan", "armenia azerbaijan"),
        ("Baku!?", "baku"),
        ("St. Petersburg", "st petersburg"),
        ("Don’t", "dont"),
        ("Don't", "dont"),
        ("  Lachin \t\n corridor  ", "lachin corridor"),
        ("The Lachin Corridor", "lachin corridor"),
        ("An Apple", "apple"),
        ("a cat", "cat"),
        ("The", "the"),  # a lone article is the whole answer, so it stays
        ("Theatre", "theatre"),
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("Ærøskøbing", "aeroskobing"),
        ("Łódź", "lodz"),
        ("Đorđe", "dorde"),
        ("Œuvre", "oeuvre"),
        ("Þór", "thor"),
        ("Ħamrun", "hamrun"),
        ("ﬁnance", "finance"),  # compatibility ligature
        ("zero\u200bwidth", "zerowidth"),
        ("", ""),
        ("  ?! ", ""),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_dotless_i_matches_plain_i():
    assert normalize_text(f"Bak{DOTLESS_I}") == normalize_text("Baki") == "baki"
    assert normalize_text(f"{DOTLESS_I}I") == "ii"


def test_baku_spelled_the_azerbaijani_way_is_accepted_as_a_variant_or_a_typo():
    # "Bakı" and "Baku" differ by a letter, not an accent: listing the local spelling as a
    # variant (or turning typo tolerance on) is what makes them match.
    with_variant = short_text_key("Baku", f"Bak{DOTLESS_I}")
    assert grade(with_variant, "BAKI").feedback == "Accepted: spelling variant of “Baku”."
    with_typos = short_text_key("Baku", typo_tolerance=1)
    assert grade(with_typos, f"Bak{DOTLESS_I}").feedback == (
        "Accepted: close spelling of “Baku” (1 letter off)."
    )
    assert_wrong(grade(short_text_key("Baku"), f"Bak{DOTLESS_I}"))


def test_combining_marks_that_casefold_to_letters_are_still_dropped():
    # U+0345 casefolds to a Greek iota; it must vanish like any other accent.
    assert normalize_text("a\u0345b\u0301") == "ab"


def test_joined_words_do_not_match_hyphenated_words():
    assert normalize_text("NagornoKarabakh") != normalize_text("Nagorno-Karabakh")


def test_leading_articles_are_removed_repeatedly_so_normalisation_is_idempotent():
    assert normalize_text("The the Beatles") == "beatles"
    assert normalize_text(normalize_text("The the Beatles")) == "beatles"


@FAST
@given(st.text(max_size=60))
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_normalize_text_output_has_no_surrounding_or_double_spaces(text):
    normalized = normalize_text(text)
    assert normalized == normalized.strip()
    assert "  " not in normalized


# --------------------------------------------------------------------------- short text


def test_short_text_exact_answer_is_correct():
    result = grade(short_text_key("Yerevan"), "Yerevan")
    assert_full_marks(result)
    assert result.feedback == "Correct."
    assert result.normalized_answer == "yerevan"


def test_short_text_surrounding_whitespace_is_still_plain_correct():
    assert grade(short_text_key("Yerevan"), "  Yerevan ").feedback == "Correct."


@pytest.mark.parametrize(
    ("accepted", "answer"),
    [
        ("Yerevan", "yerevan"),
        ("Azerbaycan", "Azərbaycan"),
        ("Nagorno-Karabakh", "nagorno karabakh"),
        ("Lachin corridor", "The Lachin Corridor"),
        ("Lachin Corridor", "lachin corridor."),
        ("Martuni", "Mártuní"),
        ("Shusha’s fortress", "Shusha's fortress"),
    ],
)
def test_short_text_ignores_case_accents_and_punctuation_and_says_so(accepted, answer):
    result = grade(short_text_key(accepted), answer)
    assert_full_marks(result)
    assert result.feedback == "Accepted: same answer ignoring case, accents or punctuation."


def test_short_text_matching_a_non_canonical_answer_names_the_canonical_one():
    key = short_text_key("Yerevan", "Erevan", "Erivan")
    result = grade(key, "erivan")
    assert_full_marks(result)
    assert result.feedback == "Accepted: spelling variant of “Yerevan”."


def test_short_text_typo_tolerance_is_off_by_default():
    result = grade(short_text_key("Pashinyan"), "Pashinian")
    assert_wrong(result)
    assert result.feedback == "Not accepted."


def test_short_text_typo_within_tolerance_is_accepted_with_the_reason():
    key = short_text_key("Pashinyan", typo_tolerance=1)
    result = grade(key, "Pashinian")
    assert_full_marks(result)
    assert result.feedback == "Accepted: close spelling of “Pashinyan” (1 letter off)."


def test_short_text_transposition_counts_as_one_typo():
    key = short_text_key("Pashinyan", typo_tolerance=1)
    assert grade(key, "Pahsinyan").feedback == (
        "Accepted: close spelling of “Pashinyan” (1 letter off)."
    )


def test_short_text_typo_beyond_tolerance_is_not_accepted():
    key = short_text_key("Pashinyan", typo_tolerance=1)
    assert_wrong(grade(key, "Pashinain"))
    two = short_text_key("Pashinyan", typo_tolerance=2)
    assert grade(two, "Pashinain").feedback == (
        "Accepted: close spelling of “Pashinyan” (2 letters off)."
    )


def test_short_text_typo_reports_the_closest_accepted_answer():
    key = short_text_key("Yerevan", "Erivan", typo_tolerance=2)
    assert grade(key, "Erivon").feedback == "Accepted: close spelling of “Erivan” (1 letter off)."


def test_short_text_missing_accent_is_never_counted_as_a_typo():
    key = short_text_key("Azərbaycan", typo_tolerance=1)
    assert grade(key, "Azerbaycan").feedback == (
        "Accepted: same answer ignoring case, accents or punctuation."
    )


@pytest.mark.parametrize("answer", ["", "   ", "\n\t", "?!"])
def test_short_text_blank_answer_is_wrong_not_malformed(answer):
    result = grade(short_text_key(), answer)
    assert_wrong(result)
    assert result.feedback == "No answer given."


@pytest.mark.parametrize("answer", [None, 5, True, ["Yerevan"], {"text": "Yerevan"}, b"Yerevan"])
def test_short_text_rejects_non_strings(answer):
    with pytest.raises(MalformedAnswer, match="Expected text"):
        grade(short_text_key(), answer)


def test_short_text_rejects_over_long_answers():
    grade(short_text_key(), "x" * 500)  # at the limit: graded
    with pytest.raises(MalformedAnswer, match="too long"):
        grade(short_text_key(), "x" * 501)


def test_short_text_key_without_accepted_answers_cannot_grade():
    with pytest.raises(InvalidKey):
        grade(AnswerKey(type=QT.SHORT_TEXT), "Baku")


ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
WORD_LETTERS = ASCII_LETTERS + "éüçñåøæəßı"
words = st.text(alphabet=WORD_LETTERS, min_size=1, max_size=8)
phrases = st.lists(words, min_size=1, max_size=4).map(" ".join)


@st.composite
def disguised(draw, text: str) -> str:
    """``text`` with random case, accents on ASCII letters and extra whitespace."""
    out = [draw(st.sampled_from(["", " ", "\t", "  ", "\u00a0"]))]
    for char in text:
        if char == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\t", " \n "])))
            continue
        out.append(char.upper() if draw(st.booleans()) else char.lower())
        if char in ASCII_LETTERS and draw(st.booleans()):
            out.append(draw(st.characters(min_codepoint=0x300, max_codepoint=0x36F)))
    out.append(draw(st.sampled_from(["", " ", "\n", "   "])))
    return "".join(out)


@FAST
@given(st.data(), phrases, st.booleans())
def test_accepted_answer_survives_case_accents_and_whitespace(data, accepted, as_variant):
    key = short_text_key("Canonical", accepted) if as_variant else short_text_key(accepted)
    assume(normalize_text(accepted) not in ("", "canonical"))
    answer = data.draw(disguised(accepted))
    result = grade(key, answer)
    assert_full_marks(result)
    assert result.normalized_answer == normalize_text(accepted)


def reference_osa(a: str, b: str) -> int:
    """Textbook optimal string alignment distance, full table, no shortcuts."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        table[i][0] = i
    for j in range(len(b) + 1):
        table[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[len(a)][len(b)]


def test_edit_distance_known_values():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("ab", "ba") == 1
    assert edit_distance("ca", "abc") == 3  # OSA, not unrestricted Damerau-Levenshtein
    assert edit_distance("", "abc") == 3
    assert edit_distance("same", "same") == 0


@FAST
@given(
    st.text(alphabet="abc", max_size=8),
    st.text(alphabet="abc", max_size=8),
    st.integers(min_value=0, max_value=4),
)
def test_edit_distance_with_early_exit_agrees_with_reference(a, b, limit):
    expected = reference_osa(a, b)
    assert edit_distance(a, b) == expected
    assert edit_distance(a, b, limit) == min(expected, limit + 1)


# --------------------------------------------------------------------------- numeric


@pytest.mark.parametrize(
    "answer", [1994, 1994.0, Decimal("1994.00"), "1994", " 1994 ", "+1994", "1 994", "1994."]
)
def test_numeric_exact_value_in_any_accepted_shape_is_correct(answer):
    result = grade(numeric_key("1994"), answer)
    assert_full_marks(result)
    assert result.feedback == "Correct."
    assert result.normalized_answer == "1994"


def test_numeric_wrong_value_scores_zero():
    result = grade(numeric_key("1994"), 1993)
    assert_wrong(result)
    assert result.feedback == "Incorrect."
    assert result.normalized_answer == "1993"


def test_numeric_within_tolerance_is_accepted_and_says_why():
    key = numeric_key("9.81", tolerance="0.05")
    result = grade(key, "9.85")
    assert_full_marks(result)
    assert result.feedback == "Accepted: within ±0.05 of the expected value."
    assert_full_marks(grade(key, "9.76"))  # exactly on the edge counts
    assert_wrong(grade(key, "9.7599"))
    assert_wrong(grade(key, "9.8601"))


def test_numeric_tolerance_uses_exact_decimal_arithmetic():
    # In floats 1.1 - 1.0 = 0.10000000000000009 > 0.1 and this would be marked wrong.
    assert_full_marks(grade(numeric_key("1.1", tolerance="0.1"), 1.0))
    assert_full_marks(grade(numeric_key("0.3"), 0.3))
    assert_wrong(grade(numeric_key("0.3"), 0.1 + 0.2))  # 0.30000000000000004 really is off


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,14", "3.14"),
        ("-2.5", "-2.5"),
        ("\u22122.5", "-2.5"),  # Unicode minus sign
        (".5", "0.5"),
        ("0,125", "0.125"),  # a leading zero cannot start a thousands group
        ("1,000,000", "1000000"),
        ("1.000.000", "1000000"),
        ("1,234.5", "1234.5"),
        ("1.234,5", "1234.5"),
        ("1\u00a0234,5", "1234.5"),
        ("1\u202f234.5", "1234.5"),
        ("6.626e-34", "6.626E-34"),
        ("1E3", "1000"),
        ("-0", "0"),
    ],
)
def test_numeric_string_parsing(text, expected):
    key = numeric_key(expected)
    result = grade(key, text)
    assert_full_marks(result)
    assert result.normalized_answer == expected


def test_numeric_single_comma_before_three_digits_is_ambiguous():
    # 1994 to an American, 1.994 to a German: ask rather than mark someone wrong.
    with pytest.raises(MalformedAnswer, match="ambiguous"):
        parse_number("1,994")
    with pytest.raises(MalformedAnswer, match="ambiguous"):
        parse_number("-12,345")
    assert parse_number("1,9940") == Decimal("1.9940")


def test_numeric_answer_may_carry_the_keys_unit():
    key = numeric_key("42", unit="km")
    assert_full_marks(grade(key, "42 km"))
    assert_full_marks(grade(key, "42KM"))
    assert_full_marks(grade(numeric_key("50", unit="%"), "50%"))
    with pytest.raises(MalformedAnswer):
        grade(key, "42 mi")


@pytest.mark.parametrize(
    "answer",
    [
        None,
        True,
        False,
        [1994],
        {"value": 1994},
        "",
        "  ",
        "abc",
        "19 94",
        "1,2,3",
        "1.2.3",
        "1,00,000",
        "1,000.000,5",
        "1 000,000.5",
        "12abc",
        "0x10",
        "1_994",
        "--1",
        "1e99999",
        "٣",  # Arabic-Indic digit: we only read ASCII digits
        "1" * 101,
    ],
)
def test_numeric_rejects_non_numbers(answer):
    with pytest.raises(MalformedAnswer):
        grade(numeric_key(), answer)


@pytest.mark.parametrize(
    "answer",
    [float("nan"), float("inf"), -float("inf"), Decimal("NaN"), Decimal("sNaN"), "NaN", "inf"],
)
def test_numeric_rejects_nan_and_infinity(answer):
    with pytest.raises(MalformedAnswer):
        grade(numeric_key(), answer)


@pytest.mark.parametrize(
    "answer",
    [
        10**15 + 1,
        -(10**16),
        pytest.param(10**5000, id="int-too-long-for-str"),
        1e300,
        "2e15",
        Decimal("1e16"),
    ],
)
def test_numeric_rejects_absurdly_large_magnitudes(answer):
    with pytest.raises(MalformedAnswer, match="too large"):
        grade(numeric_key(), answer)


def test_numeric_accepts_the_largest_allowed_magnitude():
    assert_full_marks(grade(numeric_key("1000000000000000"), 10**15))
    assert_full_marks(grade(numeric_key("-1000000000000000"), "-1e15"))


def test_numeric_key_without_value_cannot_grade():
    with pytest.raises(InvalidKey):
        grade(AnswerKey(type=QT.NUMERIC), 1)


# --------------------------------------------------------------------------- ordering


def test_ordering_perfect_order_gets_full_marks():
    result = grade(ordering_key(), [10, 20, 30, 40])
    assert_full_marks(result)
    assert result.normalized_answer == [10, 20, 30, 40]


def test_ordering_one_displaced_item_costs_little():
    result = grade(ordering_key(), [20, 30, 40, 10])  # first item moved to the end
    assert result.correct is False
    assert result.score == pytest.approx(2 / 3)
    assert result.feedback == "2 of 3 adjacent pairs in the correct order."


def test_ordering_swapped_neighbours_lose_the_pairs_around_them():
    assert grade(ordering_key(), [10, 30, 20, 40]).score == 0.0
    assert grade(ordering_key(), [20, 10, 30, 40]).score == pytest.approx(1 / 3)


def test_ordering_reversed_order_scores_zero():
    assert_wrong(grade(ordering_key(), [40, 30, 20, 10]))


def test_ordering_accepts_digit_strings():
    assert_full_marks(grade(ordering_key(), ["10", "20", "30", "40"]))


def test_a_partial_ordering_is_graded_as_it_stands_with_its_empty_positions_wrong():
    result = grade(ordering_key(), [10, 20, None, None])
    assert result.correct is False
    assert result.score == pytest.approx(1 / 3)
    assert result.feedback == "1 of 3 adjacent pairs in the correct order. 2 items not placed."
    assert result.normalized_answer == [10, 20, None, None]


def test_empty_positions_at_the_end_of_an_ordering_may_be_left_off():
    assert grade(ordering_key(), [10, 20]) == grade(ordering_key(), [10, 20, None, None])


def test_items_either_side_of_an_empty_position_are_no_adjacent_pair():
    result = grade(ordering_key(), [10, None, 30, 40])
    assert result.score == pytest.approx(1 / 3)  # only 30 → 40
    assert result.normalized_answer == [10, None, 30, 40]


def test_the_last_item_before_an_empty_position_is_no_adjacent_pair():
    assert_wrong(grade(ordering_key(), [40, None, None, None]))
    assert_wrong(grade(ordering_key(), [40]))


@pytest.mark.parametrize("answer", [[], [None, None, None, None]])
def test_an_ordering_with_nothing_placed_scores_zero(answer):
    result = grade(ordering_key(), answer)
    assert_wrong(result)
    assert result.feedback == "0 of 3 adjacent pairs in the correct order. 4 items not placed."
    assert result.normalized_answer == [None, None, None, None]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "Expected a list of item ids"),
        ("10,20,30,40", "Expected a list of item ids"),
        ({10: 1}, "Expected a list of item ids"),
        ([10, 20, 30, True], "Expected a list of item ids"),
        ([10, 20, 30, 30], "Duplicate item id 30."),
        ([10, 20, 30, 40, 50], "Unknown item id 50."),
        ([10, 20, 30, 40, None], "Too many positions: an ordering of 4 items has 4."),
        ([10, None, 20, None, None], "Too many positions"),
    ],
)
def test_ordering_answer_must_place_known_items_once_each(answer, message):
    with pytest.raises(MalformedAnswer) as excinfo:
        grade(ordering_key(), answer)
    assert str(excinfo.value).startswith(message)


# --------------------------------------------------------------------------- matching


def test_matching_all_pairs_matched_gets_full_marks():
    result = grade(matching_key(), {"1": 1, "2": 2, "3": 3})
    assert_full_marks(result)
    assert result.normalized_answer == {"1": 1, "2": 2, "3": 3}


def test_matching_partial_credit_counts_matched_pairs():
    result = grade(matching_key(), {1: 2, 2: 1, 3: 3})
    assert result.correct is False
    assert result.score == pytest.approx(1 / 3)
    assert result.feedback == "1 of 3 pairs matched."
    assert result.normalized_answer == {"1": 2, "2": 1, "3": 3}


def test_matching_reusing_a_right_side_scores_it_at_most_once():
    result = grade(matching_key(), {"1": 1, "2": 1, "3": 1})
    assert result.score == pytest.approx(1 / 3)


def test_a_partial_matching_is_graded_as_it_stands_with_its_unmatched_lefts_wrong():
    result = grade(matching_key(), {"3": 3, "1": 2})
    assert result.correct is False
    assert result.score == pytest.approx(1 / 3)
    assert result.feedback == "1 of 3 pairs matched. 1 item not matched."
    assert result.normalized_answer == {"1": 2, "3": 3}


def test_a_matching_with_nothing_matched_scores_zero():
    result = grade(matching_key(), {})
    assert_wrong(result)
    assert result.feedback == "0 of 3 pairs matched. 3 items not matched."
    assert result.normalized_answer == {}


def test_matching_duplicate_right_sides_in_a_bad_key_count_as_the_same_answer():
    key = AnswerKey(
        type=QT.MATCHING,
        pairs=(PairKey(1, "Baku", "Azerbaijan"), PairKey(2, "Ganja", "Azerbaijan")),
    )
    assert_full_marks(grade(key, {"1": 2, "2": 1}))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "Expected an object mapping pair ids"),
        ([1, 2, 3], "Expected an object mapping pair ids"),
        ({"1": 1, "2": 2, "3": 99}, "Unknown pair id 99."),
        ({"1": 1, "2": 2, "3": 3, "4": 1}, "Unknown pair id 4."),
        ({"1": 1, 1: 1, "2": 2, "3": 3}, "Pair 1 is matched more than once."),
        ({"one": 1, "2": 2, "3": 3}, "Expected pair ids"),
        ({"1": True, "2": 2, "3": 3}, "Expected pair ids"),
        ({"1": None, "2": 2, "3": 3}, "Expected pair ids"),
        ({"1": "Azerbaijan", "2": 2, "3": 3}, "Expected pair ids"),
    ],
)
def test_matching_malformed_answers(answer, message):
    with pytest.raises(MalformedAnswer) as excinfo:
        grade(matching_key(), answer)
    assert str(excinfo.value).startswith(message)


# --------------------------------------------------------------------------- no leaks


SECRET_KEYS_AND_WRONG_ANSWERS = [
    (single_choice_key(), 1, ["Yerevan"]),
    (multiple_choice_key(), [1], ["Azerbaijan", "Armenia"]),
    (multiple_choice_key(), [1, 3], ["Azerbaijan", "Armenia"]),
    (true_false_key(True), False, ["True", "true"]),
    (short_text_key("Yerevan", "Erevan", typo_tolerance=1), "Tbilisi", ["Yerevan", "Erevan"]),
    (numeric_key("1994", tolerance="1"), "1990", ["1994", "1993", "1995"]),
    (ordering_key(), [20, 30, 40, 10], ["A", "B", "C", "D", "10", "20"]),
    (matching_key(), {"1": 2, "2": 1, "3": 3}, ["Azerbaijan", "Armenia", "Georgia"]),
]


@pytest.mark.parametrize(("key", "answer", "secrets"), SECRET_KEYS_AND_WRONG_ANSWERS)
def test_feedback_never_leaks_the_correct_answer_when_not_fully_correct(key, answer, secrets):
    result = grade(key, answer)
    assert not result.correct
    for secret in secrets:
        assert secret not in result.feedback


@FAST
@given(st.data())
def test_feedback_for_random_imperfect_answers_names_no_option_text(data):
    key = data.draw(st.one_of(choice_keys(QT.MULTIPLE_CHOICE), ordering_keys(), matching_keys()))
    answer = data.draw(random_answer(key))
    result = grade(key, answer)
    if not result.correct:
        assert "secret" not in result.feedback.casefold()


# --------------------------------------------------------------------------- correct answers


def test_correct_answer_text_per_type():
    assert correct_answer_text(single_choice_key()) == "Yerevan"
    assert correct_answer_text(multiple_choice_key()) == "Armenia; Azerbaijan"
    assert correct_answer_text(true_false_key(True)) == "True"
    assert correct_answer_text(true_false_key(False)) == "False"
    assert correct_answer_text(short_text_key("Yerevan", "Erevan")) == "Yerevan"
    assert correct_answer_text(numeric_key("1994")) == "1994"
    assert correct_answer_text(numeric_key("1994.00")) == "1994"
    assert correct_answer_text(numeric_key("42", unit="km")) == "42 km"
    assert correct_answer_text(numeric_key("50", unit="%")) == "50%"
    assert correct_answer_text(numeric_key("9.81", "0.05", "m/s²")) == "9.81 m/s² (±0.05)"
    assert correct_answer_text(ordering_key()) == "1. A  2. B  3. C  4. D"
    assert correct_answer_text(matching_key()) == (
        "Baku → Azerbaijan; Yerevan → Armenia; Tbilisi → Georgia"
    )


def test_correct_answer_has_the_shape_a_learner_submits():
    assert correct_answer(single_choice_key()) == 2
    assert correct_answer(multiple_choice_key()) == [1, 2]
    assert correct_answer(true_false_key(False)) is False
    assert correct_answer(short_text_key("Yerevan", "Erevan")) == "Yerevan"
    assert correct_answer(numeric_key("1994.50")) == "1994.5"
    assert correct_answer(ordering_key()) == [10, 20, 30, 40]
    assert correct_answer(matching_key()) == {"1": 1, "2": 2, "3": 3}


# --------------------------------------------------------------------------- validate_key


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (
            AnswerKey(type=QT.SINGLE_CHOICE, choices=(ChoiceKey(1, "a", False),)),
            "no correct choice",
        ),
        (
            AnswerKey(
                type=QT.SINGLE_CHOICE,
                choices=(ChoiceKey(1, "a", True), ChoiceKey(2, "b", True)),
            ),
            "single choice needs exactly one correct choice (has 2)",
        ),
        (
            AnswerKey(type=QT.SINGLE_CHOICE, choices=(ChoiceKey(1, "a", True),)),
            "single choice needs at least 2 choices",
        ),
        (
            AnswerKey(
                type=QT.MULTIPLE_CHOICE,
                choices=(ChoiceKey(1, "a", True), ChoiceKey(2, "b", True)),
            ),
            "multiple choice needs at least one wrong choice",
        ),
        (
            AnswerKey(
                type=QT.MULTIPLE_CHOICE,
                choices=(ChoiceKey(1, "Baku", True), ChoiceKey(2, "baku ", False)),
            ),
            "duplicate choice text 'baku '",
        ),
        (
            AnswerKey(
                type=QT.SINGLE_CHOICE,
                choices=(ChoiceKey(1, "a", True), ChoiceKey(1, "b", False)),
            ),
            "duplicate choice id 1",
        ),
        (
            AnswerKey(
                type=QT.SINGLE_CHOICE,
                choices=(ChoiceKey(1, "a", True), ChoiceKey(2, "  ", False)),
            ),
            "choice 2 has no text",
        ),
        (AnswerKey(type=QT.TRUE_FALSE), "true/false needs an answer"),
        (AnswerKey(type=QT.SHORT_TEXT), "short text needs at least one accepted answer"),
        (short_text_key("Baku", "?"), "accepted answer '?' is empty once normalised"),
        (short_text_key("Baku", "the BAKU"), "duplicate accepted answer 'the BAKU'"),
        (
            short_text_key("Baku", typo_tolerance=4),
            "typo tolerance 4 is too large for accepted answer 'Baku'",
        ),
        (short_text_key("Baku", typo_tolerance=-1), "negative typo tolerance"),
        (AnswerKey(type=QT.NUMERIC), "numeric needs a value"),
        (numeric_key("1", tolerance="-0.5"), "negative tolerance"),
        (
            numeric_key("1e16"),
            "numeric value is larger than learners may enter (10^15)",
        ),
        (
            AnswerKey(type=QT.NUMERIC, value=Decimal("NaN")),
            "numeric value must be a finite number",
        ),
        (
            AnswerKey(type=QT.ORDERING, items=(ItemKey(1, "a"),)),
            "ordering needs at least 2 items",
        ),
        (
            AnswerKey(type=QT.ORDERING, items=(ItemKey(1, "a"), ItemKey(2, "A"))),
            "duplicate item text 'A'",
        ),
        (
            AnswerKey(type=QT.MATCHING, pairs=(PairKey(1, "a", "b"),)),
            "matching needs at least 2 pairs",
        ),
        (
            AnswerKey(
                type=QT.MATCHING,
                pairs=(PairKey(1, "Baku", "Azerbaijan"), PairKey(2, "Ganja", "Azerbaijan")),
            ),
            "duplicate right-hand item 'Azerbaijan'",
        ),
        (
            AnswerKey(type=QT.MATCHING, pairs=(PairKey(1, "a", "b"), PairKey(2, "A", "c"))),
            "duplicate left-hand item 'A'",
        ),
        (
            AnswerKey(type=QT.MATCHING, pairs=(PairKey(1, "a", ""), PairKey(2, "b", "c"))),
            "pair 1 has an empty side",
        ),
        (
            AnswerKey(type=QT.TRUE_FALSE, answer_bool=True, accepted=("yes",)),
            "accepted answers set but not used by true/false questions",
        ),
        (
            AnswerKey(type=QT.SHORT_TEXT, accepted=("Baku",), unit="km"),
            "unit set but not used by short text questions",
        ),
        (
            AnswerKey(type=QT.NUMERIC, value=Decimal(1), typo_tolerance=1),
            "typo tolerance set but not used by numeric questions",
        ),
        (
            AnswerKey(
                type=QT.ORDERING,
                items=(ItemKey(1, "a"), ItemKey(2, "b")),
                choices=(ChoiceKey(1, "a", True),),
            ),
            "choices set but not used by ordering questions",
        ),
    ],
)
def test_validate_key_reports_problems(key, problem):
    assert problem in validate_key(key)


def test_validate_key_accepts_good_keys():
    for key in (
        single_choice_key(),
        multiple_choice_key(),
        true_false_key(False),
        short_text_key("Yerevan", "Erevan", typo_tolerance=1),
        numeric_key("9.81", "0.05", "m/s²"),
        ordering_key(),
        matching_key(),
    ):
        assert validate_key(key) == []


def test_validate_key_keeps_texts_that_differ_only_in_punctuation_apart():
    key = AnswerKey(
        type=QT.SINGLE_CHOICE, choices=(ChoiceKey(1, "C", False), ChoiceKey(2, "C#", True))
    )
    assert validate_key(key) == []


# --------------------------------------------------------------------------- properties


ids = st.integers(min_value=1, max_value=10**6)


def unique_ids(size: int):
    return st.lists(ids, min_size=size, max_size=size, unique=True)


@st.composite
def choice_keys(draw, type_: QuestionType):
    size = draw(st.integers(min_value=2, max_value=7))
    choice_ids = draw(unique_ids(size))
    if type_ is QT.SINGLE_CHOICE:
        right = draw(st.integers(min_value=0, max_value=size - 1))
        flags = [i == right for i in range(size)]
    else:
        flags = draw(st.lists(st.booleans(), min_size=size, max_size=size))
        assume(any(flags) and not all(flags))
    choices = tuple(
        ChoiceKey(id_, f"Secret choice {n}", flag)
        for n, (id_, flag) in enumerate(zip(choice_ids, flags, strict=True))
    )
    return AnswerKey(type=type_, choices=choices)


@st.composite
def ordering_keys(draw):
    item_ids = draw(unique_ids(draw(st.integers(min_value=2, max_value=7))))
    return AnswerKey(
        type=QT.ORDERING, items=tuple(ItemKey(id_, f"Secret item {id_}") for id_ in item_ids)
    )


@st.composite
def matching_keys(draw):
    pair_ids = draw(unique_ids(draw(st.integers(min_value=2, max_value=6))))
    pairs = tuple(PairKey(id_, f"Secret left {id_}", f"Secret right {id_}") for id_ in pair_ids)
    return AnswerKey(type=QT.MATCHING, pairs=pairs)


@st.composite
def short_text_keys(draw):
    tolerance = draw(st.integers(min_value=0, max_value=2))
    word = st.text(alphabet=WORD_LETTERS, min_size=3, max_size=10)
    accepted = draw(st.lists(word, min_size=1, max_size=3, unique_by=normalize_text))
    return AnswerKey(type=QT.SHORT_TEXT, accepted=tuple(accepted), typo_tolerance=tolerance)


@st.composite
def numeric_keys(draw):
    places = draw(st.integers(min_value=0, max_value=8))
    value = draw(
        st.decimals(min_value=-(10**15), max_value=10**15, places=places, allow_nan=False).filter(
            lambda d: len(d.as_tuple().digits) <= 30
        )
    )
    tolerance = draw(st.decimals(min_value=0, max_value=100, places=3, allow_nan=False))
    unit = draw(st.sampled_from(["", "km", "%", "m/s²"]))
    return AnswerKey(type=QT.NUMERIC, value=value, tolerance=tolerance, unit=unit)


any_valid_key = st.one_of(
    choice_keys(QT.SINGLE_CHOICE),
    choice_keys(QT.MULTIPLE_CHOICE),
    st.booleans().map(true_false_key),
    short_text_keys(),
    numeric_keys(),
    ordering_keys(),
    matching_keys(),
)


@st.composite
def random_answer(draw, key: AnswerKey):
    """A well-formed (not necessarily right) answer to a choice/ordering/matching key."""
    if key.type is QT.MULTIPLE_CHOICE:
        choice_ids = [c.id for c in key.choices]
        return draw(st.lists(st.sampled_from(choice_ids), unique=True, max_size=len(choice_ids)))
    if key.type is QT.ORDERING:
        return draw(st.permutations([item.id for item in key.items]))
    pair_ids = [pair.id for pair in key.pairs]
    rights = st.sampled_from(pair_ids)
    return {(str(id_) if draw(st.booleans()) else id_): draw(rights) for id_ in pair_ids}


@settings(max_examples=150, deadline=None)
@given(any_valid_key)
def test_correct_answer_always_gets_full_marks_for_valid_keys(key):
    assert validate_key(key) == []
    result = grade(key, correct_answer(key))
    assert_full_marks(result)
    assert correct_answer_text(key)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_partial_credit_is_always_between_zero_and_one(data):
    key = data.draw(st.one_of(choice_keys(QT.MULTIPLE_CHOICE), ordering_keys(), matching_keys()))
    result = grade(key, data.draw(random_answer(key)))
    assert 0.0 <= result.score <= 1.0
    assert result.correct == (result.score == 1.0)


@st.composite
def partial_answer(draw, key: AnswerKey):
    """A well-formed ordering or matching answer with some of its places left empty."""
    if key.type is QT.ORDERING:
        order = draw(st.permutations([item.id for item in key.items]))
        empty = draw(st.sets(st.integers(0, len(order) - 1)))
        answer = [None if i in empty else id_ for i, id_ in enumerate(order)]
        return answer[: draw(st.integers(len(answer) - 1, len(answer)))] if empty else answer
    pair_ids = [pair.id for pair in key.pairs]
    lefts = draw(st.lists(st.sampled_from(pair_ids), unique=True, max_size=len(pair_ids)))
    return {str(left): draw(st.sampled_from(pair_ids)) for left in lefts}


def fill_one_place(key: AnswerKey, answer, data):
    """The answer with one more item placed (ordering) or one more left matched (matching)."""
    if key.type is QT.ORDERING:
        answer = answer + [None] * (len(key.items) - len(answer))
        unplaced = [item.id for item in key.items if item.id not in answer]
        empty = [i for i, id_ in enumerate(answer) if id_ is None]
        answer[data.draw(st.sampled_from(empty))] = data.draw(st.sampled_from(unplaced))
        return answer
    unmatched = [pair.id for pair in key.pairs if str(pair.id) not in answer]
    right = data.draw(st.sampled_from([pair.id for pair in key.pairs]))
    return {**answer, str(data.draw(st.sampled_from(unmatched))): right}


def is_complete(key: AnswerKey, answer) -> bool:
    if key.type is QT.ORDERING:
        return len(answer) == len(key.items) and None not in answer
    return len(answer) == len(key.pairs)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_partial_answer_scores_below_full_marks_and_keeps_what_was_given(data):
    key = data.draw(st.one_of(ordering_keys(), matching_keys()))
    answer = data.draw(partial_answer(key))
    result = grade(key, answer)
    assert 0.0 <= result.score <= 1.0
    assert result.correct == (result.score == 1.0)
    if not is_complete(key, answer):
        assert not result.correct
    if key.type is QT.ORDERING:
        assert result.normalized_answer[: len(answer)] == answer
        assert len(result.normalized_answer) == len(key.items)
    else:
        assert result.normalized_answer == answer


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_placing_one_more_item_or_matching_one_more_left_never_lowers_the_score(data):
    key = data.draw(st.one_of(ordering_keys(), matching_keys()))
    answer = data.draw(partial_answer(key))
    assume(not is_complete(key, answer))
    fuller = fill_one_place(key, answer, data)
    assert grade(key, fuller).score >= grade(key, answer).score


@FAST
@given(ordering_keys())
def test_ordering_scores_every_permutation_below_full_marks_except_the_right_one(key):
    item_ids = [item.id for item in key.items]
    for order in itertools.islice(itertools.permutations(item_ids), 50):
        result = grade(key, list(order))
        assert result.correct == (list(order) == item_ids)


@FAST
@given(numeric_keys(), st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False))
def test_numeric_grade_matches_exact_distance_rule(key, offset):
    answer = key.value + offset
    assume(abs(answer) <= 10**15)
    result = grade(key, answer)
    assert result.correct == (abs(offset) <= key.tolerance)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_answer_key_survives_a_json_round_trip(data):
    import json

    key = data.draw(any_valid_key)
    restored = AnswerKey.from_json(json.loads(json.dumps(key.to_json())))
    assert restored == key
    assert grade(restored, correct_answer(key)).score == 1.0
