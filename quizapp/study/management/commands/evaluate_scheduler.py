import json
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from quizapp.study.days import resolve_zone
from quizapp.study.evaluation import evaluate, read_revlog


class Command(BaseCommand):
    help = (
        "Evaluate schedulers on a review log the way srs-benchmark does and print JSON: "
        "log loss, RMSE(bins), AUC and n for the constant baseline, SM-2, FSRS-6 with default "
        "parameters and FSRS-6 fitted on earlier reviews only (time-ordered 5-fold split). "
        "The FSRS figures replay every card through the product's own scheduling code; "
        "fsrs-rs's predictions of the same folds are printed beside them as a cross-check. "
        "AUC is null when every predicted review had the same outcome (nothing to rank)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--revlog",
            type=Path,
            required=True,
            help="CSV: card_id, review_rating, review_time, review_duration",
        )
        parser.add_argument(
            "--tz", default="UTC", help="the learner's time zone (IANA name, e.g. Etc/GMT+7)"
        )
        parser.add_argument("--day-start-hour", type=int, default=4)
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument(
            "--bootstrap",
            type=int,
            default=0,
            metavar="N",
            help="add 95%% card-level bootstrap intervals of fitted FSRS-6 minus each other "
            "model, from N resamples (1000 is plenty; 0: none)",
        )
        parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap draws")

    def handle(
        self, *args, revlog, tz, day_start_hour, folds, bootstrap, seed, verbosity=1, **options
    ):
        try:
            zone = resolve_zone(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                f"unknown time zone {tz!r}: give an IANA name such as Europe/Berlin, "
                "America/Denver or Etc/GMT+7 (which is UTC−07:00)"
            ) from None
        if not 0 <= day_start_hour <= 23:
            raise CommandError(f"--day-start-hour must be 0–23, got {day_start_hour}")
        if bootstrap < 0:
            raise CommandError(f"--bootstrap must be 0 or more, got {bootstrap}")
        try:
            events = read_revlog(revlog)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from None
        with tqdm(desc="evaluating", disable=verbosity < 1, file=self.stderr) as bar:

            def progress(done, total):
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                report = evaluate(
                    events,
                    tz=zone,
                    day_start_hour=day_start_hour,
                    folds=folds,
                    progress=progress,
                    bootstrap=bootstrap,
                    seed=seed,
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
