import textwrap

from django.core.management.base import BaseCommand, CommandError

from quizapp.bank.models import Source
from quizapp.bank.selectors import source_coverage


class Command(BaseCommand):
    help = "Print each paragraph of a source with the questions citing it, then the uncovered ones."

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="source slug (default: every source)")

    def handle(self, *args, source: str | None, **options) -> None:
        sources = Source.objects.all()
        if source:
            sources = sources.filter(slug=source)
            if not sources:
                known = ", ".join(Source.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(f"no source {source!r} (known: {known}); run seed_content?")
        for item in sources:
            coverage = source_coverage(source=item)
            self.stdout.write(self.style.MIGRATE_HEADING(f"{item.title} ({item.slug})"))
            for paragraph in coverage:
                label = "" if paragraph.factual else " (not factual)"
                self.stdout.write(
                    f"¶{paragraph.number}{label}: {textwrap.shorten(paragraph.text, 90)}"
                )
                cited = ", ".join(paragraph.question_slugs) or "— no question cites it"
                self.stdout.write(
                    textwrap.indent(textwrap.fill(cited, 96, break_on_hyphens=False), "    ")
                )
            uncovered = [p.number for p in coverage if p.uncovered]
            cited = sum(1 for p in coverage if p.question_slugs)
            self.stdout.write(
                f"{cited} of {len(coverage)} paragraphs cited; uncovered factual paragraphs: "
                + (", ".join(f"¶{n}" for n in uncovered) if uncovered else "none")
            )
