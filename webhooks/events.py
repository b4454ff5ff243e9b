"""From a change to a request to the deliveries it owes: the webhooks' listener of
tickets.events, run in the change's transaction, storing one outbox row per endpoint and event."""

import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from notifications.services import notification_enqueue
from tickets import workflow
from tickets.models import Activity, Ticket

from .models import CHANNEL, Endpoint, Event
from .payloads import activities_for_scope, scope_payload, webhook_payload

K = Activity.Kind
# The events each kind of log entry announces (kinds not listed announce nothing: a reveal, a
# reminder, a notification switch).
EVENTS_OF_KIND: dict[str, list[str]] = {
    K.CREATED: [Event.CREATED],
    K.COMMENT: [Event.COMMENTED],
    K.NOTE: [Event.COMMENTED],
    K.STATUS: [Event.STATUS_CHANGED],
    K.ESCALATION_REQUEST: [Event.ESCALATED],
    K.ASSIGNMENT: [Event.UPDATED],
    K.PRIORITY: [Event.UPDATED],
    K.REQUEST_TYPE: [Event.UPDATED],
    K.MERGE: [Event.UPDATED],
}


def events_of_activity(activity: Activity) -> list[str]:
    if activity.kind == K.TIER:
        # Up to Tier II is an escalation; back down to Tier I is an update.
        return [Event.ESCALATED if int(activity.new_value or 0) > int(activity.old_value or 0) else Event.UPDATED]
    events: list[str] = list(EVENTS_OF_KIND.get(activity.kind) or [])
    if activity.kind == K.STATUS and activity.new_value == workflow.Status.RESOLVED:
        events.append(Event.RESOLVED)
    return events


def _endpoints_for(*, ticket: Ticket, events: list[str]) -> list[Endpoint]:
    """The active endpoints that want one of these events about this request (one query; few rows)."""
    endpoints = Endpoint.objects.filter(
        Q(desk__isnull=True) | Q(desk_id=ticket.desk_id),
        Q(organization__isnull=True) | Q(organization_id=ticket.organization_id),
        is_active=True,
    )
    return [endpoint for endpoint in endpoints if set(endpoint.events) & set(events)]


def webhooks_on_ticket_event(activity: Activity) -> int:
    """Store the deliveries this log entry owes (sent after commit); returns how many."""
    events = events_of_activity(activity)
    if not events:
        return 0
    endpoints = _endpoints_for(ticket=activity.ticket, events=events)
    if not endpoints:
        return 0
    # Read again, whole: the caller's copy may predate the change the entry records.
    ticket = Ticket.objects.select_related("desk", "request_type", "requester", "organization", "team", "assignee").get(
        pk=activity.ticket_id
    )
    stored = 0
    common: dict[str, dict[str, Any] | None] = {}  # by scope; None: the scope may not hear of it
    for endpoint in endpoints:
        scope = endpoint.scope
        if scope not in common:
            # The visibility rule decides whether this scope may hear of this entry at all.
            readable = activities_for_scope(ticket=ticket, scope=scope).filter(pk=activity.pk).exists()
            common[scope] = scope_payload(scope=scope, ticket=ticket, activity=activity) if readable else None
        shared = common[scope]
        if shared is None:
            continue
        for event in events:
            if event not in endpoint.events:
                continue
            delivery_id = uuid.uuid4()
            payload = webhook_payload(delivery_id=str(delivery_id), event=event, common=shared)
            notification_enqueue(
                channel=CHANNEL,
                kind=event,
                target=str(endpoint.pk),
                subject=f"{event} {ticket.reference} → {endpoint.name}",
                body_text=json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")),
                notification_id=delivery_id,
            )
            stored += 1
    return stored
