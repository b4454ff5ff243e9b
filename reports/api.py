"""The satisfaction survey in the JSON API (/api/v1/requests/{reference}/rating/): what a resolved
request's survey says, and the requester's one answer. The same rules as the request page
(reports.csat): asked once per resolution, answered once, by the request's own people."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from tickets.api.views.common import _valid, _visible
from tickets.models import Ticket
from tickets.visibility import ticket_roles
from tickets.workflow import Role

from .csat import COMMENT_MAX, SurveyRefused, survey_answer, survey_current, ticket_ratings
from .models import SatisfactionSurvey


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request is not waiting for a rating."


class RatingIn(serializers.Serializer[dict[str, Any]]):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very dissatisfied) to 5 (satisfied).")
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True, default="")


class RatingOut(serializers.Serializer[SatisfactionSurvey]):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    answered_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField()


class SurveyOut(serializers.Serializer[dict[str, Any]]):
    waiting = serializers.BooleanField(help_text="The present resolution asks for a rating nobody gave yet.")
    current = RatingOut(allow_null=True, help_text="The rating of the present resolution, once given.")
    ratings = RatingOut(many=True, help_text="For the desk's agents: every rating given, newest first; else empty.")


def _survey_out(*, ticket: Ticket, roles: frozenset[str]) -> dict[str, Any]:
    survey = survey_current(ticket=ticket)
    answered = survey is not None and survey.answered_at is not None
    ratings: list[SatisfactionSurvey] = list(ticket_ratings(ticket=ticket)) if Role.AGENT in roles else []
    return SurveyOut(
        {"waiting": survey is not None and not answered, "current": survey if answered else None, "ratings": ratings}
    ).data


@extend_schema(methods=["GET"], responses=SurveyOut)
@extend_schema(methods=["POST"], request=RatingIn, responses={201: SurveyOut})
@api_view(["GET", "POST"])
def request_rating(request: Request, reference: str) -> Response:
    """GET: the request's satisfaction survey. POST: the requester (or a vouching role of its
    organisation) rates the present resolution from 1 to 5, once; reopening and resolving asks again."""
    ticket = _visible(request, reference)
    roles = ticket_roles(ticket=ticket, user=request.user)
    if request.method == "GET":
        return Response(_survey_out(ticket=ticket, roles=roles))
    if not roles & {Role.CUSTOMER, Role.VOUCHER}:
        raise PermissionDenied("Only the request's own people rate it.")
    data = _valid(RatingIn, request)
    survey = survey_current(ticket=ticket)
    if survey is None:
        raise Conflict
    try:
        survey_answer(survey=survey, score=data["score"], comment=data["comment"], user=request.user)
    except SurveyRefused as error:
        if error.status == 400:
            raise ValidationError({"score": [str(error)]}) from error
        raise Conflict(str(error)) from error
    return Response(_survey_out(ticket=ticket, roles=roles), status=201)
