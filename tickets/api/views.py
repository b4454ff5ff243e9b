"""One API view per operation. Access: the one visibility rule (404 outside it), agent-only
operations 404 for everyone but the desk's agents; the services decide the rest."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.identity import InvalidEmail, email_canonical, user_by_email
from tickets import workflow
from tickets.attachments import attachment_stage
from tickets.forms import RequestForm, staged_attachments
from tickets.models import Ticket
from tickets.pagination import page_of
from tickets.participants import participant_may_share, participant_remove, ticket_share
from tickets.queues import QUEUE_SORTS
from tickets.selectors import (
    AGENT_QUEUES,
    activities_visible,
    agent_desks,
    agent_queue,
    agent_queue_page,
    agent_ticket_search,
    capped_count,
    desk_agents,
    desks_for_portal,
    queue_cursor_valid,
    request_types_for_user,
    saved_queue_get_for_agent,
    saved_queues_for_agent,
    sensitive_fields_present,
    ticket_field_rows_keyed,
    ticket_get_visible,
    ticket_list_for_customer,
    ticket_roles,
    ticket_search,
    user_is_agent,
)
from tickets.services import (
    sensitive_values_reveal,
    ticket_assign,
    ticket_comment,
    ticket_escalate_tier,
    ticket_merge,
    ticket_request_escalation,
    ticket_set_priority,
    ticket_submit,
    ticket_transition,
)
from tickets.work_items import work_item_get_for_agent, work_item_link_or_create

from . import serializers as s

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


def _page(request, tickets, *, agent: bool, **extra) -> dict:
    serializer = s.AgentTicketOut if agent else s.TicketOut
    return {"results": serializer(tickets, many=True, context={"request": request}).data, **extra}


# --- Reading ----------------------------------------------------------------------------------


@extend_schema(
    methods=["GET"],
    operation_id="requests_list",
    parameters=[
        OpenApiParameter("scope", enum=["created", "shared", "organization"]),
        OpenApiParameter("status", str),
        OpenApiParameter("q", str),
        OpenApiParameter("page", int),
    ],
    responses=inline_serializer(
        "RequestPage", {"results": s.TicketOut(many=True), "next_page": serializers.IntegerField()}
    ),
)
@extend_schema(methods=["POST"], request=s.SubmitIn, responses={201: s.TicketDetailOut})
@api_view(["GET", "POST"])
def requests(request):
    """GET: the caller's own requests: created by me, shared with me, or all of my organisation.
    POST: submit a request through the same form as the portal; errors come back per field."""
    return _request_create(request) if request.method == "POST" else _request_list(request)


def _request_list(request):
    params = request.query_params
    tickets = ticket_list_for_customer(
        user=request.user,
        scope=params.get("scope", "created"),
        status=params.get("status", ""),
        query=params.get("q", "")[:200],
    )
    page = page_of(tickets, number=params.get("page", 1))
    return Response(_page(request, page.items, agent=False, next_page=page.next_page_number if page.has_next else None))


@extend_schema(responses=s.AgentTicketDetailOut)
@api_view(["GET"])
def request_detail(request, reference):
    """One request: its field values (sensitive ones masked), people and the actions open to you."""
    return _detail(request, _visible(request, reference))


@extend_schema(responses=s.ActivityOut(many=True))
@api_view(["GET"])
def request_activities(request, reference):
    """The activity log; internal notes and changes only for the desk's agents."""
    ticket = _visible(request, reference)
    activities = (
        activities_visible(ticket=ticket, user=request.user).select_related("actor").prefetch_related("attachments")
    )
    return Response(s.ActivityOut(activities, many=True, context={"request": request}).data)


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
def queue_requests(request, key):
    """One page of a queue, soonest SLA due first; pass `next` back as `after` for the next page."""
    if not user_is_agent(user=request.user):
        raise NotFound
    queue = _queue(request, key)
    desk = agent_desks(user=request.user).filter(slug=request.query_params.get("desk") or "").first()
    after = request.query_params.get("after", "")
    if not queue_cursor_valid(after):
        raise ValidationError({"after": [_("Not a cursor from this queue; start again without it.")]})
    sort = request.query_params.get("sort", "")
    if sort and sort.removeprefix("-") not in QUEUE_SORTS:
        raise ValidationError({"sort": [_("Sort by one of: %(keys)s.") % {"keys": ", ".join(QUEUE_SORTS)}]})
    tickets, cursor = agent_queue_page(queue=queue, user=request.user, desk=desk, after=after, sort=sort)
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


# --- Writing ----------------------------------------------------------------------------------


def _request_form_data(values: dict, files: dict, *, form: RequestForm) -> QueryDict:
    """The JSON values as the form's data, files as ids of staged uploads; unknown keys and
    non-scalar values are refused per key."""
    errors = {}
    data = QueryDict(mutable=True)
    for key, ids in files.items():
        if key not in form.file_keys:
            errors[key] = [_("This request type has no file field with this key.")]
        else:
            data.setlist(f"{key}__staged", [str(i) for i in ids])
    for key, value in values.items():
        if key not in form.fields or key in form.file_keys:
            errors[key] = [_("This request type has no such field (send files under “files”).")]
        elif isinstance(value, (dict, list)):
            errors[key] = [_("Give a single value.")]
        elif value is not None:
            data[key] = (
                value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
            )
    if errors:
        raise ValidationError({"values": errors})
    return data


def _request_create(request):
    data = _valid(s.SubmitIn, request)
    desk = desks_for_portal().filter(key=data["desk"].upper()).first()
    request_type = (
        request_types_for_user(desk=desk, user=request.user).filter(key=data["request_type"]).first() if desk else None
    )
    if request_type is None:
        raise ValidationError({"request_type": [_("No request type with this key is open to you on this desk.")]})
    blank = RequestForm(request_type=request_type, user=request.user)
    values = _request_form_data(data["values"], data["files"], form=blank)
    if "site" in data:
        values["site"] = str(data["site"])
    form = RequestForm(values, request_type=request_type, user=request.user)
    if not form.is_valid():
        raise ValidationError(
            {"values": {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}}
        )
    organization, site = form.organization_and_site
    ticket = ticket_submit(
        request_type=request_type,
        requester=request.user,
        values=form.submitted_values(),
        organization=organization,
        site=site,
        channel="api",
    )
    return _detail(request, ticket, status=201)


@extend_schema(request=s.TransitionIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_transition(request, reference):
    """Change the status through the lifecycle: 403 when not allowed, 409 on a stale version."""
    ticket = _visible(request, reference)
    data = _valid(s.TransitionIn, request)
    if data["action"] not in API_ACTIONS:
        raise ValidationError({"action": [_("Not an action of this endpoint; see the list of actions.")]})
    ticket = ticket_transition(
        ticket=ticket,
        action=data["action"],
        actor=request.user,
        note=data["note"],
        expected_version=data.get("version"),
    )
    return _detail(request, ticket)


@extend_schema(request=s.CommentIn, responses={201: s.ActivityOut})
@api_view(["POST"])
def request_comment(request, reference):
    """A public comment, or (agents) an internal note, with files uploaded beforehand."""
    ticket = _visible(request, reference)
    data = _valid(s.CommentIn, request)
    uploads = staged_attachments(user=request.user, ids=data["attachments"])
    if len(uploads) != len(set(data["attachments"])):
        raise ValidationError({"attachments": [_("An attached file is no longer available; please attach it again.")]})
    activity = ticket_comment(
        ticket=ticket,
        author=request.user,
        body=data["body"],
        uploads=uploads,
        internal=data["internal"],
        expected_version=data.get("version"),
    )
    return Response(s.ActivityOut(activity, context={"request": request}).data, status=201)


@extend_schema(request=s.ReasonIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_escalation(request, reference):
    """A customer asks for escalation: flagged with the reason, priority raised, team told."""
    ticket = _visible(request, reference)
    data = _valid(s.ReasonIn, request)
    ticket = ticket_request_escalation(
        ticket=ticket, actor=request.user, reason=data["reason"], expected_version=data.get("version")
    )
    return _detail(request, ticket)


@extend_schema(request=s.AssignIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_assign(request, reference):
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


@extend_schema(request={"multipart/form-data": s.AttachmentIn}, responses={201: s.AttachmentOut})
@api_view(["POST"])
@parser_classes([MultiPartParser])
def attachment_upload(request):
    """Upload one file ahead of the request or comment it belongs to; the same size and type
    checks as the portal. Pass the returned id in `files` or `attachments`."""
    data = _valid(s.AttachmentIn, request)
    upload = data["file"]
    try:
        attachment = attachment_stage(uploaded_by=request.user, upload=upload)
    except DjangoValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    return Response(s.AttachmentOut(attachment, context={"request": request}).data, status=201)


@extend_schema(request=None, responses=s.RevealedValueOut(many=True))
@api_view(["POST"])
def request_reveal(request, reference):
    """Tier II only: the sensitive values, each reveal written to the audit log."""
    ticket = _as_agent(request, reference)
    values = sensitive_values_reveal(ticket=ticket, actor=request.user)
    response = Response(s.RevealedValueOut(values, many=True).data)
    response["Cache-Control"] = "no-store"
    return response


@extend_schema(request=s.ShareIn, responses={201: s.PersonOut})
@api_view(["POST"])
def request_participants(request, reference):
    """Share the request with a colleague of its organisation (by e-mail address); logged, and
    they are told by e-mail."""
    ticket = _visible(request, reference)
    data = _valid(s.ShareIn, request)
    if not participant_may_share(ticket=ticket, actor=request.user):
        # Before looking the address up: whether it has an account is nobody else's business.
        raise PermissionDenied(_("You cannot share this request."))
    user = user_by_email(address=data["email"], active_only=True)
    if user is None:
        raise ValidationError({"email": [_("You can only share a request with people of the same organisation.")]})
    ticket_share(ticket=ticket, actor=request.user, user=user)
    return Response(s.PersonOut(user).data, status=201)


@extend_schema(request=None, responses={204: None})
@api_view(["DELETE"])
def request_participant(request, reference, email):
    """Stop sharing the request with this person (or leave it yourself); logged."""
    ticket = _visible(request, reference)
    person = user_by_email(address=email)
    participant = ticket.participants.filter(user=person).select_related("user").first() if person else None
    if participant is None:
        raise NotFound
    participant_remove(ticket=ticket, actor=request.user, user=participant.user)
    return Response(status=204)
