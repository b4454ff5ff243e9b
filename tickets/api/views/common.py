"""Helpers every API view shares: access (the one visibility rule, 404 outside it), input
validation, and the request as this caller may see it."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from tickets import workflow
from tickets.models import Ticket
from tickets.selectors import (
    agent_desks,
    sensitive_fields_present,
    ticket_field_rows_keyed,
    ticket_get_visible,
    ticket_roles,
    user_is_agent,
)

from .. import serializers as s

# Transitions the API offers directly: a merge needs its target (POST …/merge/), and a
# customer's reply is a comment (POST …/comments/).
API_ACTIONS = tuple(a for a in workflow.TRANSITIONS if a not in ("merge", "customer_reply"))
SAVED_PREFIX = "saved-"


def _visible(request, reference: str) -> Ticket:
    try:
        return ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise NotFound from None


def _as_agent(request, reference: str) -> Ticket:
    ticket = _visible(request, reference)
    if workflow.Role.AGENT not in ticket_roles(ticket=ticket, user=request.user):
        raise NotFound
    return ticket


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _actions(ticket: Ticket, roles) -> list[workflow.Transition]:
    offered = workflow.transitions_offered(
        status=ticket.status, roles=roles, resolved_at=ticket.resolved_at, now=timezone.now()
    )
    return [t for t in offered if t.action in API_ACTIONS]


def _detail(request, ticket: Ticket, *, status: int = 200) -> Response:
    """A request as this caller may see it: agents of its desk get the agents' fields."""
    ticket = Ticket.objects.select_related(
        "desk", "request_type", "requester", "organization", "team", "assignee", "merged_into"
    ).get(pk=ticket.pk)
    roles = set(ticket_roles(ticket=ticket, user=request.user))
    context = {
        "request": request,
        "field_rows": ticket_field_rows_keyed(ticket=ticket),
        "sensitive_labels": sensitive_fields_present(ticket=ticket),
        "participants": list(ticket.participants.select_related("user")),
        "actions": _actions(ticket, roles),
    }
    serializer = s.AgentTicketDetailOut if workflow.Role.AGENT in roles else s.TicketDetailOut
    return Response(serializer(ticket, context=context).data, status=status)


def _page(request, tickets, *, agent: bool | None = None, **extra) -> dict:
    """Rows for an agent's list (agent=True), a customer's (False), or a mixed one (None): each
    row with the agents' fields only where the caller is an agent of its desk."""
    context = {"request": request}
    if agent is not None:
        serializer = s.AgentTicketOut if agent else s.TicketOut
        return {"results": serializer(tickets, many=True, context=context).data, **extra}
    desks = (
        set(agent_desks(user=request.user).values_list("pk", flat=True)) if user_is_agent(user=request.user) else set()
    )
    results = [(s.AgentTicketOut if t.desk_id in desks else s.TicketOut)(t, context=context).data for t in tickets]
    return {"results": results, **extra}


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request, path=""):
    """Any other address under /api/: the API's own 404, not the site's HTML page."""
    raise NotFound
