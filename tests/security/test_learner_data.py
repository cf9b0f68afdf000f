"""A learner's own data: download all of it (web and API), delete the account (web and API),
and what deletion keeps, anonymised, so that teachers' reports stay right."""

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from quizapp.accounts.data import learner_data_export, learner_data_json
from quizapp.accounts.models import User
from quizapp.accounts.services import AccountDeletionRefused, learner_delete
from quizapp.bank import grading
from quizapp.bank.models import Choice, Question
from quizapp.classroom.models import Enrolment
from quizapp.classroom.selectors import class_results
from quizapp.quizzes.models import Attempt, AttemptQuestion, FeedbackMode, Regrade
from quizapp.quizzes.models import Response as QuizResponse
from quizapp.quizzes.selectors import attempt_view, quiz_item_analysis
from quizapp.quizzes.services import (
    ANONYMISED_LEARNER,
    attempt_answer_save,
    attempt_reviews_record,
    attempt_start,
    attempt_submit,
    question_regrade,
)
from quizapp.study.models import (
    CardState,
    DeckPreset,
    DeckPresetAssignment,
    LearnerSettings,
    Review,
    ReviewDay,
    WorkloadSimulation,
)
from quizapp.study.services import (
    deck_preset_assign,
    deck_preset_create,
    deck_preset_update,
    learner_settings_update,
    review_record,
    workload_simulation_request,
)
from tests.api.quiz_data import ORDER, PAIRS, question_of_each_type
from tests.factories import PASSWORD, QuestionFactory, QuizFactory, StudentFactory
from tests.security.conftest import error_of, session_keys_of, token_client

SCHEMA_FILE = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


def review(user, question, rating=3, *, days_ago=1):
    return review_record(
        user=user,
        question=question,
        rating=rating,
        reviewed_at=timezone.now() - timedelta(days=days_ago),
        review_id=uuid.uuid4(),
    )


def answer(attempt, question, *, correct=True):
    choice = Choice.objects.get(question=question, is_correct=correct)
    return attempt_answer_save(attempt=attempt, question_id=question.pk, answer=choice.pk)


@pytest.fixture
def history(world):
    """The learner's study history: settings, reviews of two cards, an answered attempt."""
    learner_settings_update(user=world.learner, new_cards_per_day=7, time_zone="Asia/Yerevan")
    deck_preset_update(user=world.learner, preset=world.preset, learning_steps=[5])
    deck_preset_assign(user=world.learner, deck=world.deck, preset=world.preset)
    deck_preset_create(user=world.other_learner, name="Someone else's")
    second = QuestionFactory(deck=world.deck)
    for days_ago in (5, 3, 1):
        review(world.learner, world.studyable, days_ago=days_ago)
    review(world.learner, second, 1)
    review(world.other_learner, world.studyable)
    answer(world.attempt, world.quiz_only)
    token_client(world.learner)
    return world


def signed_in_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --------------------------------------------------------------------------- export


def test_the_export_holds_everything_about_the_learner_and_nothing_else(history):
    data = learner_data_export(user=history.learner)
    json.dumps(data)  # plain JSON, no encoder needed
    assert data["format"] == "quizapp-learner-data" and data["version"] == 2
    assert data["profile"]["username"] == history.learner.username
    assert data["profile"]["email"] == history.learner.email
    assert data["settings"]["new_cards_per_day"] == 7
    assert data["settings"]["time_zone"] == "Asia/Yerevan"
    assert data["settings"]["learning_steps"] == [1, 10]
    (preset,) = data["presets"]
    assert (preset["name"], preset["learning_steps"]) == ("Exam", [5])
    assert preset["decks"] == [history.deck.slug]
    stored = Review.objects.filter(user=history.learner).values_list("uuid", flat=True)
    assert {r["id"] for r in data["reviews"]} == {str(u) for u in stored}
    times = [r["reviewed_at"] for r in data["reviews"]]
    assert times == sorted(times)
    cards = CardState.objects.filter(user=history.learner).values_list("question__slug", flat=True)
    assert {c["question"] for c in data["cards"]} == set(cards)
    assert {c["state"] for c in data["cards"]} <= {"new", "learning", "review", "relearning"}
    attempts = {a["id"]: a for a in data["quiz_attempts"]}
    assert set(attempts) == {history.attempt.pk, history.submitted.pk}
    answered = next(r for r in attempts[history.attempt.pk]["responses"] if r["answer"] is not None)
    assert answered["question_id"] == history.quiz_only.pk
    (membership,) = data["classes"]
    assert (membership["id"], membership["name"]) == (history.classroom.pk, history.classroom.name)
    assert len(data["devices"]) == 1 and set(data["devices"][0]) == {"signed_in_at", "expires_at"}
    text = json.dumps(data)
    assert history.other_learner.username not in text
    assert str(Review.objects.get(user=history.other_learner).uuid) not in text
    assert "digest" not in text and "password" not in text


def test_the_export_never_shows_grades_the_quiz_does_not_show_yet(world):
    closing = QuizFactory(
        owner=world.teacher,
        questions=[world.quiz_only],
        feedback_mode=FeedbackMode.AFTER_CLOSE,
        closes_at=timezone.now() + timedelta(days=3),
    )
    attempt = attempt_start(user=world.learner, quiz=closing)
    answer(attempt, world.quiz_only)
    attempt_submit(attempt=attempt)
    exported = next(
        a for a in learner_data_export(user=world.learner)["quiz_attempts"] if a["id"] == attempt.pk
    )
    assert exported["results_visible"] is False
    assert (exported["score"], exported["percentage"], exported["passed"]) == (None, None, None)
    (response,) = exported["responses"]
    assert response["answer"] is not None
    hidden = (response["correct"], response["score"], response["points_awarded"])
    assert hidden == (None, None, None)
    assert response["feedback"] == ""
    later = learner_data_export(user=world.learner, now=closing.closes_at + timedelta(seconds=1))
    shown = next(a for a in later["quiz_attempts"] if a["id"] == attempt.pk)
    assert shown["results_visible"] is True and shown["responses"][0]["correct"] is True


@pytest.fixture
def quiz_answered_right(world):
    """An `after_close` quiz of every question type, still open, that the learner answered
    right throughout (as bank ids, as every face stores answers): (quiz, attempt)."""
    questions = question_of_each_type(owner=world.teacher)
    quiz = QuizFactory(
        owner=world.teacher,
        questions=questions,
        feedback_mode=FeedbackMode.AFTER_CLOSE,
        closes_at=timezone.now() + timedelta(days=3),
    )
    attempt = attempt_start(user=world.learner, quiz=quiz)
    for question in questions:
        key = Question.objects.with_answer_parts().get(pk=question.pk).answer_key()
        attempt_answer_save(
            attempt=attempt, question_id=question.pk, answer=grading.correct_answer(key)
        )
    return quiz, attempt


def exported_attempt(learner, attempt, **kwargs) -> dict:
    document = learner_data_export(user=learner, **kwargs)
    json.dumps(document)
    return next(a for a in document["quiz_attempts"] if a["id"] == attempt.pk)


def answers_by_type(attempt, exported: dict) -> dict[str, object]:
    types = dict(attempt.questions.values_list("position", "question__type"))
    return {types[row["position"]]: row["answer"] for row in exported["responses"]}


def shown_order(attempt, question, kind: str) -> list[str]:
    """The texts of one question's options in the order the attempt shows them."""
    shown = next(q for q in attempt_view(attempt=attempt).questions if q.question_id == question)
    return [option.text for option in getattr(shown, kind)]


@pytest.mark.parametrize("submitted", [False, True])
def test_the_export_shows_answers_as_the_learner_saw_them_never_by_bank_id(
    world, quiz_answered_right, submitted
):
    """Bank ids follow authoring order (the right order of an ordering question; the right
    match of a matching pair, whose two sides share one id), so answers exported as bank ids
    gave the key away before the quiz's feedback mode allows it. Options are named by their
    text, as the attempt shows them; questions by id, as the attempt does (a slug may describe
    the answer)."""
    quiz, attempt = quiz_answered_right
    if submitted:
        attempt_submit(attempt=attempt)
    exported = exported_attempt(world.learner, attempt)
    assert exported["results_visible"] is False
    answers = answers_by_type(attempt, exported)
    assert answers["single_choice"] == "Yerevan"
    picked = {"Aras", "Hrazdan"}
    multiple = quiz.items.get(question__type="multiple_choice").question_id
    choices = shown_order(attempt, multiple, "choices")
    assert answers["multiple_choice"] == [text for text in choices if text in picked]
    assert answers["true_false"] is False
    assert answers["short_text"] == "Zvartnots"
    assert answers["numeric"] == "4711.25"
    assert answers["ordering"] == ORDER
    assert answers["matching"] == dict(PAIRS)
    text = json.dumps(exported)
    slugs = [item.question.slug for item in quiz.items.all()]
    assert not [slug for slug in slugs if json.dumps(slug) in text]
    assert all(row["correct"] is None and row["score"] is None for row in exported["responses"])


def test_the_export_of_an_attempt_whose_results_show_still_names_options_by_text(
    world, quiz_answered_right
):
    quiz, attempt = quiz_answered_right
    attempt_submit(attempt=attempt)
    exported = exported_attempt(world.learner, attempt, now=quiz.closes_at + timedelta(seconds=1))
    assert exported["results_visible"] is True
    assert all(row["correct"] is True for row in exported["responses"])
    assert answers_by_type(attempt, exported)["ordering"] == ORDER


def test_the_export_shows_a_partial_answer_by_the_options_it_names(world):
    questions = question_of_each_type(owner=world.teacher)
    ordering = next(q for q in questions if q.type == "ordering")
    quiz = QuizFactory(owner=world.teacher, questions=[ordering])
    attempt = attempt_start(user=world.learner, quiz=quiz)
    items = {item.text: item.pk for item in ordering.order_items.all()}
    attempt_answer_save(
        attempt=attempt, question_id=ordering.pk, answer=[items[text] for text in ORDER]
    )
    # As another face might store it: an id as a digit string, and an id the attempt never
    # showed (left out, as the attempt page leaves it out).
    QuizResponse.objects.filter(attempt_question__attempt=attempt).update(
        answer=[str(items[ORDER[1]]), items[ORDER[0]], 10**9]
    )
    (row,) = exported_attempt(world.learner, attempt)["responses"]
    assert row["answer"] == [ORDER[1], ORDER[0]]


def test_the_streamed_export_is_the_same_document(history, settings, monkeypatch):
    monkeypatch.setattr("quizapp.accounts.data.CHUNK_ROWS", 2)  # several chunks per array
    now = timezone.now()
    streamed = "".join(learner_data_json(user=history.learner, now=now))
    assert json.loads(streamed) == learner_data_export(user=history.learner, now=now)


def test_the_export_takes_a_constant_number_of_queries(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(11):
        small = "".join(learner_data_json(user=history.learner))
    for _ in range(30):
        review(history.learner, QuestionFactory(deck=history.deck))
    for number in range(5):  # quizzes of every question type, answered
        questions = question_of_each_type(marker=f"-{number}", owner=history.teacher)
        quiz = QuizFactory(questions=questions)
        attempt = attempt_start(user=history.learner, quiz=quiz)
        for aq in attempt.questions.all():
            key = Question.objects.with_answer_parts().get(pk=aq.question_id).answer_key()
            attempt_answer_save(
                attempt=attempt, question_id=aq.question_id, answer=grading.correct_answer(key)
            )
    with django_assert_max_num_queries(11):
        large = "".join(learner_data_json(user=history.learner))
    assert len(json.loads(large)["reviews"]) == len(json.loads(small)["reviews"]) + 30
    attempts = json.loads(large)["quiz_attempts"]
    assert len(attempts) == len(json.loads(small)["quiz_attempts"]) + 5
    assert all(row["answer"] is not None for row in attempts[-1]["responses"])


def test_the_web_download_is_an_attachment_never_cached(history):
    response = signed_in_as(history.learner).get(reverse("account_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="quizapp-my-data-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(b"".join(response.streaming_content))
    assert data["profile"]["id"] == history.learner.pk


def test_the_settings_page_offers_the_download_and_the_deletion(history):
    html = signed_in_as(history.learner).get(reverse("learner_settings")).content.decode()
    assert "<h2>Your data</h2>" in html
    assert f'href="{reverse("account_export")}" download>Download my data (JSON)</a>' in html
    assert f'href="{reverse("account_delete")}"' in html


def test_the_api_export_matches_its_schema(history):
    jsonschema = pytest.importorskip("jsonschema")
    response = token_client(history.learner).get("/api/v1/me/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(b"".join(response.streaming_content))
    assert data["profile"]["id"] == history.learner.pk
    jsonschema.validate(data, json_schema_of("MeExport"))


def test_the_api_export_needs_a_signed_in_learner(db):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/me/export")
    assert response.status_code == 401
    error_of(response)


def json_schema_of(component: str) -> dict:
    """An OpenAPI 3.0 component as JSON Schema: `nullable` as a null type, refs resolved."""
    components = yaml.safe_load(SCHEMA_FILE.read_text())["components"]["schemas"]

    def convert(node):
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return convert(components[node["$ref"].rsplit("/", 1)[1]])
        node = {key: convert(value) for key, value in node.items()}
        if node.pop("nullable", False):
            node = {"anyOf": [node, {"type": "null"}]}
        return node

    return convert(components[component])


# --------------------------------------------------------------------------- deletion


def test_deleting_removes_the_personal_data_and_keeps_first_attempts_anonymised(history):
    learner = history.learner
    second_try = attempt_start(user=learner, quiz=history.class_quiz)
    attempt_submit(attempt=second_try)
    kept_id = history.submitted.pk
    workload_simulation_request(user=learner)
    outcome = learner_delete(user=learner)
    assert not User.objects.filter(pk=learner.pk).exists()
    assert not Review.objects.filter(user_id=learner.pk).exists()
    assert not CardState.objects.filter(user_id=learner.pk).exists()
    assert not ReviewDay.objects.filter(user_id=learner.pk).exists()
    assert not LearnerSettings.objects.filter(user_id=learner.pk).exists()
    assert not DeckPreset.objects.filter(user_id=learner.pk).exists()
    assert not WorkloadSimulation.objects.filter(user_id=learner.pk).exists()
    assert not DeckPresetAssignment.objects.filter(user_id=learner.pk).exists()
    assert not Enrolment.objects.filter(student_id=learner.pk).exists()
    assert not AuthToken.objects.filter(user_id=learner.pk).exists()
    # The first submitted attempt of each quiz stays, with its answers, detached from anyone;
    # the in-progress attempt and the second try are gone.
    kept = Attempt.objects.get(pk=kept_id)
    assert kept.user_id is None and kept.is_submitted
    assert not Attempt.objects.filter(pk__in=[history.attempt.pk, second_try.pk]).exists()
    assert (outcome.attempts_anonymised, outcome.attempts_deleted) == (1, 2)
    # Everyone else's data is untouched.
    assert Review.objects.filter(user=history.other_learner).count() == 1
    assert DeckPreset.objects.filter(user=history.other_learner).count() == 1
    assert User.objects.filter(pk=history.teacher.pk).exists()


def test_teachers_reports_stay_consistent_after_a_deletion(world):
    stayer = StudentFactory()
    Enrolment.objects.create(classroom=world.classroom, student=stayer, joined_at=timezone.now())
    theirs = attempt_start(user=stayer, quiz=world.class_quiz)
    answer(theirs, world.quiz_only, correct=False)
    attempt_submit(attempt=theirs)
    answer(attempt_start(user=world.learner, quiz=world.class_quiz), world.quiz_only)
    analysis_before = quiz_item_analysis(quiz=world.class_quiz)
    results_before = class_results(classroom=world.classroom)

    learner_delete(user=world.learner)

    # Item analysis still counts the learner's first attempt, as one learner.
    analysis = quiz_item_analysis(quiz=world.class_quiz)
    assert analysis.attempts == analysis_before.attempts == 2
    assert [(i.responses, i.facility) for i in analysis.items] == [
        (i.responses, i.facility) for i in analysis_before.items
    ]
    # The class report: the learner simply left the roster; the others' cells are unchanged.
    results = class_results(classroom=world.classroom)
    assert [s.pk for s in results.students] == [stayer.pk]
    (assignment,) = results.assignments
    assert results.cell(stayer, assignment) == results_before.cell(stayer, assignment)
    # The teacher's home page names the anonymised submission without failing.
    admin = signed_in_as(world.teacher)
    home = admin.get("/admin/")
    assert home.status_code == 200
    assert ANONYMISED_LEARNER in home.content.decode()
    assert admin.get("/admin/quizzes/attempt/").status_code == 200


def test_regrades_work_on_anonymised_attempts_and_forget_the_name(world):
    answer(world.attempt, world.quiz_only, correct=False)
    attempt_submit(attempt=world.attempt)
    Choice.objects.filter(question=world.quiz_only).update(is_correct=True)  # both accepted
    before = question_regrade(question=world.quiz_only, by=world.teacher)
    assert world.learner.username in json.dumps(before.changes)
    learner_delete(user=world.learner)
    assert world.learner.username not in json.dumps(list(Regrade.objects.values("changes")))
    question_regrade(question=world.quiz_only, by=world.teacher)  # no learner to name: fine


def test_reviews_pending_for_a_closed_quiz_are_dropped_with_the_learner(world):
    closing = QuizFactory(
        owner=world.teacher,
        questions=[world.quiz_only],
        feedback_mode=FeedbackMode.AFTER_CLOSE,
        closes_at=timezone.now() + timedelta(days=1),
    )
    attempt = attempt_start(user=world.learner, quiz=closing)
    answer(attempt, world.quiz_only)
    attempt_submit(attempt=attempt)
    learner_delete(user=world.learner)
    attempt.refresh_from_db()
    later = closing.closes_at + timedelta(minutes=1)
    assert attempt_reviews_record(attempt=attempt, now=later) is False
    assert not Review.objects.exists()


def test_teachers_and_administrators_cannot_delete_themselves_this_way(world):
    with pytest.raises(AccountDeletionRefused):
        learner_delete(user=world.teacher)
    assert User.objects.filter(pk=world.teacher.pk).exists()


def test_the_web_deletion_asks_for_the_password_first(world):
    client = signed_in_as(world.learner)
    page = client.get(reverse("account_delete"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="password"' in html and 'autocomplete="current-password"' in html
    assert "cannot be undone" in html
    wrong = client.post(reverse("account_delete"), {"password": "not-it"})
    assert wrong.status_code == 422
    assert "That is not your password." in wrong.content.decode()
    assert User.objects.filter(pk=world.learner.pk).exists()


def test_the_web_deletion_deletes_and_signs_out(world):
    client = signed_in_as(world.learner)
    response = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(pk=world.learner.pk).exists()
    assert "_auth_user_id" not in client.session
    assert "Your account and your data were deleted." in client.get("/").content.decode()


def test_a_deletion_deletes_the_learners_other_browser_sessions(world):
    phone, laptop = signed_in_as(world.learner), signed_in_as(world.learner)
    signed_in_as(world.other_learner)
    assert len(session_keys_of(world.learner)) == 2
    assert phone.post(reverse("account_delete"), {"password": PASSWORD}).status_code == 302
    assert session_keys_of(world.learner) == set()  # the laptop's too, not only this one
    assert len(session_keys_of(world.other_learner)) == 1
    assert laptop.get(reverse("learner_settings")).status_code == 302


def test_an_api_deletion_deletes_the_learners_browser_sessions(world):
    signed_in_as(world.learner)
    api = token_client(world.learner)
    assert api.delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code == 204
    assert session_keys_of(world.learner) == set()


def test_the_web_deletion_is_a_post_with_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner)
    assert client.post(reverse("account_delete"), {"password": PASSWORD}).status_code == 403
    assert User.objects.filter(pk=world.learner.pk).exists()
    assert signed_in_as(world.learner).delete(reverse("account_delete")).status_code == 405


def test_the_web_deletion_page_refuses_teachers(world):
    client = signed_in_as(world.teacher)
    page = client.get(reverse("account_delete"))
    assert "administrator removes them" in page.content.decode()
    assert 'type="password"' not in page.content.decode()
    assert client.post(reverse("account_delete"), {"password": PASSWORD}).status_code == 403
    assert User.objects.filter(pk=world.teacher.pk).exists()


def test_wrong_deletion_passwords_count_towards_the_lock_out(world):
    client = signed_in_as(world.learner)
    statuses = [
        client.post(reverse("account_delete"), {"password": "guess"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [422] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert client.post(reverse("account_delete"), {"password": PASSWORD}).status_code == 429
    assert User.objects.filter(pk=world.learner.pk).exists()


def test_the_api_deletion_needs_the_password(world):
    api = token_client(world.learner)
    wrong = api.delete("/api/v1/me", {"password": "not-it"}, format="json")
    assert wrong.status_code == 400
    assert error_of(wrong)["fields"] == {"password": ["That is not your password."]}
    missing = api.delete("/api/v1/me", {}, format="json")
    assert missing.status_code == 400 and "password" in error_of(missing)["fields"]
    extra = api.delete("/api/v1/me", {"password": PASSWORD, "keep": ["reviews"]}, format="json")
    assert extra.status_code == 400 and "keep" in error_of(extra)["fields"]
    assert User.objects.filter(pk=world.learner.pk).exists()


def test_the_api_deletion_deletes_and_the_token_dies_with_it(world):
    api = token_client(world.learner)
    response = api.delete("/api/v1/me", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert not User.objects.filter(pk=world.learner.pk).exists()
    assert api.get("/api/v1/me").status_code == 401
    assert Attempt.objects.filter(pk=world.submitted.pk, user=None).exists()


def test_the_api_deletion_refuses_teachers(world):
    api = token_client(world.teacher)
    response = api.delete("/api/v1/me", {"password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "deletion_refused"
    assert User.objects.filter(pk=world.teacher.pk).exists()


def test_the_api_deletion_locks_out_password_guessing(world):
    api = token_client(world.learner)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert api.delete("/api/v1/me", {"password": "guess"}, format="json").status_code == 400
    locked = api.delete("/api/v1/me", {"password": "guess"}, format="json")
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "locked_out"
    assert "Retry-After" in locked


def test_an_anonymised_attempt_is_in_no_learners_view(world):
    learner_delete(user=world.learner)
    someone = StudentFactory()
    assert not Attempt.objects.filter(user=someone).exists()
    page = signed_in_as(someone).get(reverse("attempt_detail", args=[world.submitted.pk]))
    assert page.status_code == 404
    assert AttemptQuestion.objects.filter(attempt=world.submitted).exists()  # kept, for reports
