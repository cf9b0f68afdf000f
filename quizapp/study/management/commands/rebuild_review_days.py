from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from quizapp.study.models import Review
from quizapp.study.review_days import review_days_rebuild
from quizapp.study.services import learner_cards_rederive, learner_settings_get


class Command(BaseCommand):
    help = (
        "Recompute the per-day review totals (ReviewDay) from the review log: replay each "
        "learner's cards (which reclassifies every review) and recount their days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this username")
        parser.add_argument(
            "--skip-replay",
            action="store_true",
            help="recount from the reviews' stored classes without replaying the cards "
            "(faster; right when those classes are current, e.g. after a bulk load that set them)",
        )

    def handle(self, *args, user=None, skip_replay=False, verbosity=1, **options):
        users = get_user_model().objects.order_by("pk")
        if user:
            users = users.filter(username=user)
            if not users.exists():
                raise CommandError(f"no user named {user!r}")
        else:
            users = users.filter(pk__in=Review.objects.values("user_id"))
        learners = days = 0
        for learner in tqdm(
            users.iterator(),
            total=users.count(),
            desc="rebuilding",
            unit="learner",
            disable=verbosity < 1,
            file=self.stderr,
        ):
            if not skip_replay:
                learner_cards_rederive(user=learner)
            # After a replay this recount is already done; counting again is cheap and gives
            # the number of days to report.
            days += review_days_rebuild(settings=learner_settings_get(user=learner))
            learners += 1
        self.stdout.write(f"{learners} learners, {days} study days rebuilt")
