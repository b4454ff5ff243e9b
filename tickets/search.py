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

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import Membership, User
from helpdesk.db_router import stale_reads

from .models import Ticket
from .visibility import user_is_agent

SEARCH_CANDIDATES = 1000
_QUERY = "(websearch_to_tsquery('english'::regconfig, %s) || websearch_to_tsquery('spanish'::regconfig, %s))"
_MATCH = f"t.search_public @@ {_QUERY}"
# Past this many vouched organisations, one branch for them all (a bitmap, then a sort).
_OWN_BRANCHES = 10


def _reachable_newest_sql(user: User, query: str) -> tuple[str, list[Any]]:
    """The newest SEARCH_CANDIDATES matching requests of each way a customer's roles reach a
    request through an index (shared with them, their own, each organisation where they vouch),
    as a condition on tickets_ticket.id. Narrowing only, never widening: the visibility rule
    filters the result again.

    Each branch is ordered and limited on its own, so PostgreSQL either walks the branch's index
    in date order and stops at the limit (a common word) or ANDs the branch with the GIN index (a
    rare one), instead of testing the document of every request the customer reaches. The newest
    SEARCH_CANDIDATES of the union are among the union of each branch's newest."""
    organizations = list(
        Membership.objects.filter(user=user, role__in=Membership.VOUCHING_ROLES).values_list(
            "organization_id", flat=True
        )
    )
    newest = f"{_MATCH} ORDER BY t.created_at DESC, t.id DESC LIMIT {int(SEARCH_CANDIDATES)}"
    branches: list[tuple[str, Any]] = [
        (
            "SELECT t.id FROM tickets_ticket t JOIN tickets_participant p ON p.ticket_id = t.id WHERE p.user_id = %s",
            user.pk,
        ),
        ("SELECT t.id FROM tickets_ticket t WHERE t.requester_id = %s", user.pk),
    ]
    if len(organizations) <= _OWN_BRANCHES:
        # One equality each: an index on (organization, -created_at) is walked in order.
        branches += [("SELECT t.id FROM tickets_ticket t WHERE t.organization_id = %s", org) for org in organizations]
    else:
        branches.append(("SELECT t.id FROM tickets_ticket t WHERE t.organization_id = ANY(%s)", organizations))
    sql = " UNION ALL ".join(f"({branch} AND {newest})" for branch, _param in branches)
    return f"tickets_ticket.id IN ({sql})", [value for _branch, param in branches for value in (param, query, query)]


def _with_related(qs: QuerySet[Ticket], related: Sequence[str]) -> QuerySet[Ticket]:
    # select_related() with no names follows every foreign key: none is asked for here.
    return qs.select_related(*related) if related else qs


def _rows_planned_for_memory(qs: QuerySet[Any], alias: str) -> list[tuple[Any, ...]]:
    """The rows of `qs`, planned with a random read at nearly the price of a sequential one (the
    search's rows and indexes are in memory). With the default (4) PostgreSQL prefers a bitmap of
    every row a common word matches (336,000 at a million, 60-80 ms) to walking 3,000 rows of an
    organisation in date order (4 ms). One round trip: sent together, the two statements run in
    one implicit transaction, so SET LOCAL holds for this SELECT only (to the end of the
    transaction when already inside one)."""
    sql, params = qs.query.get_compiler(using=alias).as_sql()
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SET LOCAL random_page_cost = 1.1; {sql}", params)
        return list(cursor.fetchall())


def ticket_fulltext_search(
    *,
    visible: QuerySet[Ticket],
    user: User,
    query: str,
    limit: int,
    desk_ids: list[int] | None,
    related: Sequence[str],
) -> list[Ticket]:
    """ticket_fulltext_search_primary's answer, read from the replica when there is one."""
    with stale_reads():
        return ticket_fulltext_search_primary(
            visible=visible, user=user, query=query, limit=limit, desk_ids=desk_ids, related=related
        )


def ticket_fulltext_search_primary(
    *,
    visible: QuerySet[Ticket],
    user: User,
    query: str,
    limit: int,
    desk_ids: list[int] | None,
    related: Sequence[str],
) -> list[Ticket]:
    """The best `limit` matches among the newest SEARCH_CANDIDATES of `visible` (the rule's
    queryset); with desk_ids (an agent's desks), by the agent's document over those desks. Each
    result carries the `related` rows."""
    agent = desk_ids is not None
    column = "tickets_ticket.search_agent" if agent else "tickets_ticket.search_public"
    matching = visible.extra(where=[f"{column} @@ {_QUERY}"], params=[query, query])
    if agent:
        # "+ 0": a filter, never an index. Otherwise PostgreSQL ANDs the GIN bitmap of a rare word
        # with a bitmap of every row of the desks (226 ms at a million rows, for ten matches).
        matching = matching.extra(where=["(tickets_ticket.desk_id + 0) = ANY(%s)"], params=[desk_ids])
    elif not user_is_agent(user=user):
        where, params = _reachable_newest_sql(user, query)
        matching = matching.extra(where=[where], params=params)
    rank = RawSQL(f"ts_rank({column}, {_QUERY})", [query, query])
    # Two queries: the newest candidates with their rank (ids and numbers only), then the best
    # `limit` rows whole. Python's sort is stable, so equal ranks stay newest first.
    candidates = _rows_planned_for_memory(
        matching.annotate(rank=rank).order_by("-created_at", "-id").values_list("pk", "rank")[:SEARCH_CANDIDATES],
        router.db_for_read(Ticket),
    )
    best = [pk for pk, _rank in sorted(candidates, key=lambda row: -row[1])[:limit]]
    rows = _with_related(Ticket.objects.filter(pk__in=best), related)
    by_pk = {ticket.pk: ticket for ticket in rows}
    return [by_pk[pk] for pk in best if pk in by_pk]
