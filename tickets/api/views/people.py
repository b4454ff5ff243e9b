"""People on a request: who it is shared with, sharing and removing, notifications, approvals."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.identity import user_by_email
from tickets.participants import participant_may_share, participant_remove, ticket_share

from .. import serializers as s
from .common import _valid, _visible


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
