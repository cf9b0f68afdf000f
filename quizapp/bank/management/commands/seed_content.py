from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from quizapp.bank.content import ContentInvalid, load_content
from quizapp.bank.services import content_seed


class Command(BaseCommand):
    help = (
        "Validate content/ and load it into the question bank in one transaction. "
        "Idempotent: unchanged questions are left alone, edits bump the version, "
        "questions removed from the files are retired."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", type=Path, default=settings.BASE_DIR / "content", help="content folder"
        )

    def handle(self, *args, path: Path, verbosity: int, **options) -> None:
        try:
            bundle = load_content(path)
        except ContentInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(invalid.errors)} problem(s) in {path}; nothing was loaded."
            ) from None
        with tqdm(
            total=len(bundle.questions),
            desc="seeding",
            unit="q",
            disable=verbosity < 1,
            file=self.stderr,
            leave=False,
        ) as bar:
            try:
                report = content_seed(bundle=bundle, progress=lambda slug: bar.update())
            except ContentInvalid as invalid:
                for error in invalid.errors:
                    self.stderr.write(str(error))
                raise CommandError("nothing was loaded.") from None
        if verbosity >= 2:
            for change in report.changes:
                self.stdout.write(f"  {change}")
        self.stdout.write(
            f"Content: {len(bundle.sources)} source(s), {len(bundle.decks)} deck(s), "
            f"{len(bundle.questions)} question(s): {report}"
        )
