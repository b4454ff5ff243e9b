"""Agents' operations: queues, search, assignment, priority, tier, merge, work items, reveal.
Agent-only operations answer 404 to everyone but the desk's agents."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from accounts.identity import InvalidEmail, email_canonical, user_by_email
from tickets.selectors import (
    AGENT_QUEUES,
    agent_desks,
    agent_queue,
    agent_queue_page,
    agent_ticket_search,
    capped_count,
    desk_agents,
    queue_cursor_valid,
    saved_queue_get_for_agent,
    saved_queues_for_agent,
    ticket_search,
    user_is_agent,
)
from tickets.services import (
    sensitive_values_reveal,
    ticket_assign,
    ticket_escalate_tier,
    ticket_merge,
    ticket_set_priority,
)
from tickets.work_items import work_item_get_for_agent, work_item_link_or_create

from .. import serializers as s
from .common import SAVED_PREFIX, _as_agent, _detail, _page, _valid


@extend_schema(responses=s.QueueOut(many=True), parameters=[OpenApiParameter("desk", str)])
@api_view(["GET"])
def queue_list(request):
    """The agent's queues with capped counts (1001 stands for "more than 1,000")."""
    if not user_is_agent(user=request.user):
        raise NotFound
    desk = agent_desks(user=request.user).filter(slug=request.query_params.get("desk") or "").first()
    rows = [(key, label, key) for key, label in AGENT_QUEUES.items()]
    rows += [(f"{SAVED_PREFIX}{q.slug}", q.display_name, q) for q in saved_queues_for_agent(user=request.user)]
    data = [
        {
            "key": key,
            "name": str(label),
            "count": capped_count(agent_queue(queue=queue, user=request.user, desk=desk)),
            "url": request.build_absolute_uri(f"{key}/"),
        }
        for key, label, queue in rows
    ]
    return Response(s.QueueOut(data, many=True).data)


def _queue(request, key: str):
    if key in AGENT_QUEUES:
        return key
    if key.startswith(SAVED_PREFIX):
        saved = saved_queue_get_for_agent(user=request.user, slug=key[len(SAVED_PREFIX) :])
        if saved is not None:
            return saved
    raise NotFound


@extend_schema(
    parameters=[OpenApiParameter("desk", str), OpenApiParameter("after", str)],
    responses=inline_serializer(
        "QueuePage", {"results": s.AgentTicketOut(many=True), "next": serializers.CharField(allow_null=True)}
    ),
)
@api_view(["GET"])
def queue_requests(request, key):
    """One page of a queue, soonest SLA due first; pass `next` back as `after` for the next page."""
    if not user_is_agent(user=request.user):
        raise NotFound
    queue = _queue(request, key)
    desk = agent_desks(user=request.user).filter(slug=request.query_params.get("desk") or "").first()
    after = request.query_params.get("after", "")
    if not queue_cursor_valid(after):
        raise ValidationError({"after": [_("Not a cursor from this queue; start again without it.")]})
    tickets, cursor = agent_queue_page(queue=queue, user=request.user, desk=desk, after=after)
    return Response(_page(request, tickets, agent=True, next=cursor or None))


@extend_schema(parameters=[OpenApiParameter("q", str)], responses=s.AgentTicketOut(many=True))
@api_view(["GET"])
def search(request):
    """Agents: requests of their desks by reference, words or requester e-mail; others: their own."""
    query = request.query_params.get("q", "")[:200]
    agent = user_is_agent(user=request.user)
    if agent:
        tickets = agent_ticket_search(user=request.user, query=query)
    else:
        tickets = ticket_search(user=request.user, query=query)
    return Response(_page(request, tickets, agent=agent)["results"])


@extend_schema(request=s.AssignIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_assign(request, reference):
    """Agents: assign the request to an agent of its desk (by e-mail address), or unassign it."""
    ticket = _as_agent(request, reference)
    data = _valid(s.AssignIn, request)
    assignee = None
    if data["assignee"]:
        try:
            address = email_canonical(data["assignee"])
        except InvalidEmail:
            address = ""
        assignee = desk_agents(desk_id=ticket.desk_id).filter(email=address).first() if address else None
        if assignee is None:
            raise ValidationError({"assignee": [_("Not an agent of this desk.")]})
    ticket = ticket_assign(ticket=ticket, actor=request.user, assignee=assignee, expected_version=data.get("version"))
    return _detail(request, ticket)


@extend_schema(request=s.PriorityIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_priority(request, reference):
    """Agents: set the priority (1 lowest to 4 urgent)."""
    ticket = _as_agent(request, reference)
    data = _valid(s.PriorityIn, request)
    ticket = ticket_set_priority(
        ticket=ticket, actor=request.user, priority=int(data["priority"]), expected_version=data.get("version")
    )
    return _detail(request, ticket)


@extend_schema(request=s.TierIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_tier(request, reference):
    """Escalate to Tier II or send back to Tier I, with a reason; the status does not change."""
    ticket = _as_agent(request, reference)
    data = _valid(s.TierIn, request)
    ticket = ticket_escalate_tier(
        ticket=ticket,
        actor=request.user,
        to_tier=int(data["tier"]),
        reason=data["reason"],
        expected_version=data.get("version"),
    )
    return _detail(request, ticket)


@extend_schema(request=s.MergeIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_merge(request, reference):
    """Close this duplicate into another request; answers with the surviving request."""
    ticket = _as_agent(request, reference)
    data = _valid(s.MergeIn, request)
    try:
        into = _as_agent(request, data["into"])
    except NotFound:
        raise ValidationError({"into": [_("No request of your desks has this reference.")]}) from None
    share_with = []
    for address in data["share_with"]:
        user = user_by_email(address=address, active_only=True)
        if user is None:
            raise ValidationError({"share_with": [_("No account has the address %(email)s.") % {"email": address}]})
        share_with.append(user)
    ticket_merge(
        ticket=ticket, into=into, actor=request.user, share_with=share_with, expected_version=data.get("version")
    )
    return _detail(request, into)


@extend_schema(request=s.WorkItemLinkIn, responses={201: s.WorkItemOut})
@api_view(["POST"])
def request_work_item(request, reference):
    """Tier II: link the request to an existing work item or a new one."""
    ticket = _as_agent(request, reference)
    data = _valid(s.WorkItemLinkIn, request)
    existing = None
    if data.get("work_item"):
        existing = work_item_get_for_agent(user=request.user, work_item_id=data["work_item"])
        if existing is None:
            raise ValidationError({"work_item": [_("No such work item.")]})
    work_item = work_item_link_or_create(
        ticket=ticket,
        actor=request.user,
        work_item=existing,
        title=data.get("title", ""),
        kind=data["kind"],
        external_url=data["external_url"],
    )
    return Response(s.WorkItemOut(work_item).data, status=201)


@extend_schema(request=None, responses=s.RevealedValueOut(many=True))
@api_view(["POST"])
def request_reveal(request, reference):
    """Tier II only: the sensitive values, each reveal written to the audit log."""
    ticket = _as_agent(request, reference)
    values = sensitive_values_reveal(ticket=ticket, actor=request.user)
    response = Response(s.RevealedValueOut(values, many=True).data)
    response["Cache-Control"] = "no-store"
    return response
