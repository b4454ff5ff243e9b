"""Writes. Each service is atomic, leaves an Activity row and stores the notifications it
implies in the same transaction (sent after commit by the outbox)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization, Site, User
from notifications.services import notification_create

from . import workflow
from .models import (
    Activity,
    Attachment,
    Participant,
    RequestType,
    SensitiveValue,
    ServiceDesk,
    Ticket,
)
from .selectors import ticket_roles
from .values import SubmittedValues


class TicketError(Exception):
    """A domain refusal, shown to the user as a message."""

    status_code = 400


class TransitionNotAllowed(TicketError):
    status_code = 403


class StaleVersion(TicketError):
    status_code = 409


def desk_allocate_number(*, desk: ServiceDesk) -> int:
    """Bump the desk's counter. The UPDATE takes the row lock, held to the end of the
    surrounding transaction, so concurrent submissions queue here: unique and gap-free."""
    ServiceDesk.objects.filter(pk=desk.pk).update(last_number=F("last_number") + 1)
    return ServiceDesk.objects.filter(pk=desk.pk).values_list("last_number", flat=True).get()


def ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("portal:request_detail", args=[ticket.reference])


def _notify_requester_received(ticket: Ticket) -> None:
    requester = ticket.requester
    notification_create(
        kind="request_received",
        to_email=requester.email,
        language=requester.language,
        template="request_received",
        context={
            "reference": ticket.reference,
            "summary": ticket.summary,
            "desk": ticket.desk.name,
            "status": workflow.Status(ticket.status).label,
            "name": requester.full_name,
            "url": ticket_url(ticket),
        },
    )


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
) -> Ticket:
    """Open a request: allocate its reference, route it, log it and confirm it by e-mail."""
    desk = request_type.desk
    number = desk_allocate_number(desk=desk)
    needs_approval = request_type.needs_approval and not _requester_vouches(
        requester=requester, organization=organization
    )
    team = request_type.default_team
    now = timezone.now()
    fields = {f.key: f for f in request_type.fields.filter(archived=False)}
    public_values, sensitive_values = {}, []
    for key, value in values.fields.items():
        field = fields[key]
        if value in (None, "", []):
            continue
        if field.sensitive:
            sensitive_values.append((field, value))
        else:
            public_values[key] = {"label": field.name, "value": value}

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
        summary=values.summary,
        description=values.description,
        field_values=public_values,
        status=workflow.initial_status(needs_approval=needs_approval),
        team=team,
        tier=team.tier,
        first_response_due_at=_due(now, request_type.sla_first_response_minutes),
        resolution_due_at=_due(now, request_type.sla_resolution_minutes),
    )
    SensitiveValue.objects.bulk_create(
        SensitiveValue(ticket=ticket, field_key=field.key, label=field.name, value=str(value))
        for field, value in sensitive_values
    )
    Participant.objects.create(ticket=ticket, user=requester, added_by=created_by or requester)
    activity = Activity.objects.create(
        ticket=ticket,
        actor=created_by or requester,
        kind=Activity.Kind.CREATED,
        new_value=ticket.status,
        data={"channel": channel},
    )
    for key, uploads in values.files.items():
        for upload in uploads:
            attachment_store(ticket=ticket, activity=activity, uploaded_by=requester, upload=upload, field_key=key)
    _notify_requester_received(ticket)
    return ticket


def _due(start, minutes):
    # Wall-clock for now; business-hour calendars come with the SLA work.
    return start + timedelta(minutes=minutes) if minutes else None


def attachment_store(*, ticket: Ticket, activity: Activity | None, uploaded_by: User, upload, field_key: str = ""):
    """Store an uploaded file and claim it for a ticket in one go."""
    return Attachment.objects.create(
        uploaded_by=uploaded_by,
        file=upload,
        original_name=upload.name[:255],
        content_type=getattr(upload, "detected_content_type", "") or "application/octet-stream",
        size=upload.size,
        ticket=ticket,
        activity=activity,
        field_key=field_key,
        claimed_at=timezone.now(),
    )


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, action: str, actor: User | None, note: str = "", expected_version: int | None = None
) -> Ticket:
    """Apply one lifecycle transition, checked against tickets.workflow; refuse otherwise."""
    transition = workflow.transition_for(action)
    if transition is None:
        raise TransitionNotAllowed(f"Unknown action: {action}")
    roles = {workflow.Role.SYSTEM} if actor is None else set(ticket_roles(ticket=ticket, user=actor))
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion("Someone else changed this request in the meantime. Reload it and try again.")
    if locked.status not in transition.sources or not (transition.roles & roles):
        raise TransitionNotAllowed(f"“{transition.label}” is not possible on this request now.")
    if transition.note_required and not note.strip():
        raise TicketError("Please say why.")
    if action == "reopen" and workflow.Role.AGENT not in roles:
        window = timedelta(days=settings.REOPEN_WINDOW_DAYS)
        if not locked.resolved_at or timezone.now() - locked.resolved_at > window:
            raise TransitionNotAllowed("This request was resolved too long ago to reopen; please open a new one.")

    now = timezone.now()
    old_status = locked.status
    changes = {"status": transition.target, "status_changed_at": now, "version": locked.version + 1}
    if transition.target == workflow.Status.RESOLVED:
        changes["resolved_at"] = now
    elif transition.target == workflow.Status.CLOSED:
        changes["closed_at"] = now
    elif action == "reopen":
        changes["resolved_at"] = None
    Ticket.objects.filter(pk=locked.pk).update(**changes)
    Activity.objects.create(
        ticket=locked,
        actor=actor,
        kind=Activity.Kind.STATUS,
        visibility=Activity.Visibility.PUBLIC if transition.public else Activity.Visibility.INTERNAL,
        body=note,
        old_value=old_status,
        new_value=transition.target,
        data={"action": action},
    )
    locked.refresh_from_db()
    if transition.public:
        _notify_participants_status(ticket=locked, actor=actor, note=note)
    return locked


def _notify_participants_status(*, ticket: Ticket, actor: User | None, note: str) -> None:
    recipients = (
        Participant.objects.filter(ticket=ticket, notify=True, user__is_active=True)
        .exclude(user=actor)
        .select_related("user")
    )
    for participant in recipients:
        user = participant.user
        notification_create(
            kind="status_changed",
            to_email=user.email,
            language=user.language,
            template="status_changed",
            context={
                "reference": ticket.reference,
                "summary": ticket.summary,
                "status": workflow.Status(ticket.status).label,
                "note": note,
                "name": user.full_name,
                "url": ticket_url(ticket),
            },
        )
