"""While a learner takes a quiz, the flashcards of its questions (which show their answers)
are nowhere on the study pages: not in the queue, not by `?card=`, not graded in practice, not
listed or highlighted in the source reader. Submitting the quiz brings them back."""

import pytest

from quizapp.quizzes.services import attempt_start, attempt_submit
from quizapp.study.models import Review
from tests.factories import QuizFactory
from tests.frontend.conftest import NOW, form_value
from tests.frontend.test_study import rate, shown_card


@pytest.fixture
def attempt(learner, bank):
    """An attempt in progress at a quiz of two of the deck's questions, the first of which
    heads the deck."""
    quiz = QuizFactory(questions=[bank.true_false, bank.single], feedback_mode="after_submit")
    return attempt_start(user=learner, quiz=quiz, now=NOW)


def test_the_study_and_practice_queues_skip_the_quizs_questions(
    signed_in, bank, attempt, django_assert_max_num_queries
):
    signed_in.get("/study/")  # the learner's settings row exists from here on
    for url in ("/study/capitals/", "/practice/", "/study/"):
        with django_assert_max_num_queries(21):
            html = signed_in.get(url).content.decode()
        assert shown_card(html) == bank.multiple.pk, url
        assert bank.true_false.prompt.replace("'", "&#x27;") not in html
    home = signed_in.get("/").content.decode()
    assert 'class="num count-new">5</td>' in home  # of 7 published: the quiz's two wait


@pytest.mark.parametrize("page", ["/study/", "/practice/", "/study/capitals/"])
def test_a_withheld_card_cannot_be_opened_by_its_id(signed_in, bank, attempt, page):
    assert signed_in.get(page, {"card": bank.single.pk}).status_code == 404
    assert signed_in.get(page, {"card": bank.multiple.pk}).status_code == 200


def test_a_withheld_question_is_not_graded_in_practice(signed_in, bank, attempt):
    right = bank.single.choices.get(is_correct=True)
    data = {"question": bank.single.pk, "mode": "practice", "shown_at": "0", "answer": right.pk}
    response = signed_in.post("/answers/", data)
    assert response.status_code == 404
    assert "Correct" not in response.content.decode()


def test_the_source_reader_neither_lists_nor_highlights_withheld_questions(
    signed_in, bank, attempt
):
    html = signed_in.get("/sources/the-article/").content.decode()
    assert "5 questions cite this paragraph" in html
    assert bank.single.prompt not in html and f"card={bank.single.pk}" not in html
    assert bank.multiple.prompt in html
    highlighted = signed_in.get(f"/sources/the-article/?q={bank.single.slug}").content.decode()
    assert "<mark>" not in highlighted and "Highlighted" not in highlighted


def test_a_card_shown_before_the_quiz_started_can_still_be_rated(signed_in, learner, bank):
    html = signed_in.get("/study/capitals/").content.decode()
    assert shown_card(html) == bank.true_false.pk
    quiz = QuizFactory(questions=[bank.true_false])
    attempt_start(user=learner, quiz=quiz, now=NOW)
    response = rate(signed_in, html, 3, **{"HX-Request": "true"})
    assert response.status_code == 200
    assert Review.objects.get(user=learner).question_id == bank.true_false.pk
    # The next card is not the withheld one, though a rated card would come back soon.
    assert int(form_value(response.content.decode(), "question")) == bank.single.pk


def test_submitting_the_quiz_brings_its_cards_back(signed_in, bank, attempt):
    attempt_submit(attempt=attempt, now=NOW)
    assert shown_card(signed_in.get("/study/capitals/").content.decode()) == bank.true_false.pk
    assert signed_in.get("/practice/", {"card": bank.single.pk}).status_code == 200
    html = signed_in.get(f"/sources/the-article/?q={bank.single.slug}").content.decode()
    assert "<mark>Yerevan is the capital of Armenia</mark>" in html
