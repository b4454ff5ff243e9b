from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from reports.facts import reports_refresh


class Command(BaseCommand):
    help = "Bring the report tables up to date (what beat runs every REPORTS_REFRESH_SECONDS)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Rebuild every request's row, not only the changed ones."
        )

    def handle(self, *args: Any, full: bool = False, **options: Any) -> None:
        state = reports_refresh(full=full)
        self.stdout.write(f"{state.tickets} requests refreshed at {state.finished_at:%Y-%m-%d %H:%M:%S}")
