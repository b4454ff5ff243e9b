"""The scheduled side of requests: SLA flags and alerts, and the lifecycle clocks (close what
was resolved long ago, remind then resolve what waits for the customer). Beat runs them through
tickets.tasks; every status change still goes through ticket_transition."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from . import sla, workflow
from .emails import agents_to_alert, ticket_email, ticket_email_participants
from .models import Activity, Ticket
from .services import ticket_transition


def sla_check(*, now: datetime | None = None) -> dict[str, int]:
    """Flag requests whose SLA is at risk (settings.SLA_AT_RISK_RATIO of the time used) or
    breached, log it and tell the assignee, or the team when nobody is assigned. Idempotent."""
    now = now or timezone.now()
    calendars: dict[int, sla.BusinessCalendar] = {}
    counts = {"at_risk": 0, "breached": 0}
    candidates = (
        Ticket.objects.filter(
            status__in=[s for s in workflow.OPEN_STATUSES if s != workflow.Status.WAITING_FOR_APPROVAL],
            sla_paused_at__isnull=True,
            sla_breached_at__isnull=True,
        )
        .filter(Q(first_response_due_at__isnull=False) | Q(resolution_due_at__isnull=False))
        .select_related("assignee", "team")
        .order_by("resolution_due_at")[:5000]
    )
    for ticket in candidates:
        unanswered = ticket.first_response_at is None and ticket.first_response_due_at is not None
        due = ticket.first_response_due_at if unanswered else ticket.resolution_due_at
        if due is None:
            continue
        if now >= due:
            kind, field = "breached", "sla_breached_at"
        elif ticket.sla_at_risk_at is None:
            if ticket.desk_id not in calendars:
                calendars[ticket.desk_id] = sla.calendar_for_desk(ticket.desk_id)
            calendar = calendars[ticket.desk_id]
            total = calendar.minutes_between(ticket.created_at, due)
            if not total or calendar.minutes_between(ticket.created_at, now) < settings.SLA_AT_RISK_RATIO * total:
                continue
            kind, field = "at_risk", "sla_at_risk_at"
        else:
            continue
        with transaction.atomic():
            changes = {field: now}
            if kind == "breached" and ticket.sla_at_risk_at is None:
                changes["sla_at_risk_at"] = now
            if not Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": True}).update(**changes):
                continue  # another run flagged it first
            Activity.objects.create(
                ticket=ticket,
                kind=Activity.Kind.SLA,
                visibility=Activity.Visibility.INTERNAL,
                new_value=kind,
                data={"target": "first_response" if unanswered else "resolution", "due": due.isoformat()},
            )
            for agent in agents_to_alert(ticket):
                ticket_email(user=agent, kind=f"sla_{kind}", ticket=ticket, due=due)
        counts[kind] += 1
    return counts


def lifecycle_clocks_run(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled side of the lifecycle: close requests resolved long ago; remind customers a
    request waits for them, then resolve it when they stay silent."""
    now = now or timezone.now()
    counts = {"closed": 0, "reminded": 0, "auto_resolved": 0}
    days = timedelta(days=1)
    resolved = Ticket.objects.filter(
        status=workflow.Status.RESOLVED, resolved_at__lt=now - settings.AUTO_CLOSE_RESOLVED_DAYS * days
    )
    for ticket in resolved[:1000]:
        ticket_transition(ticket=ticket, action="close", actor=None)
        counts["closed"] += 1
    waiting = Ticket.objects.filter(status=workflow.Status.WAITING_FOR_CUSTOMER)
    for ticket in waiting.filter(status_changed_at__lt=now - settings.WAITING_FOR_CUSTOMER_AUTO_RESOLVE_DAYS * days)[
        :1000
    ]:
        ticket_transition(
            ticket=ticket,
            action="auto_resolve",
            actor=None,
            note=gettext_lazy("Resolved because we did not hear back."),
        )
        counts["auto_resolved"] += 1
    for ticket in waiting.filter(
        status_changed_at__lt=now - settings.WAITING_FOR_CUSTOMER_REMINDER_DAYS * days
    ).select_related("requester")[:1000]:
        with transaction.atomic():
            already = Activity.objects.filter(
                ticket=ticket, kind=Activity.Kind.REMINDER, created_at__gte=ticket.status_changed_at
            ).exists()
            if already:
                continue
            Activity.objects.create(ticket=ticket, kind=Activity.Kind.REMINDER, visibility=Activity.Visibility.INTERNAL)
            ticket_email_participants(ticket=ticket, kind="reminder")
        counts["reminded"] += 1
    return counts
