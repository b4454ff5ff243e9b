"""Requests: list, submit, read, comment, transitions, escalation and attachments."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from tickets.attachments import attachment_stage
from tickets.forms import RequestForm, staged_attachments
from tickets.pagination import page_of
from tickets.selectors import (
    activities_visible,
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
from .common import API_ACTIONS, _detail, _page, _valid, _visible

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
