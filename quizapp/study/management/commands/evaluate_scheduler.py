import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from quizapp.study.evaluation import evaluate, read_revlog


class Command(BaseCommand):
    help = (
        "Evaluate schedulers on a review log the way srs-benchmark does and print JSON: "
        "log loss, RMSE(bins), AUC and n for the constant baseline, SM-2, FSRS-6 with default "
        "parameters and FSRS-6 fitted on earlier reviews only (time-ordered 5-fold split)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--revlog",
            type=Path,
            required=True,
            help="CSV: card_id, review_rating, review_time, review_duration",
        )
        parser.add_argument("--tz", default="UTC", help="the learner's time zone (IANA name)")
        parser.add_argument("--day-start-hour", type=int, default=4)
        parser.add_argument("--folds", type=int, default=5)

    def handle(self, *args, revlog, tz, day_start_hour, folds, verbosity=1, **options):
        try:
            events = read_revlog(revlog)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from None
        with tqdm(desc="fitting folds", disable=verbosity < 1, file=self.stderr) as bar:

            def progress(done, total):
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                report = evaluate(
                    events, tz=tz, day_start_hour=day_start_hour, folds=folds, progress=progress
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
