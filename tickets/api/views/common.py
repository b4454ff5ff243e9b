"""Helpers every API view shares: access (the one visibility rule, 404 outside it), input
validation, and the request as this caller may see it."""

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from accounts.models import User
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


def _caller(request: Request) -> User:
    """The signed-in caller: every view here but not_found runs behind IsAuthenticated, the
    API's default permission."""
    return cast(User, request.user)


def _visible(request: Request, reference: str) -> Ticket:
    try:
        return ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise NotFound from None


def _as_agent(request: Request, reference: str) -> Ticket:
    ticket = _visible(request, reference)
    if workflow.Role.AGENT not in ticket_roles(ticket=ticket, user=request.user):
        raise NotFound
    return ticket


def _valid(serializer_class: type[Serializer[Any]], request: Request) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _actions(ticket: Ticket, roles: Iterable[str]) -> list[workflow.Transition]:
    offered = workflow.transitions_offered(
        status=ticket.status, roles=roles, resolved_at=ticket.resolved_at, now=timezone.now()
    )
    return [t for t in offered if t.action in API_ACTIONS]


def _detail(request: Request, ticket: Ticket, *, status: int = 200) -> Response:
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


def _page(
    request: Request, tickets: Sequence[Ticket] | QuerySet[Ticket], *, agent: bool | None = None, **extra: Any
) -> dict[str, Any]:
    """Rows for an agent's list (agent=True), a customer's (False), or a mixed one (None): each
    row with the agents' fields only where the caller is an agent of its desk."""
    context = {"request": request}
    if agent is not None:
        serializer = s.AgentTicketOut if agent else s.TicketOut
        return {"results": serializer(tickets, many=True, context=context).data, **extra}
    user = cast(User, request.user)  # IsAuthenticated, the API's default permission
    desks = set(agent_desks(user=user).values_list("pk", flat=True)) if user_is_agent(user=user) else set()
    results = [(s.AgentTicketOut if t.desk_id in desks else s.TicketOut)(t, context=context).data for t in tickets]
    return {"results": results, **extra}


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request: Request, path: str = "") -> Response:
    """Any other address under /api/: the API's own 404, not the site's HTML page."""
    raise NotFound
