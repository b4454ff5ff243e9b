"""Agents' operations: queues, search, assignment, priority, tier, merge, work items, reveal.
Agent-only operations answer 404 to everyone but the desk's agents."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import InvalidEmail, email_canonical, user_by_email
from accounts.models import Organization
from accounts.services import user_get_or_create_contact
from tickets.forms import OnBehalfForm, RequestForm, RequestTypeChangeForm
from tickets.merging import ticket_link_related, ticket_merge
from tickets.models import RequestType, SavedQueue, WorkItem
from tickets.queues import QUEUE_SORTS
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
    ticket_change_type,
    ticket_escalate_tier,
    ticket_set_priority,
    ticket_submit,
)
from tickets.work_items import (
    work_item_get_for_agent,
    work_item_link_or_create,
    work_item_may_change,
    work_item_set_status,
    work_item_tickets_visible,
    work_items_for_agent,
)

from .. import serializers as s
from .common import SAVED_PREFIX, _as_agent, _caller, _detail, _page, _valid
from .requests import request_form_data


@extend_schema(responses=s.QueueOut(many=True), parameters=[OpenApiParameter("desk", str)])
@api_view(["GET"])
def queue_list(request: Request) -> Response:
    """The agent's queues with capped counts (1001 stands for "more than 1,000")."""
    if not user_is_agent(user=_caller(request)):
        raise NotFound
    desk = agent_desks(user=_caller(request)).filter(slug=request.query_params.get("desk") or "").first()
    rows: list[tuple[str, StrOrPromise, str | SavedQueue]] = [(key, label, key) for key, label in AGENT_QUEUES.items()]
    rows += [(f"{SAVED_PREFIX}{q.slug}", q.display_name, q) for q in saved_queues_for_agent(user=_caller(request))]
    data = [
        {
            "key": key,
            "name": str(label),
            "count": capped_count(agent_queue(queue=queue, user=_caller(request), desk=desk)),
            "url": request.build_absolute_uri(f"{key}/"),
        }
        for key, label, queue in rows
    ]
    return Response(s.QueueOut(data, many=True).data)


def _queue(request: Request, key: str) -> str | SavedQueue:
    if key in AGENT_QUEUES:
        return key
    if key.startswith(SAVED_PREFIX):
        saved = saved_queue_get_for_agent(user=_caller(request), slug=key[len(SAVED_PREFIX) :])
        if saved is not None:
            return saved
    raise NotFound


@extend_schema(
    parameters=[
        OpenApiParameter("desk", str),
        OpenApiParameter("after", str),
        OpenApiParameter("sort", str, description="created, updated, first_response, resolution; '-' for latest first"),
    ],
    responses=inline_serializer(
        "QueuePage", {"results": s.AgentTicketOut(many=True), "next": serializers.CharField(allow_null=True)}
    ),
)
@api_view(["GET"])
def queue_requests(request: Request, key: str) -> Response:
    """One page of a queue, soonest SLA due first; pass `next` back as `after` for the next page."""
    if not user_is_agent(user=_caller(request)):
        raise NotFound
    queue = _queue(request, key)
    desk = agent_desks(user=_caller(request)).filter(slug=request.query_params.get("desk") or "").first()
    after = request.query_params.get("after", "")
    if not queue_cursor_valid(after):
        raise ValidationError({"after": [_("Not a cursor from this queue; start again without it.")]})
    sort = request.query_params.get("sort", "")
    if sort and sort.removeprefix("-") not in QUEUE_SORTS:
        raise ValidationError({"sort": [_("Sort by one of: %(keys)s.") % {"keys": ", ".join(QUEUE_SORTS)}]})
    tickets, cursor = agent_queue_page(queue=queue, user=_caller(request), desk=desk, after=after, sort=sort)
    return Response(_page(request, tickets, agent=True, next=cursor or None))


@extend_schema(parameters=[OpenApiParameter("q", str)], responses=s.AgentTicketOut(many=True))
@api_view(["GET"])
def search(request: Request) -> Response:
    """Agents: requests of their desks by reference, words or requester e-mail; others: their own."""
    query = request.query_params.get("q", "")[:200]
    agent = user_is_agent(user=_caller(request))
    if agent:
        tickets = agent_ticket_search(user=_caller(request), query=query)
    else:
        tickets = ticket_search(user=_caller(request), query=query)
    return Response(_page(request, tickets, agent=agent)["results"])


@extend_schema(request=s.AssignIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_assign(request: Request, reference: str) -> Response:
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
    ticket = ticket_assign(
        ticket=ticket, actor=_caller(request), assignee=assignee, expected_version=data.get("version")
    )
    return _detail(request, ticket)


@extend_schema(request=s.PriorityIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_priority(request: Request, reference: str) -> Response:
    """Agents: set the priority (1 lowest to 4 urgent)."""
    ticket = _as_agent(request, reference)
    data = _valid(s.PriorityIn, request)
    ticket = ticket_set_priority(
        ticket=ticket, actor=_caller(request), priority=int(data["priority"]), expected_version=data.get("version")
    )
    return _detail(request, ticket)


@extend_schema(request=s.TierIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_tier(request: Request, reference: str) -> Response:
    """Escalate to Tier II or send back to Tier I, with a reason; the status does not change."""
    ticket = _as_agent(request, reference)
    data = _valid(s.TierIn, request)
    ticket = ticket_escalate_tier(
        ticket=ticket,
        actor=_caller(request),
        to_tier=int(data["tier"]),
        reason=data["reason"],
        expected_version=data.get("version"),
    )
    return _detail(request, ticket)


@extend_schema(request=s.MergeIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_merge(request: Request, reference: str) -> Response:
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
        ticket=ticket, into=into, actor=_caller(request), share_with=share_with, expected_version=data.get("version")
    )
    return _detail(request, into)


@extend_schema(request=s.WorkItemLinkIn, responses={201: s.WorkItemOut})
@api_view(["POST"])
def request_work_item(request: Request, reference: str) -> Response:
    """Tier II: link the request to an existing work item or a new one."""
    ticket = _as_agent(request, reference)
    data = _valid(s.WorkItemLinkIn, request)
    existing = None
    if data.get("work_item"):
        existing = work_item_get_for_agent(user=_caller(request), work_item_id=data["work_item"])
        if existing is None:
            raise ValidationError({"work_item": [_("No such work item.")]})
    work_item = work_item_link_or_create(
        ticket=ticket,
        actor=_caller(request),
        work_item=existing,
        title=data.get("title", ""),
        kind=data["kind"],
        external_url=data["external_url"],
    )
    return Response(s.WorkItemOut(work_item).data, status=201)


@extend_schema(request=None, responses=s.RevealedValueOut(many=True))
@api_view(["POST"])
def request_reveal(request: Request, reference: str) -> Response:
    """Tier II only: the sensitive values, each reveal written to the audit log."""
    ticket = _as_agent(request, reference)
    values = sensitive_values_reveal(ticket=ticket, actor=_caller(request))
    response = Response(s.RevealedValueOut(values, many=True).data)
    response["Cache-Control"] = "no-store"
    return response


@extend_schema(request=s.RelatedIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_related(request: Request, reference: str) -> Response:
    """Agents: mark this request and another of your desks as related (both ways)."""
    ticket = _as_agent(request, reference)
    data = _valid(s.RelatedIn, request)
    try:
        other = _as_agent(request, data["reference"].strip())
    except NotFound:
        raise ValidationError({"reference": [_("No request of your desks has this reference.")]}) from None
    ticket_link_related(ticket=ticket, other=other, actor=_caller(request))
    return _detail(request, ticket)


@extend_schema(request=s.RequestTypeChangeIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_type_change(request: Request, reference: str) -> Response:
    """Agents: file the request under another type of its desk; its values stay as given."""
    ticket = _as_agent(request, reference)
    data = _valid(s.RequestTypeChangeIn, request)
    form = RequestTypeChangeForm({"request_type": data["request_type"]}, desk_id=ticket.desk_id)
    if not form.is_valid():
        raise ValidationError({"request_type": [_("No active request type of this desk has this id.")]})
    ticket = ticket_change_type(
        ticket=ticket,
        actor=_caller(request),
        request_type=form.cleaned_data["request_type"],
        expected_version=data.get("version"),
    )
    return _detail(request, ticket)


def _work_item_out(request: Request, item: WorkItem) -> dict[str, Any]:
    item.visible_references = [t.reference for t in work_item_tickets_visible(work_item=item, user=_caller(request))]
    item.hidden_count = item.tickets.count() - len(item.visible_references)
    item.changeable = work_item_may_change(work_item=item, user=_caller(request))
    return s.AgentWorkItemOut(item).data


@extend_schema(responses=s.AgentWorkItemOut(many=True))
@api_view(["GET"])
def work_item_list(request: Request) -> Response:
    """Agents: the work items of your desks (200 at most), each with the references you may see."""
    if not user_is_agent(user=_caller(request)):
        raise NotFound
    items = work_items_for_agent(user=_caller(request)).order_by("status", "-created_at")[:200]
    return Response([_work_item_out(request, item) for item in items])


@extend_schema(request=s.WorkItemStatusIn, responses=s.AgentWorkItemOut)
@api_view(["PUT"])
def work_item_status(request: Request, work_item_id: int) -> Response:
    """Tier II: move a work item on; when it is done, every linked request hears of it."""
    work_item = work_item_get_for_agent(user=_caller(request), work_item_id=work_item_id)
    if work_item is None:
        raise NotFound
    data = _valid(s.WorkItemStatusIn, request)
    work_item = work_item_set_status(work_item=work_item, actor=_caller(request), status=data["status"])
    return Response(_work_item_out(request, work_item))


@extend_schema(request=s.OnBehalfIn, responses={201: s.AgentTicketDetailOut})
@api_view(["POST"])
def request_on_behalf(request: Request) -> Response:
    """Agents: file a request for a caller or an e-mail sender, through the same two forms as
    the workspace (who it is for, and the type's own form); they get the usual e-mail."""
    if not user_is_agent(user=_caller(request)):
        raise NotFound
    data = _valid(s.OnBehalfIn, request)
    types = RequestType.objects.filter(is_active=True, desk__in=agent_desks(user=_caller(request)))
    request_type = types.filter(pk=data["request_type"]).first()
    if request_type is None:
        raise ValidationError({"request_type": [_("No request type of your desks has this id.")]})
    # The API names the organisation by its id (the workspace's form takes a provider ID or a name).
    organization = None
    if data.get("organization") is not None:
        organization = Organization.objects.filter(pk=data["organization"], is_active=True).first()
        if organization is None:
            raise ValidationError({"organization": [_("No active organisation has this id.")]})
    who_data = {k: data.get(k) for k in ("requester_email", "requester_name", "channel")}
    who = OnBehalfForm({k: v for k, v in who_data.items() if v is not None})
    blank = RequestForm(request_type=request_type, user=_caller(request))
    form = RequestForm(
        request_form_data(data["fields"], data["files"], form=blank, name="fields"),
        request_type=request_type,
        user=_caller(request),
    )
    if not who.is_valid() or not form.is_valid():
        errors = {k: [e["message"] for e in v] for k, v in who.errors.get_json_data().items()}
        field_errors = {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
        raise ValidationError({**errors, **({"fields": field_errors} if field_errors else {})})
    person = {**who.cleaned_data, "organization": organization}
    with transaction.atomic():
        requester = user_get_or_create_contact(email=person["requester_email"], full_name=person["requester_name"])
        joining = form.organization_and_site[0] if getattr(form, "joining", None) else None
        ticket = ticket_submit(
            request_type=request_type,
            requester=requester,
            values=form.submitted_values(),
            organization=joining or person["organization"],
            created_by=_caller(request),
            channel=person["channel"],
        )
    return _detail(request, ticket, status=201)
