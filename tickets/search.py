"""Full-text search of requests on PostgreSQL, over the stored documents of migration 0012.

A customer's search reads `search_public` (summary, description, public comments); an agent's,
on the desks they work, `search_agent` (the same and internal notes). Both documents hold the
English and the Spanish stems of every text, and the query is read both ways.

Who may see a request is still tickets.visibility's one rule, applied to every query here. To
keep a customer's search from testing the rule on every matching row of the table, the rows are
first narrowed to the ones the customer's roles can reach through an index (their own, those
shared with them, those of the organisations where they vouch): narrowing only, never widening.

Ranking: `ts_rank` reads each document, so it is computed over at most SEARCH_CANDIDATES matching
rows (the newest, found through an index in date order for a common word, or through the GIN
index for a rare one), and only `limit` rows come back.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import Membership, User
from helpdesk.db_router import stale_reads

from .models import Ticket
from .visibility import user_is_agent

SEARCH_CANDIDATES = 1000
_QUERY = "(websearch_to_tsquery('english'::regconfig, %s) || websearch_to_tsquery('spanish'::regconfig, %s))"


def _reachable_ids_sql(user: User) -> tuple[str, list[Any]]:
    """Ids of the requests a customer's roles reach through an index: a superset of nothing they
    may not see is needed, since the visibility rule filters the result again."""
    organizations = list(
        Membership.objects.filter(user=user, role__in=Membership.VOUCHING_ROLES).values_list(
            "organization_id", flat=True
        )
    )
    sql = (
        "tickets_ticket.id IN (SELECT ticket_id FROM tickets_participant WHERE user_id = %s"
        " UNION ALL SELECT id FROM tickets_ticket WHERE requester_id = %s"
        " UNION ALL SELECT id FROM tickets_ticket WHERE organization_id = ANY(%s))"
    )
    return sql, [user.pk, user.pk, organizations]


def ticket_fulltext_search(
    *, visible: QuerySet[Ticket], user: User, query: str, limit: int, desk_ids: list[int] | None
) -> list[Ticket]:
    """ticket_fulltext_search_primary's answer, read from the replica when there is one."""
    with stale_reads():
        return ticket_fulltext_search_primary(visible=visible, user=user, query=query, limit=limit, desk_ids=desk_ids)


def ticket_fulltext_search_primary(
    *, visible: QuerySet[Ticket], user: User, query: str, limit: int, desk_ids: list[int] | None
) -> list[Ticket]:
    """The best `limit` matches among the newest SEARCH_CANDIDATES of `visible` (the rule's
    queryset); with desk_ids (an agent's desks), by the agent's document over those desks."""
    agent = desk_ids is not None
    column = "tickets_ticket.search_agent" if agent else "tickets_ticket.search_public"
    matching = visible.extra(where=[f"{column} @@ {_QUERY}"], params=[query, query])
    if agent:
        # "+ 0": a filter, never an index. Otherwise PostgreSQL ANDs the GIN bitmap of a rare word
        # with a bitmap of every row of the desks (226 ms at a million rows, for ten matches).
        matching = matching.extra(where=["(tickets_ticket.desk_id + 0) = ANY(%s)"], params=[desk_ids])
    elif not user_is_agent(user=user):
        where, params = _reachable_ids_sql(user)
        matching = matching.extra(where=[where], params=params)
    rank = RawSQL(f"ts_rank({column}, {_QUERY})", [query, query])
    # Two queries: the newest candidates with their rank (ids and numbers only), then the best
    # `limit` rows whole. Python's sort is stable, so equal ranks stay newest first.
    candidates = list(
        matching.annotate(rank=rank).order_by("-created_at", "-id").values_list("pk", "rank")[:SEARCH_CANDIDATES]
    )
    best = [pk for pk, _rank in sorted(candidates, key=lambda row: -row[1])[:limit]]
    rows = Ticket.objects.filter(pk__in=best).select_related(
        "desk", "request_type", "requester", "organization", "team", "assignee"
    )
    by_pk = {ticket.pk: ticket for ticket in rows}
    return [by_pk[pk] for pk in best if pk in by_pk]
