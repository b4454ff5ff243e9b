"""Recording a customer's visit to a request form for the knowledge-base deflection report:
which suggested articles they were shown, which they opened, and whether they sent the form.
Only ids and times are stored; the visit id is a random UUID the form page made."""

import uuid
from collections.abc import Iterable

from accounts.models import User

from .models import DeflectionEvent

Kind = DeflectionEvent.Kind


def visit_id_parse(value: str | None) -> uuid.UUID | None:
    """The visit id a page sent back, or None for anything that is not one."""
    try:
        return uuid.UUID(str(value or ""), version=4)
    except ValueError:
        return None


def deflection_record(
    *,
    visit: str | None,
    kind: str,
    user: User,
    desk_id: int | None,
    article_ids: Iterable[int] = (),
    ticket_id: int | None = None,
) -> int:
    """Store one step of a visit (each article once per kind); nothing without a valid visit id
    or a signed-in user. Returns how many events were new."""
    session = visit_id_parse(visit)
    if session is None or not user.is_authenticated:
        return 0
    ids: list[int | None] = list(article_ids) or [None]
    events = [
        DeflectionEvent(session=session, kind=kind, desk_id=desk_id, user_id=user.pk, article_id=i, ticket_id=ticket_id)
        for i in ids
    ]
    if kind == Kind.SUBMITTED and DeflectionEvent.objects.filter(session=session, kind=kind).exists():
        return 0
    return len(DeflectionEvent.objects.bulk_create(events, ignore_conflicts=True))
