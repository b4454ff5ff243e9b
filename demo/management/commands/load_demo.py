from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Organization, Site, User
from kb.demo import DEMO_ARTICLES, articles_import, articles_load_file
from tickets.canned import canned_responses_import
from tickets.catalogue import DEMO_CATALOGUE, DEMO_PEOPLE, catalogue_import, catalogue_load_file
from tickets.models import RequestType, Team, Ticket
from tickets.services import ticket_assign, ticket_comment, ticket_escalate_tier, ticket_submit, ticket_transition
from tickets.values import SubmittedValues


class Command(BaseCommand):
    help = "Load the demo catalogue, organisations and users (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates users with a known password; it refuses to run with DEBUG off. "
                "Use --force if you really mean it."
            )
        with transaction.atomic():
            counts = catalogue_import(data=catalogue_load_file(DEMO_CATALOGUE)).counts
            articles = articles_import(data=articles_load_file(DEMO_ARTICLES))
            canned = canned_responses_import()
            people = catalogue_load_file(DEMO_PEOPLE)
            organizations = self._organizations(people.get("organizations", []))
            users = self._users(people.get("users", []), organizations)
            requests = 0 if Ticket.objects.exists() else self._requests()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo loaded: {desks} desks, {groups} groups, {types} request types, {fields} fields; ".format(**counts)
                + f"{articles} help articles, {canned} canned responses, "
                + f"{len(organizations)} organisations, {len(users)} users, "
                + f"{requests} sample requests."
            )
        )

    def _organizations(self, rows: list[dict[str, Any]]) -> dict[str | None, Organization]:
        organizations: dict[str | None, Organization] = {}
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

    def _users(self, rows: list[dict[str, Any]], organizations: dict[str | None, Organization]) -> list[User]:
        users: list[User] = []
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
            # Only when it differs: a new hash would sign the demo users out at every `make run`.
            if not user.check_password(settings.DEMO_PASSWORD):
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

    def _requests(self) -> int:
        """A few requests in different states, made through the real services, so the queues
        and the portal have something to show. Only into an empty help desk."""
        people = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@example.com")}
        if not {"customer", "colleague", "payer", "tier1", "tier2"} <= people.keys():
            return 0
        tier1, tier2 = people["tier1"], people["tier2"]

        def submit(who: str, desk: str, key: str, summary: str, description: str, **fields: Any) -> Ticket:
            requester = people[who]
            membership = requester.memberships.select_related("organization").first()
            return ticket_submit(
                request_type=RequestType.objects.get(desk__key=desk, key=key),
                requester=requester,
                organization=membership.organization if membership else None,
                values=SubmittedValues(summary=summary, description=description, fields=fields, files={}),
            )

        link = submit("customer", "CSD", "general-request", "The portal link in the welcome e-mail does not open",
                      "Clicking the link shows a blank page in Chrome.")  # fmt: skip
        ticket_assign(ticket=link, actor=tier1, assignee=tier1)
        ticket_comment(ticket=link, author=tier1, body="Thanks, Carmen. Could you tell us which browser version?")
        ticket_transition(ticket=link, action="ask_customer", actor=tier1, note="Which Chrome version do you use?")
        submit("colleague", "CCP", "staff-terminated", "Remove access for a former assistant teacher",
               "She left last Friday; please switch her portal account off.",
               employee_full_name="Dana Example", last_day_of_employment="2026-11-27")  # fmt: skip
        sftp = submit("payer", "EDI", "payer-sftp-issue", "No podemos conectar por SFTP desde esta mañana",
                      "El servidor rechaza nuestra clave desde las 8:00.")  # fmt: skip
        ticket_escalate_tier(ticket=sftp, actor=tier1, to_tier=2, reason="Key rotation on the SFTP host; Tier II.")
        roles = submit("customer", "CCP", "additional-roles", "Finance reports for our new director",
                       "Our new director needs to see the monthly payment reports.",
                       user_email="director@example.com", roles_needed="Financial reports (read only)")  # fmt: skip
        ticket_comment(ticket=roles, author=tier2, body="Done: the role is added; it shows after the next sign-in.")
        ticket_transition(ticket=roles, action="resolve", actor=tier2, note="Role added.")
        submit("customer", "CSD", "system-outage", "Visits do not save since 9:00",
               "Every caregiver sees an error when saving a visit.")  # fmt: skip
        return Ticket.objects.count()
