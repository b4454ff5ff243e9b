"""Reads. Who may see a ticket is decided in tickets.visibility alone; every list, search and
export here starts from its querysets."""

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy

from accounts.identity import user_by_email
from accounts.models import Membership, Organization, Site, User

from .fields import field_rows, fields_of_values
from .models import (
    RequestField,
    RequestType,
    SavedQueue,
    SensitiveValue,
    ServiceDesk,
    Team,
    Ticket,
)
from .queues import (  # noqa: F401 - re-exported: the queue reads live in tickets.queues
    AGENT_QUEUES,
    SUPPORT_OPEN,
    agent_queue,
    agent_queue_page,
    queue_cursor_valid,
    queue_descending,
    saved_queue_get_for_agent,
    saved_queues_for_agent,
)
from .visibility import (  # noqa: F401 - re-exported: the doors import the rule from here too
    activities_visible,
    agent_desks,
    agent_visibility_q,
    attachment_get_visible,
    ticket_get_visible,
    ticket_list_scope_q,
    ticket_roles,
    ticket_visibility_q,
    ticket_visible_queryset,
    ticket_visible_to,
    user_is_agent,
)
from .workflow import OPEN_STATUSES, Status

COUNT_CAP = 1000


def capped_count(queryset: QuerySet[Any], *, cap: int = COUNT_CAP) -> int:
    """Count at most cap + 1 rows, so a count on a hot page stays cheap at any size."""
    return len(queryset.order_by().values("pk")[: cap + 1])


REFERENCE_PATTERN = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{0,9})-(\d{1,9})\s*$")
CUSTOMER_SORTS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "reference": ("desk__key", "number"),
    "-reference": ("-desk__key", "-number"),
    "status": ("status", "-created_at"),
    "summary": ("summary", "id"),
}


def ticket_list_for_customer(
    *,
    user: User,
    scope: str = "created",
    status: str = "",
    desk: ServiceDesk | None = None,
    query: str = "",
    sort: str = "-created",
) -> QuerySet[Ticket]:
    """Requests "created" (by me), "shared" (with me), or of my "organization" (where my role
    sees them all), or "all" I may see; filtered by status ("open", "done" or one status), desk
    and a text or reference, sorted by one of CUSTOMER_SORTS."""
    qs = ticket_visible_queryset(user=user)
    if scope != "all":
        qs = qs.filter(ticket_list_scope_q(user=user, scope=scope))
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status == "done":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if desk is not None:
        qs = qs.filter(desk=desk)
    query = query.strip()
    if query:
        match = REFERENCE_PATTERN.match(query)
        if match:
            qs = qs.filter(reference=f"{match.group(1).upper()}-{int(match.group(2))}")
        else:
            qs = qs.filter(summary__icontains=query)
    order = CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS["-created"])
    return qs.select_related("desk", "request_type", "requester", "organization").order_by(*order)


# What each search door shows of a result, beyond the ticket's own columns.
SEARCH_RELATED_ALL = ("desk", "request_type", "requester", "organization", "team", "assignee")
SEARCH_RELATED_PORTAL: tuple[str, ...] = ()
SEARCH_RELATED_AGENT = ("requester",)


def ticket_search(
    *,
    user: User,
    query: str,
    limit: int = 20,
    desks: QuerySet[ServiceDesk] | None = None,
    related: Sequence[str] = SEARCH_RELATED_ALL,
) -> list[Ticket]:
    """The user's visible requests (of these desks, if given) matching a text (ranked full-text
    search on PostgreSQL) or a reference, each with the `related` rows. Sensitive values are not
    searched: they are not in these columns."""
    query = query.strip()
    if not query:
        return []
    visible = ticket_visible_queryset(user=user)
    if related:  # select_related() with no names would follow every foreign key
        visible = visible.select_related(*related)
    desk_ids = None if desks is None else list(desks.values_list("pk", flat=True))
    match = REFERENCE_PATTERN.match(query)
    if match:
        if desk_ids is not None:
            visible = visible.filter(desk_id__in=desk_ids)
        return list(visible.filter(reference=f"{match.group(1).upper()}-{int(match.group(2))}")[:1])
    if connection.vendor != "postgresql":
        if desk_ids is not None:
            visible = visible.filter(desk_id__in=desk_ids)
        return list(visible.filter(Q(summary__icontains=query) | Q(description__icontains=query))[:limit])
    from .search import ticket_fulltext_search

    # The agent's document (with internal notes) only over the desks they work.
    return ticket_fulltext_search(
        visible=visible, user=user, query=query, limit=limit, desk_ids=desk_ids, related=related
    )


def agent_ticket_search(
    *, user: User, query: str, limit: int = 50, related: Sequence[str] = SEARCH_RELATED_ALL
) -> list[Ticket]:
    """What an agent finds: requests of their desks by reference, text, or the requester's
    e-mail address (newest first)."""
    query = query.strip()
    desks = agent_desks(user=user)
    if "@" in query and " " not in query:
        requester = user_by_email(address=query)
        if requester is None:
            return []
        # The person and the desks as values, so PostgreSQL walks (requester, -created_at) in
        # order and stops at the limit, rather than joining and sorting all their requests.
        found = ticket_visible_queryset(user=user).filter(
            requester_id=requester.pk, desk_id__in=list(desks.values_list("pk", flat=True))
        )
        if related:
            found = found.select_related(*related)
        return list(found.order_by("-created_at", "-id")[:limit])
    return ticket_search(user=user, query=query, limit=limit, desks=desks, related=related)


def user_vouches(*, user: User) -> bool:
    """Whether the user holds a role that sees all of an organisation's requests."""
    return Membership.objects.filter(user=user, role__in=Membership.VOUCHING_ROLES).exists()


def desks_for_portal() -> QuerySet[ServiceDesk]:
    return ServiceDesk.objects.filter(is_active=True)


def request_types_for_user(*, desk: ServiceDesk, user: User) -> QuerySet[RequestType]:
    """The types this user may submit on this desk: by the kinds of their organisations."""
    kinds = set(Organization.objects.filter(memberships__user=user).values_list("kind", flat=True))
    audiences: list[str] = [RequestType.Audience.EVERYONE]
    if kinds:
        audiences.append(RequestType.Audience.MEMBERS)
    audiences += [kind for kind in kinds]
    return (
        RequestType.objects.filter(desk=desk, is_active=True, audience__in=audiences)
        .select_related("group")
        .order_by("group__position", "group__name", "position", "name")
    )


def eligible_organizations(*, user: User, request_type: RequestType) -> QuerySet[Organization]:
    """The user's active organisations that this request type is for."""
    organizations = Organization.objects.filter(memberships__user=user, is_active=True)
    if request_type.audience in (RequestType.Audience.PROVIDERS, RequestType.Audience.PAYERS):
        organizations = organizations.filter(kind=request_type.audience)
    return organizations.order_by("name", "pk")


def eligible_sites(*, user: User, request_type: RequestType) -> QuerySet[Site]:
    """Sites of the user's organisations that this request type is for."""
    organizations = eligible_organizations(user=user, request_type=request_type)
    return Site.objects.filter(organization__in=organizations).select_related("organization")


def request_organization_unambiguous(
    *, user: User, request_type: RequestType
) -> tuple[Organization | None, Site | None]:
    """The organisation (and site) a request is for when nobody can be asked, as for mail:
    the only eligible site, else the only eligible organisation, else none (agents triage)."""
    sites = list(eligible_sites(user=user, request_type=request_type)[:2])
    if len(sites) == 1:
        return sites[0].organization, sites[0]
    organizations = list(eligible_organizations(user=user, request_type=request_type)[:2])
    if len(organizations) == 1:
        return organizations[0], None
    return None, None


EXPORT_HEADER = (
    gettext_lazy("Reference"), gettext_lazy("Service desk"), gettext_lazy("Request type"), gettext_lazy("Summary"),
    gettext_lazy("Status"), gettext_lazy("Tier"), gettext_lazy("Team"), gettext_lazy("Assignee"),
    gettext_lazy("Priority"), gettext_lazy("Requester"), gettext_lazy("Requester e-mail"),
    gettext_lazy("Organisation"), gettext_lazy("Created"), gettext_lazy("First response due"),
    gettext_lazy("Resolution due"), gettext_lazy("Resolved"), gettext_lazy("Details"),
)  # fmt: skip


def _csv_cell(value: object) -> str:
    """Text for a spreadsheet cell; a leading =, +, - or @ would make it a formula, so quote it."""
    if value is None:
        return ""
    text = timezone.localtime(value).isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def queue_export_rows(
    *, queue: str | SavedQueue, user: User, desk: ServiceDesk | None = None, chunk: int = 500
) -> Iterator[list[str]]:
    """The queue as spreadsheet rows (a header first), in reference order, read by keyset on the
    id (which never changes, so no row is skipped or repeated while clocks move), at most
    settings.QUEUE_EXPORT_MAX_ROWS. Only non-sensitive values: sensitive ones live in a table
    this never reads."""
    from django.conf import settings

    language = get_language() or "en"
    limit = settings.QUEUE_EXPORT_MAX_ROWS
    fields_by_id: dict[int, RequestField] = {}
    with translation.override(language):
        yield [str(label) for label in EXPORT_HEADER]
    last_id, written = 0, 0
    base = agent_queue(queue=queue, user=user, desk=desk)
    while written < limit:
        tickets = list(base.filter(id__gt=last_id).order_by("id")[: min(chunk, limit - written)])
        if not tickets:
            return
        fields_by_id.update(fields_of_values(t.field_values for t in tickets))
        with translation.override(language):
            for t in tickets:
                rows = ticket_field_rows_keyed(ticket=t, fields=fields_by_id)
                details = "; ".join(f"{row['label']}: {row['value']}" for row in rows)
                row = [
                    t.reference, t.desk.key, t.request_type.display_name, t.summary, t.get_status_display(),
                    t.get_tier_display(), t.team, t.assignee.email if t.assignee else "", t.get_priority_display(),
                    t.requester.full_name, t.requester.email, t.organization, t.created_at,
                    t.first_response_due_at, t.resolution_due_at, t.resolved_at, details,
                ]  # fmt: skip
                yield [_csv_cell(value) for value in row]
        written += len(tickets)
        last_id = tickets[-1].pk
    if base.filter(id__gt=last_id).exists():
        with translation.override(language):
            yield [
                str(
                    gettext_lazy("Only the first %(count)d rows are here: narrow the queue, e.g. by desk.")
                    % {"count": limit}
                )
            ]


def ticket_colleagues(*, ticket: Ticket, actor: User | None = None) -> QuerySet[User]:
    """People of the ticket's organisation it could be shared with: not yet on it, and not the
    one sharing (a share is always with someone else)."""
    if not ticket.organization_id:
        return User.objects.none()
    people = (
        User.objects.filter(is_active=True, memberships__organization_id=ticket.organization_id)
        .exclude(participations__ticket=ticket)
        .order_by("full_name")
    )
    return people.exclude(pk=actor.pk) if actor is not None else people


def ticket_field_rows_keyed(*, ticket: Ticket, fields: dict[int, RequestField] | None = None) -> list[dict[str, Any]]:
    """The non-sensitive field values as {key, label, value} in the reader's language, each read
    through the field it was given in (tickets/fields.py): a value of a sensitive or unknown field
    is never shown. `fields` (id -> RequestField) saves the query for lists."""
    if fields is None:
        fields = fields_of_values([ticket.field_values])
    return field_rows(field_values=ticket.field_values, fields_by_id=fields)


def ticket_field_rows(*, ticket: Ticket) -> list[tuple[str, str]]:
    """The same as (label, value) pairs, for pages."""
    return [(row["label"], row["value"]) for row in ticket_field_rows_keyed(ticket=ticket)]


def agent_tier(*, ticket: Ticket, user: User) -> int:
    """The highest tier this agent works at on the ticket's desk (0: not an agent there)."""
    tiers = Team.objects.filter(members=user, desk_id=ticket.desk_id).values_list("tier", flat=True)
    return max(tiers, default=2 if user.is_superuser else 0)


def desk_agents(*, desk_id: int) -> QuerySet[User]:
    return User.objects.filter(is_active=True, teams__desk_id=desk_id).distinct().order_by("full_name")


def sensitive_fields_present(*, ticket: Ticket) -> list[str]:
    """Labels of the sensitive values a ticket holds; never the values themselves."""
    return list(SensitiveValue.objects.filter(ticket=ticket).order_by("id").values_list("label", flat=True))


def agent_tier_anywhere(*, user: User) -> int:
    tiers = Team.objects.filter(members=user).values_list("tier", flat=True)
    return max(tiers, default=2 if user.is_superuser else 0)


def ticket_expected_by(*, ticket: Ticket) -> tuple[str, datetime] | None:
    """What the customer may expect next: ("reply", time) until the first answer, then
    ("resolution", time); None when the request is not with support or has no SLA."""
    if ticket.status not in SUPPORT_OPEN or ticket.status == Status.WAITING_FOR_CUSTOMER:
        return None
    if ticket.first_response_at is None and ticket.first_response_due_at:
        return ("reply", ticket.first_response_due_at)
    if ticket.resolution_due_at:
        return ("resolution", ticket.resolution_due_at)
    return None
