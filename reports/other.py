"""The "Other" trend: how many requests land in a desk's catch-all type, what recurs in them,
and the two ways an admin acts on it (draft a new type from a phrase; move the matching
requests into a type once it is active)."""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection, transaction
from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.errors import TicketError
from tickets.models import RequestField, RequestType, ServiceDesk, Ticket
from tickets.services import ticket_change_type

from .filters import Scope, period_label
from .models import TicketFact
from .tables import Table, rate

SEARCH_CONFIG = "reports_other"  # reports/migrations/0002_other_text_search.py
DOCUMENTS_MAX = 5000  # the most recent "Other" requests of the range that the phrases are read from
PHRASES_SHOWN = 20
RECATEGORISE_MAX = 500
# Without PostgreSQL (SQLite): a short list of the commonest English and Spanish stop words.
_FALLBACK_STOP = set(
    "a an and are as at be been but by can do does for from has have how i if in into is it its me my no not "
    "of on or our please so that the their them there this to up was we were what when where which who why "
    "will with you your el la los las un una unos unas y o de del al en por para con sin que se su sus es "
    "son fue mi mis lo le les no si ya muy pero como más este esta estos estas ese esa hay".split()
)
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@dataclass(frozen=True)
class Phrase:
    text: str
    requests: int
    occurrences: int


def _scope_without_type(scope: Scope) -> Scope:
    # The trend is about the catch-all types themselves: a request type filter does not apply.
    return replace(scope, request_type_id=None)


def report_other_trend(scope: Scope) -> Table:
    """Per period: requests created, those in a catch-all type, and their share."""
    scope = _scope_without_type(scope)
    rows = (
        TicketFact.objects.filter(scope.q(), created_at__gte=scope.start_at, created_at__lt=scope.end_at)
        .annotate(p=Trunc("created_at", scope.period, output_field=DateField()))
        .values("p")
        .annotate(n=Count("pk"), other=Count("pk", filter=Q(request_type__is_catch_all=True)))
        .order_by()
    )
    counts = {row["p"]: row for row in rows}
    table_rows = []
    for period in scope.periods:
        row = counts.get(period, {"n": 0, "other": 0})
        table_rows.append([period_label(period, scope.period), row["n"], row["other"], rate(row["other"], row["n"])])
    return Table(
        "other_trend",
        _("Requests in a catch-all (“Other”) type"),
        [_("Period"), _("All requests"), _("“Other” requests"), _("Share (%)")],
        table_rows,
    )


def other_tickets(scope: Scope) -> QuerySet[Ticket]:
    """The catch-all requests of the range that this agent may see (the visibility rule's desks)."""
    scope = _scope_without_type(scope)
    return Ticket.objects.filter(
        scope.q(), request_type__is_catch_all=True, created_at__gte=scope.start_at, created_at__lt=scope.end_at
    )


def _phrases_postgresql(tickets: QuerySet[Ticket]) -> list[tuple[str, int, int, bool]]:
    documents = (
        tickets.order_by("-pk")
        .annotate(v=SearchVector("summary", "description", config=SEARCH_CONFIG))
        .values("v")[:DOCUMENTS_MAX]
    )
    sql, params = documents.query.sql_with_params()
    with connection.cursor() as cursor:
        # ts_stat runs a query given as text: the ORM's query, with its values quoted by the driver.
        inner = cursor.mogrify(sql, params).decode()
        # Each pair of words at neighbouring positions becomes one lexeme ("direct deposit") at
        # the first word's position, so ts_stat counts the requests and the times written.
        bigrams = (
            "SELECT array_to_string(ARRAY(SELECT quote_literal(a.lexeme || ' ' || b.lexeme) || ':' || p "
            "FROM unnest(t.v) a, unnest(t.v) b, unnest(a.positions) p "
            "WHERE (p + 1)::smallint = ANY(b.positions)), ' ')::tsvector "
            f"FROM ({inner}) t"
        )
        cursor.execute(
            "SELECT word, ndoc, nentry, false FROM ts_stat(%s) WHERE length(word) > 2 "
            "UNION ALL SELECT word, ndoc, nentry, true FROM ts_stat(%s) "
            "ORDER BY 2 DESC, 4 DESC, 3 DESC, 1 LIMIT 100",
            [inner, bigrams],
        )
        return [(word, ndoc, nentry, bigram) for word, ndoc, nentry, bigram in cursor.fetchall()]


def _phrases_fallback(tickets: QuerySet[Ticket]) -> list[tuple[str, int, int, bool]]:
    """The same counts in Python over the most recent requests (SQLite has no ts_stat)."""
    docs: Counter[tuple[str, bool]] = Counter()
    entries: Counter[tuple[str, bool]] = Counter()
    for summary, description in tickets.order_by("-pk").values_list("summary", "description")[:DOCUMENTS_MAX]:
        words = _WORD.findall(f"{summary} {description}".lower())
        positions = [(w, i) for i, w in enumerate(words) if w not in _FALLBACK_STOP]
        found = [((w, False)) for w, _i in positions if len(w) > 2]
        found += [(f"{a} {b}", True) for (a, i), (b, j) in zip(positions, positions[1:], strict=False) if j == i + 1]
        entries.update(found)
        docs.update(set(found))
    return sorted(
        ((text, n, entries[(text, bigram)], bigram) for (text, bigram), n in docs.items()),
        key=lambda r: (-r[1], not r[3], -r[2], r[0]),
    )[:100]


def other_phrases(scope: Scope, *, limit: int = PHRASES_SHOWN) -> list[Phrase]:
    """The words and two-word phrases that recur most in the range's "Other" requests (by the
    number of requests they appear in); a word is left out when a phrase containing it is in
    as many requests, so "direct deposit" is shown once, not three times."""
    tickets = other_tickets(scope)
    found = _phrases_postgresql(tickets) if connection.vendor == "postgresql" else _phrases_fallback(tickets)
    bigrams = [(text, ndoc) for text, ndoc, _n, is_bigram in found if is_bigram]
    phrases = []
    for text, ndoc, nentry, is_bigram in found:
        if ndoc < 2:
            continue
        if not is_bigram and any(ndoc <= n and text in pair.split(" ") for pair, n in bigrams):
            continue
        phrases.append(Phrase(text, ndoc, nentry))
    return phrases[:limit]


def report_other_phrases(scope: Scope, *, link: Callable[[str], str]) -> Table:
    phrases = other_phrases(scope)
    return Table(
        "other_phrases",
        _("Words and phrases that recur in “Other” requests"),
        [_("Word or phrase"), _("Requests"), _("Times written")],
        [[p.text, p.requests, p.occurrences] for p in phrases],
        links=[link(p.text) for p in phrases],
        note=_("English and Spanish stop words are left out; words are counted as written, without stemming."),
    )


def phrase_tickets(scope: Scope, *, phrase: str) -> QuerySet[Ticket]:
    """The range's "Other" requests that contain the phrase (its words side by side)."""
    tickets = other_tickets(scope)
    if connection.vendor == "postgresql":
        vector = SearchVector("summary", "description", config=SEARCH_CONFIG)
        query = SearchQuery(phrase, config=SEARCH_CONFIG, search_type="phrase")
        return tickets.annotate(v=vector).filter(v=query)
    condition = Q()
    for word in _WORD.findall(phrase.lower()):
        condition &= Q(summary__icontains=word) | Q(description__icontains=word)
    return tickets.filter(condition) if condition else tickets.none()


def may_shape_catalogue(user: User) -> bool:
    """Drafting types and moving requests between them is the catalogue admins' business."""
    return user.is_active and user.has_perm("tickets.add_requesttype") and user.has_perm("tickets.change_ticket")


def _unique_key(desk: ServiceDesk, phrase: str) -> str:
    base = slugify(phrase)[:40] or "new-type"
    taken = set(RequestType.objects.filter(desk=desk, key__startswith=base).values_list("key", flat=True))
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


@transaction.atomic
def request_type_draft_from_phrase(*, phrase: str, desk: ServiceDesk, actor: User) -> RequestType:
    """A new, inactive request type for what the phrase names, in the group of the desk's
    catch-all type, with its team, audience and SLA, and a summary and a description field."""
    if not may_shape_catalogue(actor):
        raise TicketError(_("Only catalogue admins can draft request types."))
    phrase = " ".join(phrase.split())[:120]
    if not phrase:
        raise TicketError(_("Choose a word or phrase first."))
    other = RequestType.objects.filter(desk=desk, is_catch_all=True).order_by("position", "pk").first()
    if other is None:
        raise TicketError(_("This desk has no catch-all (“Other”) request type."))
    draft = RequestType.objects.create(
        desk=desk,
        group=other.group,
        key=_unique_key(desk, phrase),
        name=phrase[:1].upper() + phrase[1:],
        summary=_("Requests about “%(phrase)s”.") % {"phrase": phrase},
        meaning=_("Drafted from the “Other” trend, where “%(phrase)s” kept coming up.") % {"phrase": phrase},
        audience=other.audience,
        default_team=other.default_team,
        escalation_team=other.escalation_team,
        sla_first_response_minutes=other.sla_first_response_minutes,
        sla_resolution_minutes=other.sla_resolution_minutes,
        position=other.position,
        is_active=False,
    )
    RequestField.objects.create(request_type=draft, key=RequestField.SUMMARY, kind=RequestField.Kind.SHORT_TEXT,
                                name="Summary", name_es="Resumen", required=True, position=0)  # fmt: skip
    RequestField.objects.create(request_type=draft, key=RequestField.DESCRIPTION, kind=RequestField.Kind.LONG_TEXT,
                                name="Description", name_es="Descripción", required=True, position=1)  # fmt: skip
    return draft


def recategorise_targets(scope: Scope) -> QuerySet[RequestType]:
    """Where "Other" requests may be moved: active, non-catch-all types of the agent's desks."""
    return RequestType.objects.filter(
        scope.visibility, is_active=True, is_catch_all=False, **({"desk_id": scope.desk_id} if scope.desk_id else {})
    ).select_related("desk")


def other_recategorise(*, scope: Scope, phrase: str, request_type: RequestType, actor: User) -> int:
    """Move the phrase's "Other" requests of the target's desk into the target type, each through
    the lifecycle's change-type service (an internal activity on each; no e-mail to anyone).
    Returns how many moved."""
    if not may_shape_catalogue(actor):
        raise TicketError(_("Only catalogue admins can move requests between types."))
    if not request_type.is_active or request_type.is_catch_all:
        raise TicketError(_("Activate the request type first; requests move only into an active type."))
    moved = 0
    tickets = phrase_tickets(scope, phrase=phrase).filter(desk_id=request_type.desk_id).order_by("pk")
    for ticket in tickets[:RECATEGORISE_MAX]:
        ticket_change_type(ticket=ticket, actor=actor, request_type=request_type)
        moved += 1
    return moved
