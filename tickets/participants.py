"""Who a request is shared with. Participation is explicit: the requester, and the people someone
shares it with (logged); nothing else makes anyone a participant, and every share can be undone.
A share is between colleagues of the request's organisation, so leaving the organisation ends
the shares that came with it."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, User

from . import workflow
from .emails import ticket_email
from .errors import TicketError, TransitionNotAllowed
from .models import Activity, Participant, Ticket
from .visibility import ticket_roles


def _shareable(*, ticket: Ticket, user: User) -> bool:
    return bool(
        ticket.organization_id
        and user.is_active
        and Membership.objects.filter(user=user, organization_id=ticket.organization_id).exists()
    )


def participant_may_share(*, ticket: Ticket, actor: User) -> bool:
    """Who may share a request: the desk's agents, the organisation's vouching roles, and its
    people who are members of the organisation themselves. A requester who is not a member
    (someone asking to join it) may not: sharing would list the organisation's staff to a
    stranger and let them mail those people through the help desk."""
    roles = ticket_roles(ticket=ticket, user=actor)
    if roles & {workflow.Role.AGENT, workflow.Role.VOUCHER}:
        return True
    return bool(
        workflow.Role.CUSTOMER in roles
        and ticket.organization_id
        and Membership.objects.filter(user=actor, organization_id=ticket.organization_id).exists()
    )


@transaction.atomic
def ticket_share(*, ticket: Ticket, actor: User, user: User) -> Participant:
    """Share a request with a colleague of the same organisation (never with oneself: a role
    that already sees the request must not turn into a participation that outlives it)."""
    if not participant_may_share(ticket=ticket, actor=actor):
        raise TransitionNotAllowed(_("You cannot share this request."))
    if user.pk == actor.pk:
        raise TicketError(_("You cannot share a request with yourself."))
    if not _shareable(ticket=ticket, user=user):
        raise TicketError(_("You can only share a request with people of the same organisation."))
    participant, created = Participant.objects.get_or_create(ticket=ticket, user=user, defaults={"added_by": actor})
    if not created:
        raise TicketError(_("This request is already shared with %(name)s.") % {"name": user})
    Activity.objects.create(
        ticket=ticket, actor=actor, kind=Activity.Kind.SHARE, new_value=user.full_name or user.email,
        data={"user": user.pk},
    )  # fmt: skip
    ticket_email(user=user, kind="shared_with_you", ticket=ticket, actor=actor.full_name)
    return participant


def participant_removable_by(*, ticket: Ticket, actor: User, participant: Participant) -> bool:
    """The requester, a vouching role of the organisation or an agent of the desk may remove
    anyone it is shared with; anyone may remove themselves. The requester stays."""
    if participant.user_id == ticket.requester_id:
        return False
    if participant.user_id == actor.pk:
        return True
    roles = ticket_roles(ticket=ticket, user=actor)
    return actor.pk == ticket.requester_id or bool(roles & {workflow.Role.VOUCHER, workflow.Role.AGENT})


@transaction.atomic
def participant_remove(*, ticket: Ticket, actor: User, user: User) -> None:
    """Stop sharing the request with this person (logged); they no longer see it unless a role
    of theirs does."""
    participant = Participant.objects.select_for_update().filter(ticket=ticket, user=user).first()
    if participant is None:
        raise TicketError(_("This request is not shared with %(name)s.") % {"name": user})
    if not ticket_roles(ticket=ticket, user=actor):
        raise TransitionNotAllowed(_("You cannot change who sees this request."))
    if not participant_removable_by(ticket=ticket, actor=actor, participant=participant):
        raise TransitionNotAllowed(_("You cannot remove %(name)s from this request.") % {"name": user})
    participant.delete()
    Activity.objects.create(
        ticket=ticket, actor=actor, kind=Activity.Kind.UNSHARE, old_value=user.full_name or user.email,
        data={"user": user.pk},
    )  # fmt: skip


@transaction.atomic
def participant_set_notify(*, ticket: Ticket, user: User, notify: bool) -> Participant:
    """Turn this participant's e-mails about this request on or off. Only for the people it is
    shared with: it never makes anyone a participant."""
    participant = Participant.objects.select_for_update().filter(ticket=ticket, user=user).first()
    if participant is None:
        raise TransitionNotAllowed(_("This request is not shared with you."))
    if participant.notify == notify:
        return participant
    Participant.objects.filter(pk=participant.pk).update(notify=notify)
    participant.notify = notify
    Activity.objects.create(
        ticket=ticket,
        actor=user,
        kind=Activity.Kind.NOTIFY,
        visibility=Activity.Visibility.INTERNAL,
        new_value="on" if notify else "off",
    )
    return participant


def participants_end_with_membership(*, user_id: int, organization_id: int) -> int:
    """Someone left an organisation: the organisation's requests shared with them are no longer
    (their own requests stay theirs). Logged on each request; returns how many."""
    shares = Participant.objects.filter(user_id=user_id, ticket__organization_id=organization_id).exclude(
        ticket__requester_id=user_id
    )
    rows = list(shares.select_related("user").values_list("pk", "ticket_id", "user__full_name", "user__email"))
    if not rows:
        return 0
    Participant.objects.filter(pk__in=[pk for pk, *_ in rows]).delete()
    Activity.objects.bulk_create(
        Activity(
            ticket_id=ticket_id, kind=Activity.Kind.UNSHARE, old_value=name or email,
            data={"user": user_id, "reason": "left_organization"},
        )
        for _pk, ticket_id, name, email in rows
    )  # fmt: skip
    return len(rows)
