from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quizapp.bank.models import Question, Source
from quizapp.quizzes.models import QuizItem
from tests.factories import ChoiceQuestionFactory, QuizFactory

PREFIXES = ("choices", "accepted_answers", "order_items", "match_pairs", "quotes", "memberships")


def management(**rows) -> dict:
    data = {}
    for prefix in PREFIXES:
        forms = rows.get(prefix, [])
        data |= {f"{prefix}-TOTAL_FORMS": len(forms), f"{prefix}-INITIAL_FORMS": 0}
        for i, form in enumerate(forms):
            data |= {f"{prefix}-{i}-{field}": value for field, value in form.items()}
    return data


def question_post(**overrides) -> dict:
    return {
        "slug": "capital-question",
        "type": "single_choice",
        "prompt": "Capital of Armenia?",
        "explanation": "",
        "difficulty": 2,
        "status": "draft",
        "typo_tolerance": 0,
        "numeric_tolerance": "0",
        "shuffle_choices": "on",
        **overrides,
    }


def test_adding_a_question_with_choices_makes_it_the_teachers(client, teacher):
    client.force_login(teacher)
    data = question_post() | management(
        choices=[
            {"position": 0, "text": "Yerevan", "is_correct": "on"},
            {"position": 1, "text": "Baku"},
        ]
    )
    response = client.post(reverse("admin:bank_question_add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    question = Question.objects.get(slug="capital-question")
    assert question.owner == teacher and question.version == 1
    assert [c.text for c in question.choices.all()] == ["Yerevan", "Baku"]


@pytest.mark.parametrize(
    ("overrides", "rows", "message"),
    [
        (
            {},
            {"choices": [{"position": 0, "text": "A"}, {"position": 1, "text": "B"}]},
            "No correct choice",
        ),
        ({"type": "true_false"}, {}, "Say whether the statement is true or false."),
        ({"type": "short_text"}, {}, "Short text needs at least one accepted answer"),
        ({"type": "numeric", "answer_bool": ""}, {}, "A numeric question needs its value."),
        (
            {"type": "matching"},
            {
                "match_pairs": [
                    {"position": 0, "left": "Baku", "right": "Azerbaijan"},
                    {"position": 1, "left": "Ganja", "right": "Azerbaijan"},
                ]
            },
            "uplicate right",
        ),
    ],
    ids=[
        "no-correct-choice",
        "no-truth",
        "no-accepted",
        "no-value",
        "duplicate-right",
    ],
)
def test_type_aware_validation_is_shown_and_nothing_saved(
    client, teacher, overrides, rows, message
):
    client.force_login(teacher)
    response = client.post(
        reverse("admin:bank_question_add"), question_post(**overrides) | management(**rows)
    )
    assert response.status_code == 200
    assert message.lower() in response.content.decode().lower()
    assert not Question.objects.exists()


def test_a_quote_must_be_verbatim_in_the_chosen_paragraph(client, teacher, db):
    from django.core.management import call_command

    call_command("seed_content", verbosity=0)
    source = Source.objects.get()
    paragraph = source.paragraphs.get(number=3)
    client.force_login(teacher)
    data = question_post(source=source.pk) | management(
        choices=[{"position": 0, "text": "A", "is_correct": "on"}, {"position": 1, "text": "B"}],
        quotes=[{"position": 0, "paragraph": paragraph.pk, "text": "six-month war"}],
    )
    response = client.post(reverse("admin:bank_question_add"), data)
    assert response.status_code == 200
    assert "Not found verbatim in ¶3" in response.content.decode()
    data["quotes-0-text"] = "six-week war in 2020"
    assert client.post(reverse("admin:bank_question_add"), data).status_code == 302
    assert Question.objects.get(slug="capital-question").quotes.get().paragraph == paragraph


def test_editing_a_question_in_the_admin_bumps_its_version(client, teacher):
    question = ChoiceQuestionFactory(owner=teacher, slug="edit-me")
    from quizapp.bank.services import question_bump_version_if_changed

    question_bump_version_if_changed(question=question)
    client.force_login(teacher)
    choices = list(question.choices.all())
    data = question_post(slug="edit-me", prompt="A better prompt") | management()
    data |= {"choices-TOTAL_FORMS": 3, "choices-INITIAL_FORMS": 3}
    for i, choice in enumerate(choices):
        data |= {
            f"choices-{i}-id": choice.pk,
            f"choices-{i}-question": question.pk,
            f"choices-{i}-position": i,
            f"choices-{i}-text": choice.text,
        }
        if choice.is_correct:
            data[f"choices-{i}-is_correct"] = "on"
    response = client.post(reverse("admin:bank_question_change", args=[question.pk]), data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.prompt, question.version) == ("A better prompt", 2)


def test_preview_grades_a_sample_answer(client, teacher):
    question = ChoiceQuestionFactory(owner=teacher)
    right = question.choices.get(is_correct=True)
    client.force_login(teacher)
    url = reverse("admin:bank_question_preview", args=[question.pk])
    assert client.get(url).status_code == 200
    page = client.post(url, {"answer": right.pk}).content.decode()
    assert "Correct — score 1.00" in page
    wrong = question.choices.filter(is_correct=False).first()
    page = client.post(url, {"answer": wrong.pk}).content.decode()
    assert "Not correct" in page
    page = client.post(url, {}).content.decode()
    assert "Choose an answer." in page


def test_shared_questions_can_be_previewed_and_duplicated_as_drafts(client, teacher):
    shared = ChoiceQuestionFactory(owner=None, slug="shared-one")
    client.force_login(teacher)
    assert client.get(reverse("admin:bank_question_preview", args=[shared.pk])).status_code == 200
    client.post(
        reverse("admin:bank_question_changelist"),
        {"action": "duplicate", "_selected_action": [shared.pk]},
    )
    copy = Question.objects.get(slug="shared-one-copy")
    assert (copy.owner, copy.status) == (teacher, "draft")
    assert [c.text for c in copy.choices.all()] == [c.text for c in shared.choices.all()]


def test_add_to_quiz_action_appends_to_an_own_quiz(client, teacher, other_teacher):
    mine, theirs = QuizFactory(owner=teacher), QuizFactory(owner=other_teacher)
    questions = ChoiceQuestionFactory.create_batch(2, owner=teacher)
    client.force_login(teacher)
    selected = [q.pk for q in questions]
    url = reverse("admin:bank_question_changelist")
    page = client.post(url, {"action": "add_to_quiz", "_selected_action": selected})
    assert mine.title.encode() in page.content and theirs.title.encode() not in page.content
    client.post(url, {"action": "add_to_quiz", "_selected_action": selected, "quiz": theirs.pk})
    assert not QuizItem.objects.filter(quiz=theirs).exists()
    client.post(url, {"action": "add_to_quiz", "_selected_action": selected, "quiz": mine.pk})
    assert QuizItem.objects.filter(quiz=mine).count() == 2


def test_the_quiz_builder_renumbers_positions_in_screen_order(client, teacher):
    questions = ChoiceQuestionFactory.create_batch(3, owner=teacher)
    quiz = QuizFactory(owner=teacher, questions=questions)
    items = list(quiz.items.order_by("position"))
    client.force_login(teacher)
    data = {
        "title": quiz.title,
        "description": "",
        "visibility": "public",
        "draw_count": 0,
        "attempts_allowed": 0,
        "feedback_mode": "after_submit",
        "pass_mark": "50",
        "published": "on",
        "shuffle_choices": "on",
        "items-TOTAL_FORMS": 3,
        "items-INITIAL_FORMS": 3,
    }
    # The sortable script writes 10, 20, 5 after a drag: last becomes first.
    for i, (item, position) in enumerate(zip(items, [10, 20, 5], strict=True)):
        data |= {
            f"items-{i}-id": item.pk,
            f"items-{i}-quiz": quiz.pk,
            f"items-{i}-question": item.question_id,
            f"items-{i}-position": position,
            f"items-{i}-points": "1",
        }
    response = client.post(reverse("admin:quizzes_quiz_change", args=[quiz.pk]), data)
    assert response.status_code == 302
    order = list(quiz.items.order_by("position").values_list("question_id", "position"))
    assert order == [(questions[2].pk, 0), (questions[0].pk, 1), (questions[1].pk, 2)]


def test_coverage_page_lists_uncovered_paragraphs(client, teacher, db):
    from django.core.management import call_command

    call_command("seed_content", verbosity=0)
    source = Source.objects.get()
    Question.objects.filter(quotes__paragraph__number=24).update(status="retired")
    client.force_login(teacher)
    page = client.get(reverse("admin:bank_source_coverage", args=[source.pk])).content.decode()
    assert "1 factual paragraph(s) no question cites:" in page and "¶24" in page


def test_regrade_view_shows_the_score_changes(client, teacher, student):
    from quizapp.bank.models import AcceptedAnswer
    from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
    from tests.factories import QuestionFactory

    student.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
    student.save()
    question = QuestionFactory(type="short_text", answer_bool=None, owner=teacher)
    AcceptedAnswer.objects.create(question=question, position=0, text="Yerevan")
    quiz = QuizFactory(owner=teacher, questions=[question])
    now = datetime(2026, 5, 1, tzinfo=UTC)
    attempt = attempt_start(user=student, quiz=quiz, now=now)
    attempt_answer_save(attempt=attempt, question_id=question.pk, answer="Erevan", now=now)
    attempt_submit(attempt=attempt, now=now)
    AcceptedAnswer.objects.create(question=question, position=1, text="Erevan")
    client.force_login(teacher)
    url = reverse("admin:bank_question_regrade", args=[question.pk])
    assert "Regrade 1 answer(s)" in client.get(url).content.decode()
    page = client.post(url).content.decode()
    assert f"<td>{student.username}</td><td>0.000</td><td>1.000</td>" in page


def test_a_studied_question_cannot_be_deleted_and_the_teacher_is_told_to_retire_it(
    client, teacher, student, other_student
):
    import uuid

    from quizapp.study.models import Review
    from quizapp.study.services import review_record

    studied = ChoiceQuestionFactory(owner=teacher, slug="studied-capital")
    unstudied = ChoiceQuestionFactory(owner=teacher, slug="fresh-capital")
    for day, learner in enumerate((student, student, other_student), start=1):
        learner.date_joined = datetime(2026, 1, 1, tzinfo=UTC)
        learner.save()
        review_record(
            user=learner,
            question=studied,
            rating=3,
            reviewed_at=datetime(2026, 2, day, tzinfo=UTC),
            review_id=uuid.uuid4(),
        )
    client.force_login(teacher)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:bank_question_delete", args=[studied.pk]))
    page = page.content.decode()
    assert "studied-capital: studied by 2 learner(s) in 3 review(s); retire it instead" in page
    # Counted, never loaded: a question studied 100,000 times costs the same.
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "study_review"' in q["sql"]]
    assert reads and all("COUNT(" in sql for sql in reads)
    assert "Review:" not in page
    refused = client.post(reverse("admin:bank_question_delete", args=[studied.pk]), {"post": "yes"})
    assert refused.status_code == 200
    bulk = client.post(
        reverse("admin:bank_question_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [studied.pk, unstudied.pk],
            "post": "yes",
        },
    )
    assert "retire it instead" in bulk.content.decode()
    assert Question.objects.filter(pk__in=[studied.pk, unstudied.pk]).count() == 2
    assert Review.objects.filter(question=studied).count() == 3
    client.post(reverse("admin:bank_question_delete", args=[unstudied.pk]), {"post": "yes"})
    assert not Question.objects.filter(pk=unstudied.pk).exists()


def test_a_saved_sources_slug_cannot_be_edited(admin_client):
    from tests.factories import SourceFactory

    source = SourceFactory()
    add = admin_client.get(reverse("admin:bank_source_add")).content.decode()
    change = admin_client.get(reverse("admin:bank_source_change", args=[source.pk]))
    assert 'name="slug"' in add
    assert 'name="slug"' not in change.content.decode()
    assert source.slug in change.content.decode()
