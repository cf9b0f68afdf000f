"""Answers read from the web's answer controls: in the shape `grading.grade` takes, numbered as
the attempt shows the options, and partial where the learner left rows empty."""

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.bank.answer_forms import answer_from_form, answer_text, previous_answer
from quizapp.bank.grading import (
    AnswerKey,
    ChoiceKey,
    ItemKey,
    MalformedAnswer,
    PairKey,
    QuestionType,
    grade,
)

ORDERING = AnswerKey(
    type=QuestionType.ORDERING,
    items=(ItemKey(10, "Kars"), ItemKey(20, "Soviet rule"), ItemKey(30, "Independence")),
)
MATCHING = AnswerKey(
    type=QuestionType.MATCHING,
    pairs=(
        PairKey(1, "Baku", "Azerbaijan"),
        PairKey(2, "Yerevan", "Armenia"),
        PairKey(3, "Tbilisi", "Georgia"),
    ),
)
# The order an attempt shows the items (ordering) or the right sides (matching) in.
ITEMS_SHOWN, RIGHTS_SHOWN = [30, 10, 20], [3, 1, 2]


def form(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        data[name.replace("_", "-")] = value
    return data


def test_an_ordering_with_rows_left_empty_is_read_as_given():
    # Items are numbered as shown: 1 = Independence, 2 = Kars, 3 = Soviet rule.
    answer = answer_from_form(ORDERING, form(position_2="3", position_1=""), order=ITEMS_SHOWN)
    assert answer == [None, None, 10]
    assert grade(ORDERING, answer).score == 0.0


def test_an_ordering_position_given_to_two_items_is_refused_with_a_message():
    with pytest.raises(MalformedAnswer, match=r"^Position 1 is given to two items"):
        answer_from_form(ORDERING, form(position_1="1", position_3="1"), order=ITEMS_SHOWN)


@pytest.mark.parametrize("position", ["0", "4", "²", "-1", "1.0", "x"])
def test_an_ordering_position_not_offered_is_refused(position):
    with pytest.raises(MalformedAnswer, match=r"^Choose a position from the list\.$"):
        answer_from_form(ORDERING, form(position_1=position), order=ITEMS_SHOWN)


def test_a_matching_with_rows_left_empty_is_read_as_given():
    # Right sides are numbered as shown: 1 = Georgia, 2 = Azerbaijan, 3 = Armenia.
    answer = answer_from_form(
        MATCHING, form(match_1="2", match_2="", match_3=""), order=RIGHTS_SHOWN
    )
    assert answer == {"1": 1}
    assert answer_from_form(MATCHING, form(), order=RIGHTS_SHOWN) == {}


def test_a_partial_answer_in_words_names_what_is_missing():
    assert answer_text(ORDERING, [20, None, 10]) == "1. Soviet rule  2. (empty)  3. Kars"
    assert answer_text(ORDERING, [None, None, None]) == "(nothing)"
    assert answer_text(MATCHING, {"2": 3}) == (
        "Baku → (not matched); Yerevan → Georgia; Tbilisi → (not matched)"
    )
    assert answer_text(MATCHING, {}) == "(nothing)"


# --------------------------------------------------------------------------- round trips


def keys_of_every_listed_type():
    ids = st.lists(st.integers(1, 10**6), min_size=2, max_size=6, unique=True)

    def choice(type_):
        return ids.map(
            lambda chosen: AnswerKey(
                type=type_,
                choices=tuple(ChoiceKey(i, f"Choice {i}", n == 0) for n, i in enumerate(chosen)),
            )
        )

    return st.one_of(
        choice(QuestionType.SINGLE_CHOICE),
        choice(QuestionType.MULTIPLE_CHOICE),
        ids.map(
            lambda chosen: AnswerKey(
                type=QuestionType.ORDERING, items=tuple(ItemKey(i, f"Item {i}") for i in chosen)
            )
        ),
        ids.map(
            lambda chosen: AnswerKey(
                type=QuestionType.MATCHING,
                pairs=tuple(PairKey(i, f"Left {i}", f"Right {i}") for i in chosen),
            )
        ),
    )


@st.composite
def any_answer(draw, key: AnswerKey):
    """Any well-formed answer, partial ones included, as `grading.grade` takes it."""
    match key.type:
        case QuestionType.SINGLE_CHOICE:
            return draw(st.sampled_from([c.id for c in key.choices]))
        case QuestionType.MULTIPLE_CHOICE:
            return draw(st.lists(st.sampled_from([c.id for c in key.choices]), unique=True))
        case QuestionType.ORDERING:
            order = draw(st.permutations([item.id for item in key.items]))
            return [draw(st.sampled_from([item_id, None])) for item_id in order]
    pair_ids = [pair.id for pair in key.pairs]
    lefts = draw(st.lists(st.sampled_from(pair_ids), unique=True))
    return {str(left): draw(st.sampled_from(pair_ids)) for left in lefts}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_stored_answer_shown_again_reads_back_as_the_same_answer(data):
    """What the page shows of a saved answer (`previous_answer`) is what saving the page as it
    stands would store again (`answer_from_form`), in any display order, partial or not."""
    key = data.draw(keys_of_every_listed_type())
    answer = data.draw(any_answer(key))
    options = key.choices or key.items or key.pairs
    for order in (None, data.draw(st.permutations([option.id for option in options]))):
        shown = previous_answer(key, answer, order=order)
        read = answer_from_form(key, shown, order=order)
        assert grade(key, read).normalized_answer == grade(key, answer).normalized_answer
