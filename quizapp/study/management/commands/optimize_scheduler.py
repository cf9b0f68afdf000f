from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from tqdm import tqdm

from quizapp.study.fitting import MIN_REVIEWS_FOR_FITTING
from quizapp.study.services import learner_parameters_fit


class Command(BaseCommand):
    help = (
        "Fit personal FSRS-6 parameters from each learner's own reviews (fsrs-rs, no torch) "
        f"and re-derive their cards. Learners with fewer than {MIN_REVIEWS_FOR_FITTING} "
        "reviews made a day or more after the previous one keep the defaults."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this username")

    def handle(self, *args, user=None, verbosity=1, **options):
        users = get_user_model().objects.annotate(n=Count("card_states")).filter(n__gt=0)
        if user:
            users = get_user_model().objects.filter(username=user)
            if not users:
                raise CommandError(f"no user {user!r}")
        fitted = skipped = 0
        bar = tqdm(users, desc="fitting", unit="learner", disable=verbosity < 1, file=self.stderr)
        for learner in bar:
            bar.set_postfix_str(learner.username)
            result = learner_parameters_fit(user=learner)
            if result is None:
                skipped += 1
                self.stdout.write(f"{learner}: too few reviews, keeping the default parameters")
            else:
                fitted += 1
                self.stdout.write(
                    f"{learner}: fitted on {result.review_count} reviews "
                    f"({result.item_count} trainable)"
                )
        self.stdout.write(f"{fitted} fitted, {skipped} kept the defaults")
