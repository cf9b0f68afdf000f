"""Re-derive every card state now that elapsed time is counted in study days.

Card states are a cache of the replay of their reviews. Until now a review's memory update
counted whole 24-hour periods since the card's previous review; it now counts the learner's
study days (quizapp.study.scheduling). Every stored stability, difficulty and due date is
replayed again under the new rule, and the cards that changed are re-stamped so devices sync
them. Card states hold nothing that is not derived from the log, so there is nothing to undo
on the way back.
"""

from django.db import migrations
from django.utils import timezone

MEMORY_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review",
                 "last_review_day", "introduced_day", "reps", "lapses")


def rederive_card_states(apps, schema_editor):
    from quizapp.study import scheduling
    from quizapp.study.fitting import DEFAULT_PARAMETERS

    CardState = apps.get_model("study", "CardState")
    Review = apps.get_model("study", "Review")
    LearnerSettings = apps.get_model("study", "LearnerSettings")
    learners = {s.user_id: s for s in LearnerSettings.objects.all()}
    now = timezone.now()
    user_ids = CardState.objects.values_list("user_id", flat=True).distinct().order_by("user_id")
    for user_id in list(user_ids):
        learner = learners.get(user_id)
        config = scheduling.SchedulerConfig()
        if learner is not None:
            config = scheduling.SchedulerConfig(
                parameters=tuple(learner.parameters or DEFAULT_PARAMETERS),
                desired_retention=learner.desired_retention,
                tz=scheduling.resolve_zone(learner.time_zone),
                day_start_hour=learner.day_start_hour,
            )
        reviews = {}
        rows = (
            Review.objects.filter(user_id=user_id)
            .order_by("question_id", "reviewed_at", "uuid")
            .values_list("question_id", "rating", "reviewed_at")
            .iterator(chunk_size=5000)
        )
        for question_id, rating, reviewed_at in rows:
            reviews.setdefault(question_id, []).append(
                scheduling.ReviewInput(rating, reviewed_at)
            )
        changed = []
        for card in CardState.objects.filter(user_id=user_id).order_by("pk"):
            kept = [
                review
                for review in reviews.get(card.question_id, [])
                if card.reset_at is None or review.reviewed_at > card.reset_at
            ]
            memory = scheduling.replay(kept, config=config, card_id=card.question_id)
            if any(getattr(card, name) != getattr(memory, name) for name in MEMORY_FIELDS):
                for name in MEMORY_FIELDS:
                    setattr(card, name, getattr(memory, name))
                card.updated_at = now
                changed.append(card)
        CardState.objects.bulk_update(changed, [*MEMORY_FIELDS, "updated_at"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("study", "0004_studied_questions_are_protected"),
    ]

    operations = [
        migrations.RunPython(rederive_card_states, migrations.RunPython.noop, elidable=True),
    ]
