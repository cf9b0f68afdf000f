from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from quizapp.bank.models import Deck, DeckQuestion, Question
from quizapp.classroom.models import Classroom, Enrolment
from quizapp.study.management.commands.generate_load import apportion, share
from quizapp.study.models import CardState, LearnerSettings, Review, ReviewDay
from quizapp.study.review_days import card_states_before, review_days_recount
from quizapp.study.scheduling import ReviewInput
from quizapp.study.services import scheduler_config
from tests.factories import QuestionFactory

TINY = ("--learners=3", "--cards=20", "--reviews=200", "--until=2026-01-01", "--workers=1")


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_load", *TINY, "--classes=2", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def learners():
    return get_user_model().objects.filter(username__startswith="load-learner-")


@pytest.mark.django_db
def test_generates_the_requested_counts():
    output = generate()
    assert learners().count() == 3
    assert LearnerSettings.objects.filter(user__in=learners()).count() == 3
    assert Question.objects.filter(slug__startswith="load-", status="published").count() == 20
    assert DeckQuestion.objects.filter(question__slug__startswith="load-").count() == 20
    assert Deck.objects.filter(slug__startswith="load-").count() == 1
    assert Review.objects.count() == 200
    per_learner = sorted(Review.objects.filter(user=u).count() for u in learners())
    assert per_learner == [66, 67, 67]
    # Cards are started as learners study them: each card state has reviews.
    assert 0 < CardState.objects.count() <= 3 * 20
    assert not CardState.objects.filter(reps=0).exists()
    assert Classroom.objects.filter(name__startswith="load-").count() == 2
    assert Enrolment.objects.filter(student__in=learners()).count() == 3
    assert "200 reviews" in output


@pytest.mark.django_db
def test_reviews_are_spread_over_the_days_before_until_with_random_ids():
    generate("--days=30")
    times = Review.objects.order_by("reviewed_at").values_list("reviewed_at", flat=True)
    assert str(times.first()) >= "2025-11-29"
    assert str(times.last()) < "2026-01-01"
    ids = list(Review.objects.values_list("uuid", flat=True))
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {4}


@pytest.mark.django_db
def test_card_states_are_exactly_the_replay_of_the_generated_reviews():
    generate()
    out = StringIO()
    call_command("verify_card_states", stdout=out, stderr=StringIO(), verbosity=0)
    assert out.getvalue().strip().endswith(f"{CardState.objects.count()} cards checked, 0 drifted")


@pytest.mark.django_db
def test_review_classes_and_day_totals_agree_with_the_log():
    generate()
    for settings in LearnerSettings.objects.filter(user__in=learners()):
        config = scheduler_config(settings)
        for card in CardState.objects.filter(user_id=settings.user_id):
            reviews = list(
                Review.objects.for_card(card.user_id, card.question_id).in_replay_order()
            )
            _, states = card_states_before(
                [ReviewInput(r.rating, r.reviewed_at) for r in reviews],
                reset_at=None,
                config=config,
                card_id=card.question_id,
            )
            assert [r.state_before for r in reviews] == states
        stored = {
            day.day: (day.reviews, day.again, day.new_cards, day.duration_ms)
            for day in ReviewDay.objects.filter(user_id=settings.user_id)
        }
        counted = {
            day: (t.reviews, t.again, t.new_cards, t.duration_ms)
            for day, t in review_days_recount(settings=settings).items()
        }
        assert stored == counted


@pytest.mark.django_db
def test_refuses_politely_when_load_data_exists():
    generate()
    with pytest.raises(CommandError, match=r"already exists.*--reset"):
        generate()
    assert Review.objects.count() == 200


@pytest.mark.django_db
def test_reset_replaces_the_load_data_and_leaves_other_data_alone(student):
    other = QuestionFactory()
    CardState.objects.create(user=student, question=other)
    generate()
    generate("--reset", "--reviews=90")
    assert learners().count() == 3
    assert Review.objects.count() == 90
    assert Question.objects.filter(slug__startswith="load-").count() == 20
    assert Classroom.objects.filter(name__startswith="load-").count() == 2
    assert CardState.objects.filter(user=student, question=other).exists()


@pytest.mark.django_db
def test_a_learners_history_does_not_depend_on_the_other_learners():
    def history():
        return list(
            Review.objects.filter(user__username="load-learner-1")
            .order_by("reviewed_at")
            .values_list("question__slug", "rating", "reviewed_at", "uuid")
        )

    # Learner 1's share of 200 reviews among 3 learners is 66.
    call_command(
        "generate_load", *TINY, "--learners=1", "--reviews=66", stdout=StringIO(), stderr=StringIO()
    )
    alone = history()
    call_command("generate_load", *TINY, "--reset", stdout=StringIO(), stderr=StringIO())
    assert history() == alone


def test_refuses_more_reviews_than_fit_in_the_days():
    with pytest.raises(CommandError, match="raise --days"):
        call_command("generate_load", "--learners=1", "--reviews=10000", "--days=10")


@pytest.mark.parametrize(
    ("total", "weights"),
    [(200, [1.0, 0.0, 2.5, 0.7]), (7, [0.3] * 10), (0, [1.0, 1.0]), (5, [0.0, 0.0])],
)
def test_apportion_adds_up_to_exactly_the_total(total, weights):
    parts = apportion(total, weights)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)


def test_shares_add_up_to_the_total():
    assert sum(share(2_000_003, 1000, i) for i in range(1000)) == 2_000_003
