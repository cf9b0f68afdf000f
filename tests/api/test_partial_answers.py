"""A partial ordering or matching answer saved on the web reads back through the API as it was
saved, in the attempt's numbers: null at an empty position, an unmatched left left out."""

from django.test import Client

from quizapp.quizzes.models import Attempt
from tests.api.quiz_data import PAIRS, question_of_each_type
from tests.factories import QuizFactory
from tests.frontend.answer_controls import pick_and_save


def test_a_partial_answer_saved_on_the_web_reads_back_as_saved(api, learner, db):
    questions = question_of_each_type()
    ordering, matching = questions[5], questions[6]
    quiz = QuizFactory(questions=[ordering, matching])
    attempt = api.post(f"/api/v1/quizzes/{quiz.pk}/attempts").json()
    stored = Attempt.objects.get(pk=attempt["id"])
    web = Client()
    web.force_login(learner)
    pick_and_save(web, stored, ordering, {"Independence": "1", "Treaty of Kars": "3"})
    (left, right), unmatched = PAIRS[1], PAIRS[0][0]
    pick_and_save(web, stored, matching, {left: right})

    shown = {q["type"]: q for q in api.get(f"/api/v1/attempts/{attempt['id']}").json()["questions"]}
    items = {item["id"]: item["text"] for item in shown["ordering"]["items"]}
    answer = shown["ordering"]["answer"]
    assert [items.get(number) for number in answer] == [
        "Independence",
        None,
        "Treaty of Kars",
        None,
    ]
    lefts = {str(o["id"]): o["text"] for o in shown["matching"]["lefts"]}
    rights = {o["id"]: o["text"] for o in shown["matching"]["rights"]}
    matched = {lefts[n]: rights[r] for n, r in shown["matching"]["answer"].items()}
    assert matched == {left: right} and unmatched not in matched
    assert shown["ordering"]["answered"] and shown["matching"]["answered"]
