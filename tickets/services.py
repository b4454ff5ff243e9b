"""Writes. Each service is atomic, leaves an Activity row and stores the notifications it
implies in the same transaction (sent after commit by the outbox)."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, Site, User
from accounts.services import account_claim_url, user_is_contact

from . import events, sla, workflow
from .attachments import attachment_stage
from .emails import ticket_email, ticket_email_agents, ticket_email_participants
from .errors import StaleVersion, TicketError, TransitionNotAllowed
from .events import ticket_event
from .fields import field_values_split, request_fields_for_submit, sensitive_values_create
from .models import (
    Activity,
    Attachment,
    Participant,
    Priority,
    RequestType,
    SensitiveValue,
    ServiceDesk,
    Team,
    Ticket,
    TicketSeen,
    ticket_seen_record,
)
from .participants import participant_set_notify, ticket_share  # noqa: F401 - the doors import them from here
from .selectors import agent_tier, desk_agents
from .values import SubmittedValues
from .visibility import ticket_roles

# The e-mail a public status change sends, by the status it reaches.
STATUS_EMAIL: dict[str, str] = {
    workflow.Status.WAITING_FOR_CUSTOMER: "waiting_for_customer",
    workflow.Status.RESOLVED: "request_resolved",
}
# An approval's answer is its own e-mail: "approved" says more than "now waiting for support".
ACTION_EMAIL = {"approve": "request_approved", "decline": "request_declined"}
# Statuses where a request is with support (a customer's reply there waits for an agent).
SUPPORT_STATUSES = (workflow.Status.WAITING_FOR_SUPPORT, workflow.Status.IN_PROGRESS)


def desk_allocate_number(*, desk: ServiceDesk) -> int:
    """Bump the desk's counter. The UPDATE takes the row lock, held to the end of the
    surrounding transaction, so concurrent submissions queue here: unique and gap-free.
    One statement (UPDATE … RETURNING): every moment between the lock and the commit is one
    that all other submissions to the desk wait for."""
    table = connection.ops.quote_name(ServiceDesk._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 WHERE id = %s RETURNING last_number", [desk.pk]
        )
        row = cursor.fetchone()
    if row is None:
        raise ServiceDesk.DoesNotExist
    return int(row[0])


def _requester_vouches(*, requester: User, organization: Organization | None) -> bool:
    return bool(
        organization
        and Membership.objects.filter(
            user=requester, organization=organization, role__in=Membership.VOUCHING_ROLES
        ).exists()
    )


@transaction.atomic
def ticket_submit(
    *,
    request_type: RequestType,
    requester: User,
    values: SubmittedValues,
    organization: Organization | None = None,
    site: Site | None = None,
    created_by: User | None = None,
    channel: str = "portal",
    contact_phone: str = "",
) -> Ticket:
    """Open a request: allocate its reference, route it, log it and confirm it by e-mail."""
    desk = request_type.desk
    uploader = created_by or requester
    # Files are written to storage before the desk counter is locked, so a slow store never
    # holds up other submissions to the desk.
    files = {
        key: [i if isinstance(i, Attachment) else attachment_stage(uploaded_by=uploader, upload=i) for i in items]
        for key, items in values.files.items()
    }
    needs_approval = request_type.needs_approval and not _requester_vouches(
        requester=requester, organization=organization
    )
    if needs_approval:
        waiting = Ticket.objects.filter(requester=requester, status=workflow.Status.WAITING_FOR_APPROVAL).count()
        if waiting >= settings.APPROVAL_PENDING_MAX_PER_REQUESTER:
            # Each one mails an organisation's vouching roles: a stranger must not flood them.
            raise TicketError(
                _("You already have %(count)d requests waiting for approval; please wait for an answer first.")
                % {"count": waiting}
            )
    fields = request_fields_for_submit(request_type=request_type)
    # Everything that does not need the reference is read and worked out before the desk
    # counter is locked: from the lock to the commit, every other submission to the desk waits.
    team = request_type.default_team
    now = timezone.now()
    calendar = sla.calendar_for_desk(desk.pk)
    first_response_due_at = sla.due_at(now, request_type.sla_first_response_minutes, calendar=calendar)
    resolution_due_at = sla.due_at(now, request_type.sla_resolution_minutes, calendar=calendar)
    public_values, sensitive_values = field_values_split(fields=fields, values=values.fields)
    status = workflow.initial_status(needs_approval=needs_approval)
    # Someone an agent took the request for (or who wrote in) may have no password yet: their
    # confirmation carries a "set your password" link, not a sign-in page they cannot pass.
    claim_url = account_claim_url(user=requester) if user_is_contact(user=requester) else ""

    number = desk_allocate_number(desk=desk)
    ticket = Ticket.objects.create(
        desk=desk,
        number=number,
        reference=f"{desk.key}-{number}",
        request_type=request_type,
        requester=requester,
        created_by=created_by or requester,
        organization=organization,
        site=site,
        channel=channel,
        contact_phone=contact_phone,
        summary=values.summary,
        description=values.description,
        field_values=public_values,
        status=status,
        team=team,
        tier=team.tier,
        first_response_due_at=first_response_due_at,
        resolution_due_at=resolution_due_at,
    )
    if sensitive_values:
        sensitive_values_create(ticket=ticket, values=sensitive_values)
    Participant.objects.create(ticket=ticket, user=requester, added_by=created_by or requester)
    # Inserted without Activity.save's bump of the ticket's updated_at: the row was inserted a
    # moment ago, and rewriting it (every index of the table again) is time the lock is held.
    # Its actor has seen it, as save() records.
    actor = created_by or requester
    created = Activity(ticket=ticket, actor=actor, kind=Activity.Kind.CREATED, new_value=status)
    created.data = {"channel": channel}
    (activity,) = Activity.objects.bulk_create([created])
    ticket_seen_record(ticket_id=ticket.pk, user_id=actor.pk, at=activity.created_at)
    for key, items in files.items():
        _attachments_claim(items=items, ticket=ticket, activity=activity, uploaded_by=uploader, field_key=key)
    ticket_event(activity=activity)
    ticket_email(
        user=requester,
        kind="request_received",
        ticket=ticket,
        status=workflow.Status(ticket.status).label,
        claim_url=claim_url,
        claim_days=settings.ACCOUNT_CLAIM_LINK_DAYS,
        confidential=bool(claim_url),
    )
    if ticket.status == workflow.Status.WAITING_FOR_APPROVAL:
        _notify_vouchers(ticket)
    return ticket


def _attachments_claim(
    *, items: Iterable[Any], ticket: Ticket, activity: Activity, uploaded_by: User, field_key: str = ""
) -> list[Attachment]:
    """Attach staged files (or fresh uploads) to a ticket and the activity they came with."""
    claimed = []
    now = timezone.now()
    for item in items:
        attachment = item if isinstance(item, Attachment) else attachment_stage(uploaded_by=uploaded_by, upload=item)
        updated = Attachment.objects.filter(pk=attachment.pk, uploaded_by=uploaded_by, ticket__isnull=True).update(
            ticket=ticket, activity=activity, field_key=field_key, claimed_at=now
        )
        if not updated:
            raise TicketError(_("An attached file is no longer available; please attach it again."))
        claimed.append(attachment)
    return claimed


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, action: str, actor: User | None, note: str | Promise = "", expected_version: int | None = None
) -> Ticket:
    """Apply one lifecycle transition, checked against tickets.workflow; refuse otherwise."""
    transition = workflow.transition_for(action)
    if transition is None:
        raise TransitionNotAllowed(_("Unknown action: %(action)s") % {"action": action})
    roles = {workflow.Role.SYSTEM} if actor is None else set(ticket_roles(ticket=ticket, user=actor))
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(_("Someone else changed this request in the meantime. Reload it and try again."))
    if locked.status not in transition.sources or not (transition.roles & roles):
        raise TransitionNotAllowed(
            _("“%(action)s” is not possible on this request now.") % {"action": transition.label}
        )
    if transition.note_required and not str(note).strip():
        raise TicketError(_("Please say why."))
    if action == "reopen" and workflow.Role.AGENT not in roles:
        if not workflow.reopen_window_open(resolved_at=locked.resolved_at, now=timezone.now()):
            raise TransitionNotAllowed(_("This request was resolved too long ago to reopen; please open a new one."))

    now = timezone.now()
    old_status = locked.status
    changes = {"status": transition.target, "status_changed_at": now, "version": locked.version + 1}
    if transition.target == workflow.Status.RESOLVED:
        changes["resolved_at"] = now
    elif transition.target == workflow.Status.CLOSED:
        changes["closed_at"] = now
    elif action == "reopen":
        changes["resolved_at"] = None
    changes.update(_sla_clock_changes(ticket=locked, target=transition.target, now=now))
    if workflow.Role.AGENT in roles and transition.target not in SUPPORT_STATUSES:
        changes["customer_replied_at"] = None  # the agent answered by handing it back or closing it
    Ticket.objects.filter(pk=locked.pk).update(**changes)
    if action == "approve" and actor is not None:  # approving takes a vouching role: a person
        _approval_side_effects(ticket=locked, approver=actor)
        ticket_email_agents(ticket=locked, event="approval", actor=actor)
    activity = Activity.objects.create(
        ticket=locked,
        actor=actor,
        kind=Activity.Kind.STATUS,
        visibility=Activity.Visibility.PUBLIC if transition.public else Activity.Visibility.INTERNAL,
        body=str(note),
        old_value=old_status,
        new_value=transition.target,
        data={"action": action},
    )
    locked.refresh_from_db()
    ticket_event(activity=activity)
    effects = events.ticket_resolved_effects(ticket=locked) if transition.target == workflow.Status.RESOLVED else {}
    if transition.public:
        kind = ACTION_EMAIL.get(action) or STATUS_EMAIL.get(transition.target, "status_changed")
        ticket_email_participants(
            ticket=locked,
            kind=kind,
            exclude=actor,
            status=workflow.Status(locked.status).label,
            note=note,
            reopen_days=settings.REOPEN_WINDOW_DAYS,
            **effects,
        )
    return locked


def _sla_clock_changes(*, ticket: Ticket, target: str, now: datetime) -> dict[str, datetime | None]:
    """The SLA clock stops while the request waits for the customer; when it starts again, the
    due times move on by the business time it stood still."""
    waiting = workflow.Status.WAITING_FOR_CUSTOMER
    if target == waiting and ticket.sla_paused_at is None:
        return {"sla_paused_at": now}
    if target != waiting and ticket.sla_paused_at is not None:
        calendar = sla.calendar_for_desk(ticket.desk_id)
        paused = calendar.minutes_between(ticket.sla_paused_at, now)
        changes: dict[str, datetime | None] = {"sla_paused_at": None}
        if ticket.first_response_due_at and ticket.first_response_at is None:
            changes["first_response_due_at"] = calendar.add_minutes(ticket.first_response_due_at, paused)
        if ticket.resolution_due_at:
            changes["resolution_due_at"] = calendar.add_minutes(ticket.resolution_due_at, paused)
        return changes
    return {}


def _notify_vouchers(ticket: Ticket) -> None:
    """Tell the organisation's vouching roles a request waits for their approval."""
    if not ticket.organization_id:
        return
    vouchers = User.objects.filter(
        is_active=True,
        memberships__organization_id=ticket.organization_id,
        memberships__role__in=Membership.VOUCHING_ROLES,
    ).exclude(pk=ticket.requester_id)
    for user in vouchers:
        # The address, not only the name the requester chose: a stranger cannot pass for a colleague.
        requester = f"{ticket.requester.full_name} <{ticket.requester.email}>"
        ticket_email(user=user, kind="approval_needed", ticket=ticket, requester=requester)


def _approval_side_effects(*, ticket: Ticket, approver: User) -> None:
    """Approving a new employee's request makes them a member of the organisation."""
    if not (ticket.request_type.approval_adds_membership and ticket.organization_id):
        return
    membership, created = Membership.objects.get_or_create(
        user=ticket.requester, organization_id=ticket.organization_id, defaults={"role": Membership.Role.STAFF}
    )
    if created:
        Activity.objects.create(
            ticket=ticket,
            actor=approver,
            kind=Activity.Kind.APPROVAL,
            body="",
            new_value="membership_added",
            data={"organization": ticket.organization_id},
        )


def _lock(*, ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """The ticket's row, locked to the end of the transaction. A change made on a stale copy is
    refused; every condition a service checks is read from what this returns, never from the
    caller's copy, so parallel requests queue here and the later ones see the first one's effect."""
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("request_type", "team").get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(_("Someone else changed this request in the meantime. Reload it and try again."))
    return locked


def _save(locked: Ticket, **changes: Any) -> Ticket:
    """Write the changes to the locked row with the next version; returns it fresh."""
    Ticket.objects.filter(pk=locked.pk).update(version=locked.version + 1, **changes)
    locked.refresh_from_db()
    return locked


def _bump_version(*, ticket: Ticket, expected_version: int | None, **changes: Any) -> Ticket:
    """Compare-and-set on the version: lock, refuse a stale copy, write."""
    return _save(_lock(ticket=ticket, expected_version=expected_version), **changes)


@transaction.atomic
def ticket_comment(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    uploads: Iterable[Any] = (),
    internal: bool = False,
    expected_version: int | None = None,
) -> Activity:
    """Add a public comment or (agents only) an internal note, with files. A customer's comment on
    a request waiting for them hands it back to support."""
    roles = ticket_roles(ticket=ticket, user=author)
    is_agent = workflow.Role.AGENT in roles
    if not roles & {workflow.Role.CUSTOMER, workflow.Role.VOUCHER, workflow.Role.AGENT}:
        raise TransitionNotAllowed(_("You cannot comment on this request."))
    if internal and not is_agent:
        raise TransitionNotAllowed(_("Only agents can add internal notes."))
    if not body.strip() and not uploads:
        raise TicketError(_("Write a comment or attach a file."))
    locked = _lock(ticket=ticket, expected_version=expected_version)
    changes: dict[str, datetime | None] = {}
    if is_agent and not internal and locked.first_response_at is None:
        changes["first_response_at"] = timezone.now()
    if not internal:
        # A customer's word waits for an agent until an agent answers in public.
        changes["customer_replied_at"] = None if is_agent else timezone.now()
    ticket = _save(locked, **changes)
    activity = Activity.objects.create(
        ticket=ticket,
        actor=author,
        kind=Activity.Kind.NOTE if internal else Activity.Kind.COMMENT,
        visibility=Activity.Visibility.INTERNAL if internal else Activity.Visibility.PUBLIC,
        body=body.strip(),
    )
    _attachments_claim(items=uploads, ticket=ticket, activity=activity, uploaded_by=author)
    ticket_event(activity=activity)
    if internal:
        return activity
    if not is_agent and ticket.status == workflow.Status.WAITING_FOR_CUSTOMER:
        ticket_transition(ticket=ticket, action="customer_reply", actor=author)
    elif (
        not is_agent
        and ticket.status == workflow.Status.RESOLVED
        and workflow.reopen_window_open(resolved_at=ticket.resolved_at, now=timezone.now())
    ):
        # A customer writing on a resolved request is not done with it: it goes back to the
        # team instead of sitting unread (the reopen window still applies).
        ticket_transition(ticket=ticket, action="reopen", actor=author)
    ticket_email_participants(
        ticket=ticket, kind="public_reply", exclude=author, author=author.full_name, body=activity.body
    )
    if not is_agent:
        ticket_email_agents(ticket=ticket, event="comment", actor=author, body=activity.body)
    return activity


@transaction.atomic
def ticket_request_escalation(
    *, ticket: Ticket, actor: User, reason: str, expected_version: int | None = None
) -> Ticket:
    """A customer asks for escalation: flag it with the reason, raise the priority, tell the team.
    Agents decide whether to move the tier."""
    if not ticket_roles(ticket=ticket, user=actor) & {workflow.Role.CUSTOMER, workflow.Role.VOUCHER}:
        raise TransitionNotAllowed(_("Only the people on this request can ask to escalate it."))
    if not reason.strip():
        raise TicketError(_("Please tell us why this needs escalating."))
    locked = _lock(ticket=ticket, expected_version=expected_version)
    if not workflow.is_open(locked.status):
        raise TransitionNotAllowed(_("This request is no longer open."))
    if locked.escalation_requested:
        raise TicketError(_("Escalation was already requested for this request."))
    ticket = _save(
        locked,
        escalation_requested=True,
        escalation_reason=reason.strip(),
        escalation_requested_at=timezone.now(),
        priority=min(locked.priority + 1, Priority.URGENT),
    )
    activity = Activity.objects.create(
        ticket=ticket, actor=actor, kind=Activity.Kind.ESCALATION_REQUEST, body=reason.strip()
    )
    ticket_event(activity=activity)
    team_members = ticket.team.members.filter(is_active=True) if ticket.team is not None else User.objects.none()
    for agent in team_members:
        ticket_email(user=agent, kind="escalation_requested", ticket=ticket, reason=reason.strip())
    return ticket


def _require_agent(*, ticket: Ticket, actor: User) -> None:
    if workflow.Role.AGENT not in ticket_roles(ticket=ticket, user=actor):
        raise TransitionNotAllowed(_("Only the agents of this desk can do that."))


def _agent_change(
    *,
    ticket: Ticket,
    actor: User,
    expected_version: int | None,
    field: str,
    value: Any,
    kind: str,
    shown: Callable[[Any], str] = str,
    data_of: Callable[[Any, Any], dict[str, Any]] | None = None,
) -> tuple[Ticket, bool]:
    """The one shape of "an agent changes a field" (assignee, priority, request type): checked
    on the locked row, logged with the old and new value, a no-op when nothing changes (so a
    double click or parallel identical requests leave one effect). Returns (ticket, changed)."""
    _require_agent(ticket=ticket, actor=actor)
    locked = _lock(ticket=ticket, expected_version=expected_version)
    old = getattr(locked, field)
    if old == value:
        return locked, False
    ticket = _save(locked, **{field: value})
    activity = Activity.objects.create(
        ticket=ticket,
        actor=actor,
        kind=kind,
        visibility=Activity.Visibility.INTERNAL,
        old_value=shown(old) if old is not None else "",
        new_value=shown(value) if value is not None else "",
        data=data_of(old, value) if data_of else {},
    )
    ticket_event(activity=activity)
    return ticket, True


def _person(user: User) -> str:
    """People are named by their name in the log (the e-mail address is in the row's data)."""
    return user.full_name or user.email


def _people_data(old: User | None, new: User | None) -> dict[str, Any]:
    return {
        "old": old.pk if old else None,
        "old_email": old.email if old else "",
        "new": new.pk if new else None,
        "new_email": new.email if new else "",
    }


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None, expected_version: int | None = None) -> Ticket:
    """Give the request to an agent of its desk (or to nobody)."""
    if assignee is not None and not desk_agents(desk_id=ticket.desk_id).filter(pk=assignee.pk).exists():
        raise TicketError(_("%(name)s is not an agent of this desk.") % {"name": assignee})
    ticket, _changed = _agent_change(
        ticket=ticket, actor=actor, expected_version=expected_version, field="assignee", value=assignee,
        kind=Activity.Kind.ASSIGNMENT, shown=_person, data_of=_people_data,
    )  # fmt: skip
    return ticket


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, actor: User, priority: int, expected_version: int | None = None) -> Ticket:
    if priority not in Priority.values:
        raise TicketError(_("Choose a valid priority."))
    ticket, _changed = _agent_change(
        ticket=ticket, actor=actor, expected_version=expected_version, field="priority", value=priority,
        kind=Activity.Kind.PRIORITY,
    )  # fmt: skip
    return ticket


@transaction.atomic
def ticket_escalate_tier(
    *, ticket: Ticket, actor: User, to_tier: int, reason: str, expected_version: int | None = None
) -> Ticket:
    """Move a request between Tier I and Tier II. The tier and team change; the status does not."""
    _require_agent(ticket=ticket, actor=actor)
    if not reason.strip():
        raise TicketError(_("Please give the reason for the escalation."))
    locked = _lock(ticket=ticket, expected_version=expected_version)
    if to_tier not in (1, 2) or to_tier == locked.tier:
        raise TicketError(_("The request is already at that tier."))
    if not workflow.is_open(locked.status):
        raise TransitionNotAllowed(_("This request is no longer open."))
    request_type = locked.request_type
    if to_tier == 2:
        team = request_type.escalation_team or Team.objects.filter(desk_id=locked.desk_id, tier=2).first()
    else:
        team = request_type.default_team
    if team is None:
        raise TicketError(_("This desk has no team at that tier."))
    old_tier = locked.tier
    changes = {"tier": to_tier, "team": team, "assignee": None}
    if to_tier == 2:
        changes["escalation_requested"] = False
    ticket = _save(locked, **changes)
    activity = Activity.objects.create(
        ticket=ticket,
        actor=actor,
        kind=Activity.Kind.TIER,
        visibility=Activity.Visibility.INTERNAL,
        body=reason.strip(),
        old_value=str(old_tier),
        new_value=str(to_tier),
        data={"team": team.pk},
    )
    ticket_event(activity=activity)
    for agent in team.members.filter(is_active=True).exclude(pk=actor.pk):
        ticket_email(user=agent, kind="tier_escalation", ticket=ticket, reason=reason.strip())
    if to_tier == 2:
        # The customer hears that specialists took over; the agents' reason stays internal.
        ticket_email_participants(ticket=ticket, kind="request_escalated")
    return ticket


@transaction.atomic
def sensitive_values_reveal(*, ticket: Ticket, actor: User) -> list[SensitiveValue]:
    """The one reader of sensitive values: Tier II agents of the desk only, each reveal audited."""
    if agent_tier(ticket=ticket, user=actor) < 2:
        raise TransitionNotAllowed(_("Only Tier II agents can see these details."))
    values = list(SensitiveValue.objects.filter(ticket=ticket).order_by("id"))
    for value in values:
        Activity.objects.create(
            ticket=ticket,
            actor=actor,
            kind=Activity.Kind.REVEAL,
            visibility=Activity.Visibility.INTERNAL,
            new_value=value.field_key,
            data={"label": value.label},
        )
    return values


@transaction.atomic
def ticket_change_type(
    *, ticket: Ticket, actor: User, request_type: RequestType, expected_version: int | None = None
) -> Ticket:
    """File a request under another type of the same desk. Its field values stay as they were,
    each still read through the field it was given in (tickets/fields.py), so a type change never
    shows a value of a sensitive field."""
    if request_type.desk_id != ticket.desk_id:
        raise TicketError(_("Choose a request type of the same desk."))
    ticket, _changed = _agent_change(
        ticket=ticket, actor=actor, expected_version=expected_version, field="request_type", value=request_type,
        kind=Activity.Kind.REQUEST_TYPE, shown=lambda request_type: request_type.name,
    )  # fmt: skip
    return ticket


def queue_columns_set(*, user: User, columns: list[str]) -> None:
    """Keep the agent's queue columns (known keys only, each once, in their order)."""
    from .queues import QUEUE_COLUMNS

    chosen = [key for key in dict.fromkeys(columns) if key in QUEUE_COLUMNS]
    User.objects.filter(pk=user.pk).update(queue_columns=chosen)
    user.queue_columns = chosen


def ticket_mark_seen(*, ticket: Ticket, user: User) -> None:
    """The person opened the request: queues stop marking it as updated for them. Queues
    compare the mark with the request's updated_at only, so a mark already at or past the
    version shown is left as it is: a read instead of a write (and its commit), and no
    waiting on the row's lock when the same agent reloads the page."""
    # One statement whatever the state: inserting no row writes nothing (no commit to flush).
    table = TicketSeen._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (ticket_id, user_id, seen_at) SELECT %s, %s, %s WHERE NOT EXISTS ("
            f"SELECT 1 FROM {table} WHERE ticket_id = %s AND user_id = %s AND seen_at >= %s) "
            "ON CONFLICT (user_id, ticket_id) DO UPDATE SET seen_at = EXCLUDED.seen_at",
            [ticket.pk, user.pk, timezone.now(), ticket.pk, user.pk, ticket.updated_at],
        )
