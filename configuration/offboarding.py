"""A resolved "Staff terminated" request (a type that offboards_member) offers its Tier II agent to
deactivate the member it names, in one confirmed click. The name and e-mail are sensitive, so
they are read only through the reveal service (audited), and only Tier II agents of the desk
may do it; the member must belong to the request's organisation and be no agent or admin."""

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.identity import user_by_email
from accounts.models import Membership, User
from accounts.services import user_deactivate
from tickets.models import Activity, Team, Ticket
from tickets.selectors import agent_tier
from tickets.services import sensitive_values_reveal
from tickets.workflow import Status

logger = logging.getLogger(__name__)

DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class OffboardingRefused(Exception):
    pass


def _normalised(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def offboarding_offered(*, ticket: Ticket, user: User) -> bool:
    """Whether the agent's page offers the deactivation (no value is read to answer it)."""
    return bool(
        ticket.request_type.offboards_member
        and ticket.status in DONE_STATUSES
        and ticket.organization_id
        and agent_tier(ticket=ticket, user=user) >= 2
    )


def offboarding_done(*, ticket: Ticket) -> bool:
    return ticket.activities.filter(kind=Activity.Kind.MEMBER_DEACTIVATED).exists()


def _members(ticket: Ticket) -> QuerySet[User]:
    """Who may be switched off from this request: the organisation's active plain members.
    Never an agent or an admin, never one of its vouching roles (a staff member's request must
    not switch off their director), and never someone who also belongs to another organisation
    (the whole account would go): those are for an admin in the editor."""
    if ticket.organization_id is None:
        return User.objects.none()
    agents = Team.members.through.objects.values("user_id")
    vouching = Membership.objects.filter(
        organization_id=ticket.organization_id, role__in=Membership.VOUCHING_ROLES
    ).values("user_id")
    elsewhere = Membership.objects.exclude(organization_id=ticket.organization_id).values("user_id")
    return (
        User.objects.filter(memberships__organization_id=ticket.organization_id, is_active=True)
        .exclude(is_staff=True)
        .exclude(is_superuser=True)
        .exclude(pk__in=agents)
        .exclude(pk__in=vouching)
        .exclude(pk__in=elsewhere)
        .exclude(pk=ticket.requester_id)
        .distinct()
    )


def offboarding_candidates(*, ticket: Ticket, actor: User) -> list[User]:
    """The members the request names, by e-mail address (accounts.identity) or full name. Reads
    the sensitive values through the reveal service, so each look is in the audit log."""
    if not offboarding_offered(ticket=ticket, user=actor):
        raise OffboardingRefused(_("This request does not offer a deactivation to you."))
    values = [str(v.value) for v in sensitive_values_reveal(ticket=ticket, actor=actor)]
    values += [str(item.get("value")) for item in (ticket.field_values or {}).values() if isinstance(item, dict)]
    members = _members(ticket)
    found: dict[int, User] = {}
    for value in values:
        if "@" in value:
            person = user_by_email(address=value, active_only=True)
            if person is not None and members.filter(pk=person.pk).exists():
                found[person.pk] = person
    names = {_normalised(v) for v in values if "@" not in v and v.strip()}
    for member in members:
        if _normalised(member.full_name) in names:
            found.setdefault(member.pk, member)
    return list(found.values())


@transaction.atomic
def member_offboard(*, ticket: Ticket, actor: User, user_id: int) -> User:
    """Deactivate a member the request names (ends their sessions and API tokens at once; their
    requests stay), and log it on the request."""
    candidates = {u.pk: u for u in offboarding_candidates(ticket=ticket, actor=actor)}
    member = candidates.get(user_id)
    if member is None:
        raise OffboardingRefused(_("This person is not a member this request names."))
    sessions, tokens = user_deactivate(user=member, actor=actor)
    # The name is sensitive: the row (which Tier I also reads) keeps only the account's id.
    Activity.objects.create(
        ticket=ticket,
        actor=actor,
        kind=Activity.Kind.MEMBER_DEACTIVATED,
        visibility=Activity.Visibility.INTERNAL,
        data={"user": member.pk, "sessions": sessions, "tokens": tokens},
    )
    logger.info("member %s deactivated from %s by %s", member.pk, ticket.reference, actor.pk)
    return member
