from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tickets.catalogue import CatalogueFileError, CatalogueInvalid, catalogue_import, catalogue_parse


class Command(BaseCommand):
    help = (
        "Import a catalogue file (YAML or JSON, as catalogue_export writes it). Everything is checked first; "
        "then all of it is applied in one transaction, or nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="List what would change; change nothing.")

    def handle(self, *args: Any, file: str, dry_run: bool = False, **options: Any) -> None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: {error}") from None
        try:
            data, lines = catalogue_parse(text)
            report = catalogue_import(data=data, lines=lines, dry_run=dry_run)
        except CatalogueFileError as error:
            raise CommandError(f"{file}, line {error.line or '?'}: {error}") from None
        except CatalogueInvalid as invalid:
            problems = "\n".join(f"{file}, {problem}" for problem in invalid.problems)
            raise CommandError(f"Nothing was changed; {len(invalid.problems)} problem(s):\n{problems}") from None
        for change in report.changes:
            self.stdout.write(f"  {change}")
        verb = "would change" if dry_run else "changed"
        summary = (
            f"{len(report.changes)} {verb}. "
            + ", ".join(f"{v} {k}" for k, v in report.counts.items())
            + " in the file."
        )
        self.stdout.write(self.style.SUCCESS(("Dry run: " if dry_run else "") + summary))
