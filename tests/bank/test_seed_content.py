import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quizapp.bank.content import ContentInvalid, load_content
from quizapp.bank.models import Choice, Deck, Paragraph, Question, Source
from quizapp.bank.services import content_seed, question_content_fingerprint
from tests.bank.conftest import read_questions, write_questions

DECK = "wars-and-agreements"


def seed(content_dir):
    return content_seed(bundle=load_content(content_dir))


def test_seeding_loads_the_article_decks_and_published_questions(db, content_dir):
    report = seed(content_dir)
    assert report.created == Question.objects.count() >= 80
    assert Question.objects.published().count() == report.created
    source = Source.objects.get(slug="armenia-azerbaijan")
    assert source.publisher == "Newsweek"
    assert source.paragraphs.count() == 24
    assert Deck.objects.count() >= 4
    assert not Question.objects.filter(quotes__isnull=True).exists()


def test_seeding_twice_changes_nothing(db, content_dir):
    seed(content_dir)
    before = list(Question.objects.values_list("slug", "version", "updated_at", "content_hash"))
    choices_before = list(Choice.objects.values_list("id", "text", "is_correct"))
    report = seed(content_dir)
    assert (report.created, report.updated, report.retired) == (0, 0, 0)
    assert report.unchanged == len(before)
    assert list(Question.objects.values_list("slug", "version", "updated_at", "content_hash")) == (
        before
    )
    assert list(Choice.objects.values_list("id", "text", "is_correct")) == choices_before


def test_seed_command_prints_zero_created_zero_updated_on_a_second_run(db, content_dir, capsys):
    call_command("seed_content", path=content_dir, verbosity=0)
    call_command("seed_content", path=content_dir, verbosity=1)
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_stored_questions_fingerprint_like_their_files(db, content_dir):
    """Admin edits are detected by the same fingerprint the loader computes from the files."""
    seed(content_dir)
    for question in Question.objects.all():
        assert question_content_fingerprint(question) == question.content_hash, question.slug


def test_editing_a_question_updates_it_in_place_and_bumps_the_version(db, content_dir):
    seed(content_dir)
    questions = read_questions(content_dir, DECK)
    edited = next(q for q in questions if q["type"] == "single_choice")
    original = Question.objects.get(slug=edited["slug"])
    choice_ids = set(original.choices.values_list("id", flat=True))
    typo = original.choices.get(text=edited["choices"][0]["text"])
    edited["prompt"] = edited["prompt"] + " (revised)"
    edited["choices"][0]["text"] = edited["choices"][0]["text"] + " (revised)"
    write_questions(content_dir, DECK, questions)

    report = seed(content_dir)

    assert (report.created, report.updated, report.retired) == (0, 1, 0)
    question = Question.objects.get(slug=edited["slug"])
    assert question.pk == original.pk
    assert question.version == original.version + 1
    assert question.prompt.endswith("(revised)")
    # The fixed choice keeps its id (its stored position follows its new text).
    assert set(question.choices.values_list("id", flat=True)) == choice_ids
    assert question.choices.get(pk=typo.pk).text == typo.text + " (revised)"


def test_a_question_removed_from_the_files_is_retired_not_deleted(db, content_dir):
    seed(content_dir)
    questions = read_questions(content_dir, DECK)
    removed = questions.pop()
    write_questions(content_dir, DECK, questions)

    report = seed(content_dir)

    assert report.retired == 1
    question = Question.objects.get(slug=removed["slug"])
    assert question.status == Question.Status.RETIRED
    assert question.version == 2
    assert seed(content_dir).retired == 0
    # Putting it back publishes it again as a new version.
    write_questions(content_dir, DECK, [*questions, removed])
    assert seed(content_dir).updated == 1
    question.refresh_from_db()
    assert (question.status, question.version) == (Question.Status.PUBLISHED, 3)


def test_deck_membership_follows_the_files(db, content_dir):
    seed(content_dir)
    questions = read_questions(content_dir, DECK)
    questions[0]["decks"] = ["russia-role"]
    write_questions(content_dir, DECK, questions)
    seed(content_dir)
    question = Question.objects.get(slug=questions[0]["slug"])
    assert [d.slug for d in question.decks.all()] == ["russia-role"]


def invalid(content_dir, mutate) -> list[str]:
    questions = read_questions(content_dir, DECK)
    mutate(questions)
    write_questions(content_dir, DECK, questions)
    with pytest.raises(ContentInvalid) as caught:
        load_content(content_dir)
    return [str(error) for error in caught.value.errors]


def first_of(questions, qtype):
    return next(q for q in questions if q["type"] == qtype)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda qs: qs[0].update(type="essay"), "unknown type 'essay'"),
        (
            lambda qs: qs[0]["quotes"][0].update(text="Yerevan is lovely in spring"),
            "quote not found verbatim",
        ),
        (lambda qs: qs[0]["quotes"][0].update(paragraph=99), "cites paragraph 99"),
        (
            lambda qs: [c.update(correct=False) for c in first_of(qs, "single_choice")["choices"]],
            "no correct choice",
        ),
        (lambda qs: qs[1].update(slug=qs[0]["slug"]), "duplicate slug"),
        (lambda qs: qs[0].pop("prompt"), "missing field(s): prompt"),
        (lambda qs: qs[0].update(decks=["no-such-deck"]), "unknown deck 'no-such-deck'"),
        (lambda qs: qs[0].update(difficulty=9), "difficulty must be a whole number from 1 to 5"),
        (
            lambda qs: first_of(qs, "true_false").update(answer="yes"),
            "answer must be true or false",
        ),
        (
            lambda qs: first_of(qs, "true_false").update(items=["a"]),
            "do not belong to a true_false",
        ),
        (lambda qs: first_of(qs, "numeric").update(value="many"), "value must be a number"),
    ],
    ids=[
        "unknown-type",
        "quote-not-verbatim",
        "paragraph-out-of-range",
        "no-correct-choice",
        "duplicate-slug",
        "missing-field",
        "unknown-deck",
        "bad-difficulty",
        "bad-boolean",
        "foreign-field",
        "not-a-number",
    ],
)
def test_invalid_content_is_reported_with_file_line_and_slug(content_dir, mutate, expected):
    errors = invalid(content_dir, mutate)
    assert any(expected in error for error in errors), errors
    matching = next(error for error in errors if expected in error)
    assert matching.startswith(f"content/questions/{DECK}.yaml:")


def test_every_problem_is_reported_at_once(content_dir):
    def break_two(questions):
        questions[0]["type"] = "essay"
        questions[1].pop("explanation")

    errors = invalid(content_dir, break_two)
    assert len(errors) == 2


def test_broken_yaml_names_the_line(content_dir):
    path = content_dir / "questions" / f"{DECK}.yaml"
    path.write_text("- slug: a\n  prompt: [unclosed\n")
    with pytest.raises(ContentInvalid) as caught:
        load_content(content_dir)
    assert "invalid YAML" in str(caught.value)
    assert f"{DECK}.yaml:" in str(caught.value)


def test_invalid_content_loads_nothing_and_exits_non_zero(db, content_dir, capsys):
    invalid(content_dir, lambda qs: qs[0].update(type="essay"))
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("seed_content", path=content_dir)
    assert "unknown type 'essay'" in capsys.readouterr().err
    assert Question.objects.count() == 0
    assert Paragraph.objects.count() == 0


def test_a_teachers_slug_is_never_overwritten_by_seeding(db, content_dir, teacher):
    slug = read_questions(content_dir, DECK)[0]["slug"]
    Question.objects.create(slug=slug, type="true_false", prompt="Mine", owner=teacher)
    with pytest.raises(ContentInvalid, match="already used by a teacher"):
        seed(content_dir)
    assert Question.objects.get(slug=slug).prompt == "Mine"
    assert Deck.objects.count() == 0


def test_content_coverage_lists_paragraphs_and_uncovered_ones(db, content_dir, capsys):
    seed(content_dir)
    call_command("content_coverage", "armenia-azerbaijan")
    out = capsys.readouterr().out
    assert "¶3" in out and "uncovered factual paragraphs: none" in out
    with pytest.raises(CommandError, match="no source 'nope'"):
        call_command("content_coverage", "nope")


def test_editing_a_question_keeps_every_learners_progress_on_it(db, content_dir, student):
    import uuid

    from django.utils import timezone

    from quizapp.study.models import CardState, Review
    from quizapp.study.services import review_record

    seed(content_dir)
    questions = read_questions(content_dir, DECK)
    question = Question.objects.get(slug=questions[0]["slug"])
    review_record(
        user=student,
        question=question,
        rating=3,
        reviewed_at=timezone.now(),
        review_id=uuid.uuid4(),
    )
    card_before = CardState.objects.get(user=student, question=question)
    questions[0]["explanation"] += " Edited."
    write_questions(content_dir, DECK, questions)

    assert seed(content_dir).updated == 1

    card = CardState.objects.get(user=student, question=question)
    assert (card.pk, card.reps, card.due) == (card_before.pk, 1, card_before.due)
    assert Review.objects.filter(user=student, question=question).count() == 1
    assert Question.objects.get(pk=question.pk).version == question.version + 1
