"""People on a request: who it is shared with, sharing and removing, notifications, approvals."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import user_by_email
from tickets.participants import (
    participant_may_share,
    participant_removable_by,
    participant_remove,
    participant_set_notify,
    ticket_share,
)
from tickets.services import TicketError, ticket_transition

from .. import serializers as s
from .common import _caller, _detail, _valid, _visible


@extend_schema(methods=["GET"], responses=s.ParticipantOut(many=True))
@extend_schema(methods=["POST"], request=s.ShareIn, responses={201: s.PersonOut})
@api_view(["GET", "POST"])
def request_participants(request: Request, reference: str) -> Response:
    """GET: the people the request is shared with, and whether you may remove each. POST: share
    it with a colleague of its organisation (by e-mail address); logged, and they are told by
    e-mail."""
    ticket = _visible(request, reference)
    if request.method == "GET":
        participants = list(ticket.participants.select_related("user").order_by("pk"))
        for participant in participants:
            participant.removable = participant_removable_by(
                ticket=ticket, actor=_caller(request), participant=participant
            )
        return Response(s.ParticipantOut(participants, many=True).data)
    data = _valid(s.ShareIn, request)
    if not participant_may_share(ticket=ticket, actor=_caller(request)):
        # Before looking the address up: whether it has an account is nobody else's business.
        raise PermissionDenied(_("You cannot share this request."))
    user = user_by_email(address=data["email"], active_only=True)
    refused = _("You can only share a request with people of the same organisation.")
    if user is None:
        raise ValidationError({"email": [refused]})
    try:
        ticket_share(ticket=ticket, actor=_caller(request), user=user)
    except TicketError as error:
        # The same answer, in the same shape, as for an address with no account: a refusal must
        # not tell whether someone outside the organisation has an account.
        raise ValidationError({"email": [str(error)]}) from error
    return Response(s.PersonOut(user).data, status=201)


@extend_schema(request=None, responses={204: None})
@api_view(["DELETE"])
def request_participant(request: Request, reference: str, email: str) -> Response:
    """Stop sharing the request with this person (or leave it yourself); logged."""
    ticket = _visible(request, reference)
    person = user_by_email(address=email)
    participant = ticket.participants.filter(user=person).select_related("user").first() if person else None
    if participant is None:
        raise NotFound
    participant_remove(ticket=ticket, actor=_caller(request), user=participant.user)
    return Response(status=204)


@extend_schema(request=s.NotifyIn, responses=s.NotifyOut)
@api_view(["PUT"])
def request_notifications(request: Request, reference: str) -> Response:
    """Turn your e-mail about this request on or off (for the people it is shared with: it
    never shares it with anyone)."""
    ticket = _visible(request, reference)
    data = _valid(s.NotifyIn, request)
    participant = participant_set_notify(ticket=ticket, user=_caller(request), notify=data["notify"])
    return Response(s.NotifyOut(participant).data)


@extend_schema(request=s.ApprovalIn, responses=s.AgentTicketDetailOut)
@api_view(["POST"])
def request_approval(request: Request, reference: str) -> Response:
    """A vouching role of the organisation approves a request waiting for approval, or
    declines it with a note: the same lifecycle step as the portal's buttons."""
    ticket = _visible(request, reference)
    data = _valid(s.ApprovalIn, request)
    ticket = ticket_transition(
        ticket=ticket,
        action=data["decision"],
        actor=_caller(request),
        note=data["note"],
        expected_version=data.get("version"),
    )
    return _detail(request, ticket)
