import re

import pytest
from django.test import Client

from quizapp.study.models import Review
from tests.factories import StudentFactory
from tests.frontend.conftest import csrf_token, form_value

HTMX = {"HX-Request": "true"}


def ids(question, related: str) -> dict[str, int]:
    field = "left" if related == "match_pairs" else "text"
    return {getattr(part, field): part.pk for part in getattr(question, related).all()}


def answer(client, question, extra: dict, **headers):
    data = {"question": question.pk, "deck": "", "mode": "practice", "shown_at": "0", **extra}
    return client.post("/answers/", data, headers=headers)


def verdict(response) -> tuple[str, str]:
    html = response.content.decode()
    title = re.search(r'class="verdict-title">([^<]+)<', html).group(1)
    proposed = re.search(r"proposed: (\w+)\)", html).group(1)
    return title, proposed


def answers(bank) -> list[tuple[object, dict, dict, dict | None]]:
    """(question, right answer, wrong answer, partly right answer) as form fields."""
    single = ids(bank.single, "choices")
    multiple = ids(bank.multiple, "choices")
    items = ids(bank.ordering, "order_items")
    pairs = ids(bank.matching, "match_pairs")
    in_order = [items["Yerevan"], items["Baku"], items["Tashkent"]]
    return [
        (bank.true_false, {"answer": "true"}, {"answer": "false"}, None),
        (bank.single, {"answer": single["Yerevan"]}, {"answer": single["Baku"]}, None),
        (
            bank.multiple,
            {"answer": [multiple["Baku"], multiple["Yerevan"]]},
            {"answer": [multiple["Lachin"]]},
            {"answer": [multiple["Baku"]]},
        ),
        (bank.short_text, {"answer": "Bakuu"}, {"answer": "Yerevan"}, None),
        (bank.numeric, {"answer": "1 994"}, {"answer": "1991"}, None),
        (
            bank.ordering,
            {f"position-{item}": n for n, item in enumerate(in_order, start=1)},
            {f"position-{item}": n for n, item in enumerate(reversed(in_order), start=1)},
            {f"position-{item}": n for n, item in enumerate(in_order[1:] + in_order[:1], 1)},
        ),
        (
            bank.matching,
            {f"match-{pk}": pk for pk in pairs.values()},
            {
                f"match-{pairs['Yerevan']}": pairs["Baku"],
                f"match-{pairs['Baku']}": pairs["Tbilisi"],
                f"match-{pairs['Tbilisi']}": pairs["Yerevan"],
            },
            {
                f"match-{pairs['Yerevan']}": pairs["Yerevan"],
                f"match-{pairs['Baku']}": pairs["Tbilisi"],
                f"match-{pairs['Tbilisi']}": pairs["Baku"],
            },
        ),
    ]


def test_practice_grades_every_type_and_proposes_a_rating(signed_in, bank):
    for question, right, wrong, partial in answers(bank):
        assert verdict(answer(signed_in, question, right)) == ("Correct", "Good"), question.type
        assert verdict(answer(signed_in, question, wrong)) == ("Not right", "Again"), question.type
        if partial:
            assert verdict(answer(signed_in, question, partial)) == ("Partly right", "Hard")


def test_the_result_shows_why_with_the_correct_answer_explanation_and_quote(signed_in, bank):
    html = answer(signed_in, bank.short_text, {"answer": "Yerevan"}).content.decode()
    assert "Not accepted." in html
    assert "<dt>Your answer</dt><dd>Yerevan</dd>" in html
    assert "<dt>Correct answer</dt><dd>Baku</dd>" in html
    assert "Because the article says so." in html
    assert f"?q={bank.short_text.slug}#p-1" in html
    assert re.search(r'class="rating rating-1 proposed"[^>]*autofocus', html)
    html = answer(signed_in, bank.short_text, {"answer": "Bakku"}).content.decode()
    assert "Accepted: close spelling of “Baku” (1 letter off)." in html


def test_with_htmx_the_grade_is_announced_in_the_live_region(signed_in, bank):
    response = answer(signed_in, bank.numeric, {"answer": "1994"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="study-region"')
    assert re.search(
        r'id="announcer"[^>]*hx-swap-oob="true"[^>]*>Correct\. Proposed rating: Good\.<',
        body,
    )


def test_confirming_the_rating_records_a_practice_review(signed_in, learner, bank):
    html = answer(signed_in, bank.single, {"answer": ids(bank.single, "choices")["Baku"]})
    html = html.content.decode()
    response = signed_in.post(
        "/reviews/",
        {
            "question": form_value(html, "question"),
            "review_id": form_value(html, "review_id"),
            "shown_at": form_value(html, "shown_at"),
            "mode": "practice",
            "rating": 1,
        },
    )
    assert response["Location"] == "/practice/"
    review = Review.objects.get(user=learner)
    assert (review.question, review.rating, review.source) == (bank.single, 1, "practice")


@pytest.mark.parametrize(
    ("field", "extra", "message"),
    [
        ("single", {}, "Choose an answer."),
        ("true_false", {"answer": "maybe"}, "true or false"),
        ("numeric", {"answer": "twelve"}, "is not a number"),
        ("numeric", {"answer": ""}, "Enter a number."),
        ("short_text", {"answer": "x" * 501}, "too long"),
    ],
)
def test_malformed_answers_re_render_the_question_with_a_message(
    signed_in, bank, field, extra, message
):
    response = answer(signed_in, getattr(bank, field), extra)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'role="alert"' in html
    assert 'action="/answers/"' in html  # the question again, to answer properly
    assert not Review.objects.exists()


def test_a_choice_id_that_is_not_one_of_the_questions_is_unknown(signed_in, bank):
    # A real id of another question's choice, not a made-up one (99999): ids come from a
    # sequence that other tests advance, so no literal is safely unused.
    other = ids(bank.multiple, "choices")["Lachin"]
    response = answer(signed_in, bank.single, {"answer": str(other)})
    assert response.status_code == 422
    html = response.content.decode()
    assert f"Unknown choice id {other}." in html and 'role="alert"' in html
    assert not Review.objects.exists()


def test_ordering_positions_used_twice_are_reported(signed_in, bank):
    items = list(ids(bank.ordering, "order_items").values())
    response = answer(signed_in, bank.ordering, {f"position-{item}": 1 for item in items})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Position 1 is given to two items" in html
    assert html.count('<option value="1" selected>') == 3  # the learner's choices are kept
    response = answer(signed_in, bank.ordering, {f"position-{item}": "²" for item in items})
    assert response.status_code == 422  # a Unicode digit is not a position, nor a 500


def test_an_ordering_or_matching_left_partly_empty_is_graded_as_it_stands(signed_in, bank):
    items = ids(bank.ordering, "order_items")
    placed = {f"position-{items['Yerevan']}": 1, f"position-{items['Baku']}": 2}
    html = answer(signed_in, bank.ordering, placed).content.decode()
    assert '<p class="verdict-title">Partly right</p>' in html
    assert "1 of 2 adjacent pairs in the correct order. 1 item not placed." in html
    assert "<dt>Your answer</dt><dd>1. Yerevan  2. Baku  3. (empty)</dd>" in html
    pairs = ids(bank.matching, "match_pairs")
    matched = {f"match-{pairs['Yerevan']}": pairs["Yerevan"]}
    html = answer(signed_in, bank.matching, matched).content.decode()
    assert "1 of 3 pairs matched. 2 items not matched." in html
    assert (
        "<dt>Your answer</dt><dd>Yerevan → Armenia; Baku → (not matched); "
        "Tbilisi → (not matched)</dd>"
    ) in html


def shown_items(html: str) -> tuple[str, ...]:
    return tuple(re.findall(r'<label for="answer-position-\d+">(\w+)</label>', html))


def test_ordering_and_matching_are_answered_with_labelled_selects(signed_in, bank):
    url = f"/practice/?card={bank.ordering.pk}"
    html = signed_in.get(url).content.decode()
    for item, pk in ids(bank.ordering, "order_items").items():
        assert f'<label for="answer-position-{pk}">{item}</label>' in html
        assert f'<select id="answer-position-{pk}" name="position-{pk}">' in html
    # The items are shuffled by a seed of learner and question: the same order every visit.
    mine = shown_items(html)
    assert sorted(mine) == ["Baku", "Tashkent", "Yerevan"]
    assert shown_items(signed_in.get(url).content.decode()) == mine
    html = signed_in.get(f"/practice/?card={bank.matching.pk}").content.decode()
    for left, pk in ids(bank.matching, "match_pairs").items():
        assert f'<label for="answer-match-{pk}">{left}</label>' in html


def test_ordering_items_are_not_listed_in_their_stored_order_for_everyone(signed_in, bank):
    """The shuffle is uniform, so the right order comes up for about one learner in six (with
    3 items): one learner's order proves nothing, and which one a learner gets depends on the
    ids the database hands out. Across 12 learners, all seeing one order has odds of about 3e-9."""
    url = f"/practice/?card={bank.ordering.pk}"
    orders = {shown_items(signed_in.get(url).content.decode())}
    for other in StudentFactory.create_batch(11):
        client = Client()
        client.force_login(other)
        orders.add(shown_items(client.get(url).content.decode()))
    assert len(orders) > 1


def test_practising_a_draft_question_is_not_found(signed_in, bank):
    assert answer(signed_in, bank.draft, {"answer": "true"}).status_code == 404
    response = signed_in.post("/answers/", {"question": "x"})
    assert response.status_code == 404


def test_practice_answers_enforce_csrf(csrf_client, bank):
    data = {"question": bank.true_false.pk, "answer": "true"}
    assert csrf_client.post("/answers/", data).status_code == 403
    data["csrfmiddlewaretoken"] = csrf_token(csrf_client, "/practice/")
    assert csrf_client.post("/answers/", data).status_code == 200


def test_practice_takes_a_bounded_number_of_queries(signed_in, bank, django_assert_max_num_queries):
    # Including the first visit's one-off writes (learner settings, the session's start).
    with django_assert_max_num_queries(28):
        signed_in.get("/practice/capitals/")
    with django_assert_max_num_queries(22):
        answer(signed_in, bank.matching, {}, **HTMX)
