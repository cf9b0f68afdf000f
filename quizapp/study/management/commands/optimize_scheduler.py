from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from tqdm import tqdm

from quizapp.study.fitting import MIN_REVIEWS_FOR_FITTING
from quizapp.study.services import learner_parameters_fit


class Command(BaseCommand):
    help = (
        "Fit personal FSRS-6 parameters from each learner's own reviews (fsrs-rs, no torch); "
        "apply them, and re-derive the learner's cards, only if their log loss on the "
        "learner's history is no worse than the parameters in use. Learners with fewer than "
        f"{MIN_REVIEWS_FOR_FITTING} reviews made a day or more after the previous one keep "
        "their parameters."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this username")

    def handle(self, *args, user=None, verbosity=1, **options):
        users = get_user_model().objects.annotate(n=Count("card_states")).filter(n__gt=0)
        if user:
            users = get_user_model().objects.filter(username=user)
            if not users:
                raise CommandError(f"no user {user!r}")
        fitted = kept = skipped = 0
        bar = tqdm(users, desc="fitting", unit="learner", disable=verbosity < 1, file=self.stderr)
        for learner in bar:
            bar.set_postfix_str(learner.username)
            result = learner_parameters_fit(user=learner)
            if result is None:
                skipped += 1
                self.stdout.write(f"{learner}: too few reviews, keeping the parameters in use")
                continue
            verdict = "applied" if result.applied else "kept the parameters in use"
            fitted += result.applied
            kept += not result.applied
            self.stdout.write(
                f"{learner}: fitted on {result.review_count} reviews "
                f"({result.item_count} trainable): log loss {result.log_loss:.4f} against "
                f"{result.current_log_loss:.4f} for the parameters in use, {verdict}"
            )
        self.stdout.write(
            f"{fitted} fitted, {kept} kept their parameters (the fit was worse), "
            f"{skipped} had too few reviews"
        )
