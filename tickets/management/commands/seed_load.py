from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tickets.seed import SeedLoader, SeedSizes


class Command(BaseCommand):
    help = "Fill PostgreSQL with benchmark-sized data (set-based; see tickets/seed.py), then ANALYZE."

    def add_arguments(self, parser: ArgumentParser) -> None:
        defaults = SeedSizes()
        parser.add_argument("--tickets", type=int, default=defaults.tickets)
        parser.add_argument("--organizations", type=int, default=defaults.organizations)
        parser.add_argument("--sites", type=int, default=defaults.sites_per_organization, help="Per organisation.")
        parser.add_argument("--customers", type=int, default=defaults.customers)
        parser.add_argument("--agents", type=int, default=defaults.agents)
        parser.add_argument("--big-org-tickets", type=int, default=defaults.big_org_tickets)
        parser.add_argument("--seed", type=int, default=defaults.seed, help="Same seed, same data.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_load writes PostgreSQL only (set DATABASE_URL).")
        sizes = SeedSizes(
            tickets=options["tickets"],
            organizations=options["organizations"],
            sites_per_organization=options["sites"],
            customers=options["customers"],
            agents=options["agents"],
            big_org_tickets=options["big_org_tickets"],
            seed=options["seed"],
        )
        if min(sizes.tickets, sizes.organizations, sizes.customers, sizes.agents) < 1:
            raise CommandError("Every size must be at least 1.")
        if sizes.customers < sizes.organizations:
            raise CommandError("At least one customer per organisation: --customers >= --organizations.")
        SeedLoader(sizes, log=self.stdout.write).run()
