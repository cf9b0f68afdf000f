"""No answer leaks: before a quiz's feedback mode allows it, nothing a learner can fetch from the
API carries a correct answer, a correctness flag, a score or an explanation of its questions.

For each feedback mode a learner takes a quiz of every question type, answering everything
right (the answers most worth leaking), and every response they can get along the way (quiz
list and detail, attempt start and reads, each answer saved, the submission, sync, the study
queue, classes, progress, decks, undo) is deep-searched for:

* the answer data as text: each question's explanation, accepted answer, and correct answer as
  text wherever it is not something the question shows anyway (a choice's text is shown);
* structure: a result, correctness, score or explanation attached to a quiz question, the
  attempt's totals, bank ids for options (which give answers away: see
  `quizapp.api.option_numbers`), and a card state for a quiz question (its schedule shows which
  answers were right).

Once the mode allows it, the same responses do carry the results: the search must find them,
which also proves it can.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from quizapp.accounts.models import User
from quizapp.bank import grading
from quizapp.bank.models import DeckQuestion, Question
from quizapp.classroom.management.commands.seed_demo import DEMO_QUIZ
from quizapp.quizzes.models import Attempt, Quiz
from quizapp.quizzes.services import attempt_reviews_record
from quizapp.study.models import CardState, Review
from tests.api.conftest import token_client
from tests.api.quiz_data import assigned_quiz, key_of, question_of_each_type, right_answer
from tests.factories import QuestionFactory, TeacherFactory

MIN_SECRET = 5  # shorter texts ("True") occur anywhere; the structural search covers them

# Keys under which answer data would travel, wherever they appear inside a quiz question.
ANSWER_KEYS = {
    "result",
    "correct",
    "is_correct",
    "correct_answer",
    "correct_answer_text",
    "answer_key",
    "accepted",
    "back",
    "explanation",
    "feedback",
    "score",
    "points_awarded",
}
TOTALS = ("score", "percentage", "passed")


@dataclass
class Secrets:
    """What must not show about a quiz's questions, and which of it may show now."""

    texts: dict[int, set[str]]  # question id → its answer data as text
    slugs: dict[int, str]
    revealed: set[int] = field(default_factory=set)
    totals_revealed: bool = False

    @classmethod
    def of(cls, questions) -> "Secrets":
        texts = {}
        for question in questions:
            key = key_of(question)
            shown = {question.prompt, *(c.text for c in key.choices), *(i.text for i in key.items)}
            shown |= {p.left for p in key.pairs} | {p.right for p in key.pairs}
            candidates = {question.explanation, grading.correct_answer_text(key), *key.accepted}
            if key.value is not None:
                candidates.add(str(key.value.normalize()))
            texts[question.pk] = {
                text for text in candidates if len(text) >= MIN_SECRET and text not in shown
            }
        return cls(texts=texts, slugs={q.pk: q.slug for q in questions})

    def hidden(self) -> set[int]:
        return set(self.texts) - self.revealed

    def reveal_all(self) -> None:
        self.revealed = set(self.texts)
        self.totals_revealed = True


def answer_data_in(body: object, secrets: Secrets) -> list[str]:
    """Every place in a response body where hidden answer data shows."""
    found = []
    text = json.dumps(body, ensure_ascii=False)
    for question_id in secrets.hidden():
        found += [f"text {t!r}" for t in secrets.texts[question_id] if t in text]
    _walk(body, secrets, "$", found)
    return found


def _walk(node: object, secrets: Secrets, path: str, found: list[str]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, secrets, f"{path}[{index}]", found)
        return
    if not isinstance(node, dict):
        return
    hidden = secrets.hidden()
    if node.get("id") in secrets.texts and "prompt" in node:  # a quiz question
        _check_options(node, path, found)
        if node["id"] in hidden:
            found += [f"{path}.{key}" for key in ANSWER_KEYS if node.get(key) is not None]
    if "questions" in node and "results_visible" in node and not secrets.totals_revealed:
        found += [f"{path}.{name}" for name in TOTALS if node.get(name) is not None]
        if node.get("results_visible"):
            found.append(f"{path}.results_visible")
    # A card state (or anything else naming the question) for a hidden quiz question.
    hidden_slugs = {secrets.slugs[q] for q in hidden}
    named = node.get("question")
    if node.get("question_id") in hidden or (isinstance(named, str) and named in hidden_slugs):
        found.append(f"{path} (names a hidden quiz question)")
    for key, value in node.items():
        _walk(value, secrets, f"{path}.{key}", found)


def _check_options(question: dict, path: str, found: list[str]) -> None:
    for name in ("choices", "items", "lefts", "rights"):
        ids = [option["id"] for option in question.get(name, [])]
        if ids != list(range(1, len(ids) + 1)):
            found.append(f"{path}.{name} ids {ids} (bank ids, not positions)")


def echo_safe_right_answer(shown: dict) -> object:
    """A right answer whose text does not repeat the secret verbatim (so the learner's own
    answer, echoed back, is not mistaken for a leak): other case, other number format."""
    answer = right_answer(shown)
    if shown["type"] == "short_text":
        return answer.lower()
    if shown["type"] == "numeric":
        return f"{answer:,.2f}".replace(",", " ").replace(".", ",")  # "4 711,25"
    return answer


# --------------------------------------------------------------------------- the scenario


class Learner:
    """A learner's client that deep-searches every response it gets."""

    def __init__(self, api, secrets: Secrets):
        self.api, self.secrets = api, secrets
        self.seen: list[tuple[str, object]] = []

    def fetch(self, method: str, url: str, body=None, expect=(200, 201)) -> object:
        response = getattr(self.api, method)(url, body) if body else getattr(self.api, method)(url)
        assert response.status_code in expect, (url, response.status_code, response.content)
        data = response.json() if response.content else None
        self.seen.append((f"{method.upper()} {url}", data))
        leaks = answer_data_in(data, self.secrets)
        assert not leaks, f"{method.upper()} {url} leaks {leaks}"
        return data

    def everything_else(self) -> None:
        """The reads that do not name the quiz, which must not leak it either."""
        self.fetch("get", "/api/v1/sync")
        self.fetch("get", "/api/v1/study/queue?limit=100")
        self.fetch("get", "/api/v1/classes")
        self.fetch("get", "/api/v1/progress")
        self.fetch("get", "/api/v1/decks")
        self.fetch("get", "/api/v1/me")


@pytest.fixture(params=["quiz only", "also flashcards"])
def setting(request, db, learner, deck):
    """A quiz of every question type, assigned to the learner's class, closing in two hours;
    and a deck to study, so sync and the queue have something in them. Its questions are the
    quiz's own, or also flashcards in the deck (whose backs must then wait as the quiz's
    results do)."""
    QuestionFactory(deck=deck)
    teacher = TeacherFactory()
    questions = question_of_each_type(owner=teacher, marker="-q")
    if request.param == "also flashcards":
        for position, question in enumerate(questions, start=1):
            DeckQuestion.objects.create(deck=deck, question=question, position=position)
    closes = timezone.now() + timedelta(hours=2)

    def quiz(mode: str):
        return assigned_quiz(
            teacher=teacher,
            learner=learner,
            questions=questions,
            due_at=closes,
            closes_at=closes,
            feedback_mode=mode,
        )

    return quiz, Secrets.of(questions), closes


def take_the_quiz(learner: Learner, quiz, *, immediate: bool) -> dict:
    """Every step of a quiz up to and including its submission, searched as it goes."""
    learner.fetch("get", "/api/v1/quizzes")
    learner.fetch("get", f"/api/v1/quizzes/{quiz.pk}")
    attempt = learner.fetch("post", f"/api/v1/quizzes/{quiz.pk}/attempts")
    learner.fetch("get", f"/api/v1/attempts/{attempt['id']}")
    learner.everything_else()
    for question in attempt["questions"]:
        url = f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}"
        if immediate:
            # Its own result comes back with the answer: that is what the mode allows.
            learner.secrets.revealed.add(question["id"])
        saved = learner.fetch("put", url, {"answer": echo_safe_right_answer(question)})
        assert saved["answered"] and (saved["result"] is not None) == immediate
        learner.fetch("get", f"/api/v1/attempts/{attempt['id']}")
    learner.everything_else()
    return attempt


def assert_results_shown(data: dict, secrets: Secrets) -> None:
    assert data["results_visible"] is True
    assert data["score"] == data["max_score"] == 7.0 and data["passed"] is True
    for question in data["questions"]:
        result = question["result"]
        assert result["correct"] is True, question["type"]
        assert result["explanation"] in secrets.texts[question["id"]]
    # The search finds all of it when told it is hidden: it can fail.
    hidden = Secrets(texts=secrets.texts, slugs=secrets.slugs)
    assert len(answer_data_in(data, hidden)) >= 7 * 3


def test_immediate_feedback_shows_each_result_only_once_answered(api, learner, setting):
    make_quiz, secrets, _ = setting
    quiz = make_quiz("immediate")
    learner_client = Learner(api, secrets)
    attempt = take_the_quiz(learner_client, quiz, immediate=True)
    assert secrets.revealed == set(secrets.texts) and not secrets.totals_revealed
    secrets.totals_revealed = True
    submitted = learner_client.fetch("post", f"/api/v1/attempts/{attempt['id']}/submit")
    assert_results_shown(submitted, secrets)
    learner_client.everything_else()
    assert_flashcards_back(learner_client, secrets)


def assert_flashcards_back(learner: Learner, secrets: Secrets) -> None:
    """Once results may be seen, quiz questions that are also flashcards are studied again,
    answers included; the search finds those answers when told they are hidden."""
    if not DeckQuestion.objects.filter(question__in=secrets.texts).exists():
        return
    sync = learner.fetch("get", "/api/v1/sync")
    assert {q["id"] for q in sync["questions"]} >= set(secrets.texts)
    assert sync["withheld_questions"] == []
    hidden = Secrets(texts=secrets.texts, slugs=secrets.slugs)
    assert len(answer_data_in(sync, hidden)) >= len(secrets.texts)


def test_after_submit_feedback_shows_nothing_until_the_attempt_is_submitted(api, learner, setting):
    make_quiz, secrets, _ = setting
    quiz = make_quiz("after_submit")
    learner_client = Learner(api, secrets)
    attempt = take_the_quiz(learner_client, quiz, immediate=False)
    assert not Review.objects.filter(user=learner).exists()
    secrets.reveal_all()
    submitted = learner_client.fetch("post", f"/api/v1/attempts/{attempt['id']}/submit")
    assert_results_shown(submitted, secrets)
    # Submitted answers feed memory at once: the quiz questions now have cards.
    cards = learner_client.fetch("get", "/api/v1/sync")["cards"]
    assert {c["question_id"] for c in cards} >= set(secrets.texts)
    assert_flashcards_back(learner_client, secrets)


def test_after_close_feedback_shows_nothing_until_the_quiz_closes(
    api, learner, setting, django_capture_on_commit_callbacks
):
    make_quiz, secrets, closes = setting
    quiz = make_quiz("after_close")
    learner_client = Learner(api, secrets)
    attempt = take_the_quiz(learner_client, quiz, immediate=False)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = learner_client.fetch("post", f"/api/v1/attempts/{attempt['id']}/submit")
    assert submitted["status"] == "submitted" and submitted["results_visible"] is False
    learner_client.fetch("get", f"/api/v1/attempts/{attempt['id']}")
    learner_client.fetch("get", f"/api/v1/quizzes/{quiz.pk}")
    learner_client.everything_else()
    # Nothing to undo either: the quiz's reviews (whose ratings say right or wrong) wait.
    learner_client.fetch("post", "/api/v1/reviews/undo", expect=(409,))
    assert not CardState.objects.filter(user=learner).exists()

    with time_machine.travel(closes + timedelta(seconds=1)):
        secrets.reveal_all()
        shown = learner_client.fetch("get", f"/api/v1/attempts/{attempt['id']}")
        assert_results_shown(shown, secrets)
        # The deferred reviews go in when the quiz closes (the queued task's work).
        assert attempt_reviews_record(attempt=Attempt.objects.get(pk=attempt["id"]))
        cards = learner_client.fetch("get", "/api/v1/sync")["cards"]
        assert {c["question_id"] for c in cards} == set(secrets.texts)
        assert_flashcards_back(learner_client, secrets)


def test_the_search_finds_bank_ids_used_as_option_ids(setting):
    _, secrets, _ = setting
    question_id = next(iter(secrets.texts))
    body = {"id": question_id, "prompt": "?", "choices": [{"id": 81, "text": "a"}]}
    assert answer_data_in(body, secrets) == ["$.choices ids [81] (bank ids, not positions)"]


def test_the_demo_quizs_answers_leave_the_flashcards_while_it_is_taken(db):
    """All ten questions of the demo quiz are flashcards in the seeded decks too."""
    call_command("seed_content", verbosity=0)
    call_command("seed_demo", stdout=StringIO())
    quiz = Quiz.objects.get(title=DEMO_QUIZ)
    questions = list(Question.objects.filter(quiz_items__quiz=quiz))
    secrets = Secrets.of(questions)
    # An answer other flashcards share ("False") gives nothing of this quiz away.
    shared = {
        grading.correct_answer_text(question.answer_key())
        for question in Question.objects.with_answer_parts().exclude(quiz_items__quiz=quiz)
    }
    secrets.texts = {pk: texts - shared for pk, texts in secrets.texts.items()}
    learner = Learner(token_client(User.objects.get(username="ani")), secrets)
    secrets.reveal_all()  # before the attempt, the flashcards may show them
    before = learner.fetch("get", "/api/v1/sync")
    assert len(questions) == 10
    assert {q["id"] for q in before["questions"]} >= set(secrets.texts)

    secrets.revealed, secrets.totals_revealed = set(), False
    learner.fetch("post", f"/api/v1/quizzes/{quiz.pk}/attempts")
    learner.everything_else()
    after = learner.fetch("get", "/api/v1/sync")
    assert set(after["withheld_questions"]) == set(secrets.texts)
    assert not {q["id"] for q in after["questions"]} & set(secrets.texts)
