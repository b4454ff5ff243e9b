"""Requests: list, submit, read, comment, transitions, escalation and attachments."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import InvalidEmail, email_canonical
from tickets.attachments import attachment_file_response, attachment_stage
from tickets.forms import RequestForm, parse_id, staged_attachments
from tickets.models import Attachment, RequestType, Ticket
from tickets.queues import encode_cursor, parse_cursor
from tickets.selectors import (
    activities_visible,
    attachment_get_visible,
    desks_for_portal,
    request_types_for_user,
    ticket_list_for_customer,
)
from tickets.services import (
    ticket_comment,
    ticket_request_escalation,
    ticket_submit,
    ticket_transition,
)

from .. import serializers as s
from .catalogue import request_type_open_to
from .common import API_ACTIONS, _caller, _detail, _page, _valid, _visible

# --- Reading ----------------------------------------------------------------------------------

PAGE_SIZE = 50
ACTIVITY_PAGE_SIZE = 100
# The list's orders: newest first, or (to follow changes with updated_since) oldest change first.
LIST_ORDERS = {"-created": ("created_at", True), "updated": ("updated_at", False)}
LIST_PARAMETERS = [
    OpenApiParameter(
        "scope",
        enum=["created", "shared", "organization", "all"],
        description="created (default): by me; shared: with me; organization: all of the organisations where I "
        "vouch; all: every request I may see (agents: their desks').",
    ),
    OpenApiParameter("status", str, description="open, done, or one status (see the TicketStatus enum)."),
    OpenApiParameter("desk", str, description="Desk key, e.g. CSD."),
    OpenApiParameter("type", str, description="Request type: its id or its key."),
    OpenApiParameter("organization", int, description="Organisation id."),
    OpenApiParameter("requester", str, description="The requester's e-mail address."),
    OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="Changed at or after (ISO 8601)."),
    OpenApiParameter("q", str, description="Words of the summary, or a reference."),
    OpenApiParameter("order", enum=list(LIST_ORDERS), description="-created (default) or updated (oldest first)."),
    OpenApiParameter("after", str, description="The `next` cursor of the previous page."),
]


def _cursor_error(name: str = "after") -> ValidationError:
    return ValidationError({name: [_("Not a cursor from this list; start again without it.")]})


def _filtered(request: Request, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The list's filters over what the caller may see (the rule is already applied)."""
    params = request.query_params
    if params.get("desk"):
        tickets = tickets.filter(desk__key=params["desk"].upper()[:10])
    if params.get("type"):
        type_id = parse_id(params["type"])
        tickets = (
            tickets.filter(request_type_id=type_id)
            if type_id
            else tickets.filter(request_type__key=params["type"][:50])
        )
    if params.get("organization"):
        # A bad id is the caller's mistake, never a filter: Django would read None as IS NULL.
        organization_id = parse_id(params["organization"])
        if organization_id is None:
            raise ValidationError({"organization": [_("Give an organisation's id, a whole number.")]})
        tickets = tickets.filter(organization_id=organization_id)
    if params.get("requester"):
        try:
            tickets = tickets.filter(requester__email=email_canonical(params["requester"]))
        except InvalidEmail:
            raise ValidationError({"requester": [_("Enter a valid email address.")]}) from None
    if params.get("updated_since"):
        try:
            since = parse_datetime(params["updated_since"].strip()[:40].replace(" ", "+"))
        except ValueError:  # well formed but impossible (month 13)
            since = None
        if since is None:
            raise ValidationError(
                {"updated_since": [_("Give a date and time in ISO 8601, e.g. 2026-01-31T08:00:00Z.")]}
            )
        tickets = tickets.filter(updated_at__gte=since if since.tzinfo else timezone.make_aware(since))
    return tickets


def _keyset_page(tickets: QuerySet[Ticket], *, order: str, after: str) -> tuple[list[Ticket], str | None]:
    column, descending = LIST_ORDERS.get(order, LIST_ORDERS["-created"])
    if after:
        cursor = parse_cursor(after)
        if cursor is None or cursor[0] is None:
            raise _cursor_error()
        key, pk = cursor
        before, beyond = ("lt", "lt") if descending else ("gt", "gt")
        tickets = tickets.filter(Q(**{f"{column}__{before}": key}) | Q(**{column: key, f"id__{beyond}": pk}))
    ordering = (f"-{column}", "-id") if descending else (column, "id")
    rows = list(tickets.order_by(*ordering)[: PAGE_SIZE + 1])
    items = rows[:PAGE_SIZE]
    more = len(rows) > PAGE_SIZE
    return items, encode_cursor(getattr(items[-1], column), items[-1].pk) if more else None


@extend_schema(
    methods=["GET"],
    operation_id="requests_list",
    parameters=LIST_PARAMETERS,
    responses=inline_serializer(
        "RequestPage",
        {
            "results": s.TicketOut(many=True),
            "next": serializers.CharField(allow_null=True, help_text="Pass as `after` for the next page."),
        },
    ),
)
@extend_schema(
    methods=["POST"],
    request=s.SubmitIn,
    responses={201: s.TicketDetailOut},
    examples=[s.SUBMIT_EXAMPLE],
)
@api_view(["GET", "POST"])
def requests(request: Request) -> Response:
    """GET: the requests you may see, 50 a page: created by you (default), shared with you, all
    of your organisation, or all; filtered by status, desk, type, organisation, requester and
    updated_since. POST: submit a request through the same form as the portal: name the
    request type and give its `fields` by key; errors come back per field."""
    return _request_create(request) if request.method == "POST" else _request_list(request)


def _request_list(request: Request) -> Response:
    params = request.query_params
    tickets = ticket_list_for_customer(
        user=_caller(request),
        scope=params.get("scope", "created"),
        status=params.get("status", ""),
        query=params.get("q", "")[:200],
    )
    tickets = _filtered(request, tickets).select_related("team", "assignee")
    items, cursor = _keyset_page(tickets, order=params.get("order", ""), after=params.get("after", ""))
    return Response(_page(request, items, next=cursor))


@extend_schema(responses=s.AgentTicketDetailOut)
@api_view(["GET"])
def request_detail(request: Request, reference: str) -> Response:
    """One request: its field values (sensitive ones masked), people and the actions open to you."""
    return _detail(request, _visible(request, reference))


@extend_schema(
    parameters=[OpenApiParameter("after", int, description="The `next` of the previous page.")],
    responses=inline_serializer(
        "ActivityPage",
        {"results": s.ActivityOut(many=True), "next": serializers.IntegerField(allow_null=True)},
    ),
)
@api_view(["GET"])
def request_activities(request: Request, reference: str) -> Response:
    """The activity log, oldest first, 100 a page; internal notes and changes only for the
    desk's agents."""
    ticket = _visible(request, reference)
    activities = (
        activities_visible(ticket=ticket, user=_caller(request)).select_related("actor").prefetch_related("attachments")
    )
    after = request.query_params.get("after", "")
    if after:
        if parse_id(after) is None:
            raise _cursor_error()
        activities = activities.filter(pk__gt=parse_id(after))
    rows = list(activities.order_by("pk")[: ACTIVITY_PAGE_SIZE + 1])
    items = rows[:ACTIVITY_PAGE_SIZE]
    body = {
        "results": s.ActivityOut(items, many=True, context={"request": request}).data,
        "next": items[-1].pk if len(rows) > ACTIVITY_PAGE_SIZE else None,
    }
    return Response(body)


@extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
@api_view(["GET"])
def attachment_download(request: Request, attachment_id: int) -> FileResponse:
    """A file of a request you may see (and, for the desk's agents, of its internal notes)."""
    try:
        attachment = attachment_get_visible(user=_caller(request), attachment_id=parse_id(attachment_id) or 0)
    except Attachment.DoesNotExist:
        raise NotFound from None
    return attachment_file_response(attachment)


# --- Writing ----------------------------------------------------------------------------------


def request_form_data(values: dict[str, Any], files: dict[str, Any], *, form: RequestForm, name: str) -> QueryDict:
    """The JSON values as the form's data, files as ids of staged uploads (under `files`, or as
    a list of ids under a file field's key); unknown keys and non-scalar values are refused per
    key, under `name` (the body's own word for them)."""
    errors: dict[str, list[str]] = {}
    data = QueryDict(mutable=True)
    files = dict(files)
    for key, value in values.items():
        if key in form.file_keys and isinstance(value, list):
            files[key] = value
        elif key not in form.fields or key in form.file_keys:
            errors[key] = [_("This request type has no such field.")]
        elif isinstance(value, (dict, list)):
            errors[key] = [_("Give a single value.")]
        elif value is not None:
            data[key] = (
                value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
            )
    for key, ids in files.items():
        if key not in form.file_keys:
            errors[key] = [_("This request type has no file field with this key.")]
        elif len(ids) > 50 or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            errors[key] = [_("Give the ids of files you uploaded (POST /api/v1/attachments/).")]
        else:
            data.setlist(f"{key}__staged", [str(i) for i in ids])
    if errors:
        raise ValidationError({name: errors})
    return data


def _request_type_for_submit(request: Request, data: dict[str, Any]) -> RequestType:
    """The request type named by id (the catalogue's), or by key within `desk`, if it is open
    to the caller (the portal's rule); a 400 on `request_type` otherwise."""
    named = data["request_type"].strip()
    try:
        if parse_id(named) is not None:
            return request_type_open_to(user=_caller(request), request_type_id=named)
        desk = desks_for_portal().filter(key=data.get("desk", "").upper()).first()
        request_type = (
            request_types_for_user(desk=desk, user=_caller(request)).filter(key=named).first() if desk else None
        )
        if request_type is not None:
            return request_type
    except NotFound:
        pass
    raise ValidationError({"request_type": [_("No request type with this id or key is open to you.")]})


def _request_create(request: Request) -> Response:
    data = _valid(s.SubmitIn, request)
    request_type = _request_type_for_submit(request, data)
    name = "values" if "values" in data and "fields" not in data else "fields"
    blank = RequestForm(request_type=request_type, user=_caller(request))
    values = request_form_data(data.get(name) or {}, data["files"], form=blank, name=name)
    if "site" in data:
        values["site"] = str(data["site"])
    form = RequestForm(values, request_type=request_type, user=_caller(request))
    if not form.is_valid():
        raise ValidationError({name: {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}})
    organization, site = form.organization_and_site
    ticket = ticket_submit(
        request_type=request_type,
        requester=_caller(request),
        values=form.submitted_values(),
        organization=organization,
        site=site,
        channel="api",
    )
    return _detail(request, ticket, status=201)


@extend_schema(request=s.TransitionIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_transition(request: Request, reference: str) -> Response:
    """Change the status through the lifecycle: 403 when not allowed, 409 on a stale version."""
    ticket = _visible(request, reference)
    data = _valid(s.TransitionIn, request)
    if data["action"] not in API_ACTIONS:
        raise ValidationError({"action": [_("Not an action of this endpoint; see the list of actions.")]})
    ticket = ticket_transition(
        ticket=ticket,
        action=data["action"],
        actor=_caller(request),
        note=data["note"],
        expected_version=data.get("version"),
    )
    return _detail(request, ticket)


@extend_schema(request=s.CommentIn, responses={201: s.ActivityOut})
@api_view(["POST"])
def request_comment(request: Request, reference: str) -> Response:
    """A public comment, or (agents) an internal note, with files uploaded beforehand."""
    ticket = _visible(request, reference)
    data = _valid(s.CommentIn, request)
    uploads = staged_attachments(user=_caller(request), ids=data["attachments"])
    if len(uploads) != len(set(data["attachments"])):
        raise ValidationError({"attachments": [_("An attached file is no longer available; please attach it again.")]})
    activity = ticket_comment(
        ticket=ticket,
        author=_caller(request),
        body=data["body"],
        uploads=uploads,
        internal=data["internal"],
        expected_version=data.get("version"),
    )
    return Response(s.ActivityOut(activity, context={"request": request}).data, status=201)


@extend_schema(request=s.ReasonIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_escalation(request: Request, reference: str) -> Response:
    """A customer asks for escalation: flagged with the reason, priority raised, team told."""
    ticket = _visible(request, reference)
    data = _valid(s.ReasonIn, request)
    ticket = ticket_request_escalation(
        ticket=ticket, actor=_caller(request), reason=data["reason"], expected_version=data.get("version")
    )
    return _detail(request, ticket)


@extend_schema(request={"multipart/form-data": s.AttachmentIn}, responses={201: s.AttachmentOut})
@api_view(["POST"])
@parser_classes([MultiPartParser])
def attachment_upload(request: Request) -> Response:
    """Upload one file ahead of the request or comment it belongs to; the same size and type
    checks as the portal. Pass the returned id in `files` or `attachments`."""
    data = _valid(s.AttachmentIn, request)
    upload = data["file"]
    try:
        attachment = attachment_stage(uploaded_by=_caller(request), upload=upload)
    except DjangoValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    return Response(s.AttachmentOut(attachment, context={"request": request}).data, status=201)
