from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Organization, Site, User
from kb.demo import DEMO_ARTICLES, articles_import, articles_load_file
from tickets.catalogue import DEMO_CATALOGUE, DEMO_PEOPLE, catalogue_import, catalogue_load_file
from tickets.models import Team


class Command(BaseCommand):
    help = "Load the demo catalogue, organisations and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates users with a known password; it refuses to run with DEBUG off. "
                "Use --force if you really mean it."
            )
        with transaction.atomic():
            counts = catalogue_import(data=catalogue_load_file(DEMO_CATALOGUE))
            articles = articles_import(data=articles_load_file(DEMO_ARTICLES))
            people = catalogue_load_file(DEMO_PEOPLE)
            organizations = self._organizations(people.get("organizations", []))
            users = self._users(people.get("users", []), organizations)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo loaded: {desks} desks, {groups} groups, {types} request types, {fields} fields; ".format(**counts)
                + f"{articles} help articles, {len(organizations)} organisations, {len(users)} users."
            )
        )

    def _organizations(self, rows):
        organizations = {}
        for row in rows:
            organization, _ = Organization.objects.update_or_create(
                provider_id=row["provider_id"], defaults={"name": row["name"], "kind": row["kind"]}
            )
            for site_row in row.get("sites", []):
                Site.objects.update_or_create(
                    organization=organization,
                    name=site_row["name"],
                    defaults={"address": site_row.get("address", ""), "is_primary": site_row.get("primary", False)},
                )
            organizations[organization.provider_id] = organization
        return organizations

    def _users(self, rows, organizations):
        users = []
        for row in rows:
            user, _ = User.objects.update_or_create(
                email=row["email"],
                defaults={
                    "full_name": row["full_name"],
                    "language": row.get("language", "en"),
                    "is_staff": row.get("admin", False),
                    "is_superuser": row.get("admin", False),
                    "is_active": True,
                },
            )
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
            for membership_row in row.get("memberships", []):
                organization = organizations[membership_row["organization"]]
                membership, _ = Membership.objects.update_or_create(
                    user=user, organization=organization, defaults={"role": membership_row["role"]}
                )
                membership.sites.set(organization.sites.filter(name__in=membership_row.get("sites", [])))
            if "teams" in row:
                for team in Team.objects.filter(tier=row["teams"]["tier"]):
                    team.members.add(user)
            users.append(user)
        return users
