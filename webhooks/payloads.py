"""What a delivery carries: the request as its requester sees it (customer scope) or as the desk's
agents do (agent scope), and the entry of the log that the event is about.

Neither scope ever carries a sensitive value: field values are read through tickets.fields, which
leaves out every value of a sensitive (or unknown) field, and SensitiveValue is never read here.
Which log entries a scope may carry is the visibility rule's answer (tickets.visibility
.activities_visible): the requester's view for the customer scope, so internal notes and
internal changes never reach it.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import translation

from accounts.models import User
from tickets import workflow
from tickets.emails import ticket_agent_url, ticket_url
from tickets.fields import field_rows, fields_of_values
from tickets.models import Activity, Ticket
from tickets.visibility import activities_visible

from .models import Endpoint

PAYLOAD_VERSION = 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def activities_for_scope(*, ticket: Ticket, scope: str) -> QuerySet[Activity]:
    """The part of the log an endpoint of this scope may receive."""
    if scope == Endpoint.Scope.AGENT:
        # The roles are given, so the rule asks no one's: the desk's agents read the whole log.
        return activities_visible(ticket=ticket, user=AnonymousUser(), roles=frozenset({workflow.Role.AGENT}))
    # Read as the customer role, never as the requester in person: a requester who is also an
    # agent (or an admin) would otherwise lend the customer scope the whole log, notes included.
    return activities_visible(ticket=ticket, user=AnonymousUser(), roles=frozenset({workflow.Role.CUSTOMER}))


def _person(user: User | None, *, scope: str) -> dict[str, str] | None:
    if user is None:
        return None
    person = {"name": user.full_name}
    if scope == Endpoint.Scope.AGENT:
        person["email"] = user.email
    return person


def request_payload(*, ticket: Ticket, scope: str) -> dict[str, Any]:
    agent = scope == Endpoint.Scope.AGENT
    fields_by_id = fields_of_values([ticket.field_values])
    request: dict[str, Any] = {
        "reference": ticket.reference,
        "url": ticket_agent_url(ticket) if agent else ticket_url(ticket),
        "desk": {"key": ticket.desk.key, "name": ticket.desk.name},
        "request_type": {"key": ticket.request_type.key, "name": ticket.request_type.name},
        "summary": ticket.summary,
        "description": ticket.description,
        "status": ticket.status,
        "status_label": str(workflow.Status(ticket.status).label),
        "requester": {"name": ticket.requester.full_name, "email": ticket.requester.email},
        "organization": ticket.organization.name if ticket.organization else None,
        "channel": ticket.channel,
        "fields": field_rows(field_values=ticket.field_values, fields_by_id=fields_by_id),
        "escalation_requested": ticket.escalation_requested,
        "escalation_reason": ticket.escalation_reason,
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
        "resolved_at": _time(ticket.resolved_at),
    }
    if agent:
        request.update(
            {
                "tier": ticket.tier,
                "team": ticket.team.name if ticket.team else None,
                "assignee": ticket.assignee.email if ticket.assignee else None,
                "priority": ticket.priority,
                "first_response_due_at": _time(ticket.first_response_due_at),
                "first_response_at": _time(ticket.first_response_at),
                "resolution_due_at": _time(ticket.resolution_due_at),
            }
        )
    return request


def activity_payload(*, activity: Activity, scope: str) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "visibility": activity.visibility,
        "actor": _person(activity.actor, scope=scope),
        "body": activity.body,
        "old_value": activity.old_value,
        "new_value": activity.new_value,
        "created_at": _time(activity.created_at),
    }


def scope_payload(*, scope: str, ticket: Ticket, activity: Activity) -> dict[str, Any]:
    """What every delivery of this entry to endpoints of this scope carries (labels in English:
    a contract, not a page); each delivery adds its id and event (webhook_payload)."""
    with translation.override("en"):
        return {
            "scope": scope,
            "occurred_at": _time(activity.created_at),
            "request": request_payload(ticket=ticket, scope=scope),
            "activity": activity_payload(activity=activity, scope=scope),
        }


def webhook_payload(*, delivery_id: str, event: str, common: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of one delivery."""
    return {"version": PAYLOAD_VERSION, "delivery_id": delivery_id, "event": event, **common}
