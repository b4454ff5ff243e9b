"""Merging a duplicate into the request it repeats, and linking related requests: agents' writes
over two requests at once, built on the lifecycle's services."""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from .errors import TicketError
from .events import ticket_event
from .models import Activity, Ticket
from .participants import ticket_share
from .services import _bump_version, _require_agent, ticket_transition
from .visibility import ticket_roles


def merge_people_without_access(*, ticket: Ticket, into: Ticket) -> list[User]:
    """The duplicate's people who cannot see the surviving request: a merge never shows it to
    them unless the agent shares it with them explicitly (ticket_merge's share_with)."""
    people = [p.user for p in ticket.participants.select_related("user").filter(user__is_active=True)]
    return [user for user in people if not ticket_roles(ticket=into, user=user)]


@transaction.atomic
def ticket_merge(
    *,
    ticket: Ticket,
    into: Ticket,
    actor: User,
    share_with: Sequence[User] = (),
    expected_version: int | None = None,
) -> Ticket:
    """Close a duplicate into the request it repeats. Nobody gains access by it: the duplicate's
    people see the survivor only if they could already, or if the agent shares it with them here
    (each share through ticket_share, logged and e-mailed)."""
    _require_agent(ticket=ticket, actor=actor)
    _require_agent(ticket=into, actor=actor)
    if into.pk == ticket.pk:
        raise TicketError(_("A request cannot be merged into itself."))
    # Both rows locked, always in the same order, so two merges of the same pair in opposite
    # directions queue instead of deadlocking; the conditions are read from the locked rows.
    rows = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",)).filter(pk__in=[ticket.pk, into.pk]).order_by("pk")
    }
    duplicate, survivor = rows[ticket.pk], rows[into.pk]
    if survivor.merged_into_id is not None:
        raise TicketError(_("Merge into a request that is still open."))
    if not survivor.is_open:
        raise TicketError(_("Merge into a request that is still open."))
    same_people = survivor.requester_id == duplicate.requester_id or (
        survivor.organization_id is not None and survivor.organization_id == duplicate.organization_id
    )
    if not same_people:
        raise TicketError(_("Only requests of the same requester or organisation can be merged."))
    allowed = {user.pk for user in merge_people_without_access(ticket=duplicate, into=survivor)}
    if any(user.pk not in allowed for user in share_with):
        raise TicketError(_("Share the surviving request only with people of the duplicate who cannot see it yet."))
    ticket = ticket_transition(
        ticket=duplicate,
        action="merge",
        actor=actor,
        note=_("Merged into %(reference)s.") % {"reference": survivor.reference},
        expected_version=expected_version,
    )
    Ticket.objects.filter(pk=ticket.pk).update(merged_into=survivor)
    merged = Activity.objects.create(
        ticket=survivor,
        actor=actor,
        kind=Activity.Kind.MERGE,
        visibility=Activity.Visibility.INTERNAL,
        old_value=duplicate.reference,
        new_value=survivor.reference,
    )
    ticket_event(activity=merged)
    for user in share_with:
        ticket_share(ticket=survivor, actor=actor, user=user)
    _bump_version(ticket=survivor, expected_version=None)
    ticket.refresh_from_db()
    return ticket


@transaction.atomic
def ticket_link_related(*, ticket: Ticket, other: Ticket, actor: User) -> None:
    """Mark two requests as related (both ways)."""
    _require_agent(ticket=ticket, actor=actor)
    _require_agent(ticket=other, actor=actor)
    if other.pk == ticket.pk:
        raise TicketError(_("A request cannot be related to itself."))
    if ticket.related.filter(pk=other.pk).exists():
        raise TicketError(_("These requests are already linked."))
    ticket.related.add(other)
    for one, two in ((ticket, other), (other, ticket)):
        Activity.objects.create(
            ticket=one, actor=actor, kind=Activity.Kind.LINK, visibility=Activity.Visibility.INTERNAL,
            new_value=two.reference,
        )  # fmt: skip
