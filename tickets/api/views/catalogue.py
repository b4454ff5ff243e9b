"""The catalogue: desks, their request types (audience-filtered exactly as the portal's pages)
and each type's create form, in the caller's language."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from tickets.forms import RequestForm, parse_id, request_form_description
from tickets.models import RequestType, ServiceDesk
from tickets.selectors import desks_for_portal, request_types_for_user

from .. import serializers as s
from .common import _caller


def request_type_open_to(*, user: User, request_type_id: int | str) -> RequestType:
    """A request type the caller may submit (the portal's rule), or 404."""
    pk = parse_id(request_type_id)
    if pk is None:
        raise NotFound
    request_type = RequestType.objects.filter(pk=pk, desk__in=desks_for_portal()).select_related("desk").first()
    if request_type is None:
        raise NotFound
    if not request_types_for_user(desk=request_type.desk, user=user).filter(pk=pk).exists():
        raise NotFound
    return request_type


@extend_schema(responses=s.DeskOut(many=True))
@api_view(["GET"])
def desk_list(request: Request) -> Response:
    """The service desks, in the portal's order."""
    return Response(s.DeskOut(desks_for_portal(), many=True, context={"request": request}).data)


def _desk(key: str) -> ServiceDesk:
    desk = desks_for_portal().filter(key=str(key).upper()[:10]).first()
    if desk is None:
        raise NotFound
    return desk


@extend_schema(responses=s.DeskRequestTypesOut)
@api_view(["GET"])
def desk_request_types(request: Request, key: str) -> Response:
    """The request types of one desk that are open to you, by group ("Contact us about"), with
    their help: what each means and when to use it."""
    desk = _desk(key)
    groups: list[dict[str, Any]] = []
    for request_type in request_types_for_user(desk=desk, user=_caller(request)).select_related("desk"):
        if not groups or groups[-1]["pk"] != request_type.group_id:
            group = request_type.group
            groups.append({"pk": group.pk, "key": group.key, "name": group.display_name, "request_types": []})
        groups[-1]["request_types"].append(request_type)
    body = {"desk": desk, "groups": groups}
    return Response(s.DeskRequestTypesOut(body, context={"request": request}).data)


@extend_schema(
    responses=s.RequestTypeDetailOut,
    examples=[
        OpenApiExample(
            "A field of the create form",
            response_only=True,
            value={
                "id": 7,
                "key": "staff-terminated",
                "desk": "CCP",
                "group": "staff",
                "name": "A staff member left",
                "summary": "",
                "meaning": "",
                "when_to_use": "",
                "needs_approval": False,
                "url": "https://help.example/api/v1/request-types/7/",
                "fields": [
                    {
                        "key": "last_day_of_employment",
                        "type": "date",
                        "label": "Last day of employment",
                        "help": "",
                        "required": True,
                        "sensitive": False,
                        "validation": {"format": "YYYY-MM-DD", "not_in_future": True},
                    }
                ],
            },
        )  # fmt: skip
    ],
)
@api_view(["GET"])
def request_type_detail(request: Request, request_type_id: int) -> Response:
    """One request type and its create form: send each field's value under its `key` in
    `fields` when you submit (POST /api/v1/requests/)."""
    request_type = request_type_open_to(user=_caller(request), request_type_id=request_type_id)
    request_type.form_fields = request_form_description(
        form=RequestForm(request_type=request_type, user=_caller(request))
    )
    return Response(s.RequestTypeDetailOut(request_type, context={"request": request}).data)
