from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from tickets.catalogue import catalogue_dump, catalogue_export


class Command(BaseCommand):
    help = "Write the catalogue (desks, teams, groups, request types, fields) as YAML or JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args: Any, format: str = "yaml", output: str | None = None, **options: Any) -> None:
        text = catalogue_dump(catalogue_export(), fmt=format)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(self.style.SUCCESS(f"Catalogue written to {output}."))
        else:
            self.stdout.write(text, ending="")
