import sys

from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from quizapp.study import scheduling
from quizapp.study.models import CardState, LearnerSettings, Review
from quizapp.study.services import (
    card_rederive,
    memory_of,
    question_presets,
    scheduler_config,
)


class Command(BaseCommand):
    help = (
        "Recompute every card state from its reviews and report drift (cards whose cached "
        "state differs from the replay). Exits 1 when any card drifted, unless --repair."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this username")
        parser.add_argument("--repair", action="store_true", help="rewrite drifted cards")

    def handle(self, *args, user=None, repair=False, verbosity=1, **options):
        cards = CardState.objects.select_related("user").order_by("user_id", "question_id")
        if user:
            cards = cards.filter(user__username=user)
        settings = {s.user_id: s for s in LearnerSettings.objects.all()}
        presets = {}  # per learner, looked up when their first card comes
        checked = drifted = 0
        for card in tqdm(
            cards.iterator(chunk_size=2000),
            total=cards.count(),
            desc="verifying",
            unit="card",
            disable=verbosity < 1,
            file=self.stderr,
        ):
            learner = settings.get(card.user_id) or LearnerSettings(user=card.user)
            if card.user_id not in presets:
                presets.clear()  # cards come learner by learner
                presets[card.user_id] = question_presets(user=card.user_id, settings=learner)
            preset = presets[card.user_id].for_question(card.question_id)
            config = scheduler_config(learner, preset)
            reviews = Review.objects.for_card(card.user_id, card.question_id)
            if card.reset_at is not None:
                reviews = reviews.filter(reviewed_at__gt=card.reset_at)
            expected = scheduling.replay(
                [
                    scheduling.ReviewInput(r, t)
                    for r, t in reviews.in_replay_order().values_list("rating", "reviewed_at")
                ],
                config=config,
                card_id=card.question_id,
            )
            checked += 1
            if memory_of(card) != expected:
                drifted += 1
                self.stdout.write(f"drift: user {card.user} question {card.question_id}")
                if repair:
                    with transaction.atomic():
                        card_rederive(card=card, settings=learner, preset=preset)
        self.stdout.write(f"{checked} cards checked, {drifted} drifted")
        if drifted and not repair:
            sys.exit(1)
