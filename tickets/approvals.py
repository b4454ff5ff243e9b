"""What waits for a vouching role's approval: requests of their organisations in "Waiting for
approval". A part of the visibility rule (tickets.visibility), never a second rule."""

from django.db.models import QuerySet

from accounts.models import User

from .models import Ticket
from .visibility import ticket_list_scope_q
from .workflow import Status


def tickets_waiting_for_my_approval(*, user: User) -> QuerySet[Ticket]:
    """Requests of the organisations where this person holds a vouching role that wait for an
    approval, oldest first; none of their own (those never wait for them)."""
    return (
        Ticket.objects.filter(ticket_list_scope_q(user=user, scope="organization"))
        .filter(status=Status.WAITING_FOR_APPROVAL)
        .exclude(requester=user)
        .select_related("desk", "request_type", "requester", "organization")
        .order_by("created_at", "pk")
    )
