"""The dashboard's request figures, read from the summary tables with one grouped query each
(date_trunc, FILTER, percentile_cont in PostgreSQL): the number of queries does not depend on
the number of requests. Every function returns the Table the page, the chart and the CSV share."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Count, DateField, Max, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Trunc
from django.utils.translation import gettext as _

from accounts.models import Organization, Site, User
from tickets.models import Channel, Team
from tickets.workflow import OPEN_STATUSES, Status

from .filters import Scope, period_label
from .models import BacklogSnapshot, DailyRollup, TicketFact
from .tables import PercentileCont, Table, has_percentiles, hours, percentile, rate

TOP = 10
AGENTS_TOP = 20
WORKLOAD_AGENTS = 5


def _facts(scope: Scope) -> QuerySet[TicketFact]:
    return TicketFact.objects.filter(scope.q())


def _created(scope: Scope) -> QuerySet[TicketFact]:
    return _facts(scope).filter(created_at__gte=scope.start_at, created_at__lt=scope.end_at)


def _rollups(scope: Scope) -> QuerySet[DailyRollup] | None:
    """The daily rollups of the range, or None where they cannot answer: they carry no
    organisation, so a filter on one reads the facts."""
    if scope.organization_id is not None:
        return None
    return DailyRollup.objects.filter(scope.q(), day__gte=scope.start, day__lte=scope.end)


def _per_period(queryset: QuerySet[TicketFact], column: str, period: str) -> dict[date, int]:
    rows = queryset.annotate(p=Trunc(column, period, output_field=DateField())).values("p").annotate(n=Count("pk"))
    return {row["p"]: row["n"] for row in rows.order_by()}


def report_volume(scope: Scope) -> Table:
    """Requests created and resolved per period."""
    rollups = _rollups(scope)
    if rollups is not None:
        sums = (
            rollups.annotate(p=Trunc("day", scope.period, output_field=DateField()))
            .values("p")
            .annotate(created=Sum("created"), resolved=Sum("resolved"))
            .order_by()
        )
        per_period = {row["p"]: (row["created"], row["resolved"]) for row in sums}
        rows = [[period_label(p, scope.period), *per_period.get(p, (0, 0))] for p in scope.periods]
        return Table("volume", _("Requests created and resolved"), [_("Period"), _("Created"), _("Resolved")], rows)
    created = _per_period(_created(scope), "created_at", scope.period)
    resolved_qs = _facts(scope).filter(resolved_at__gte=scope.start_at, resolved_at__lt=scope.end_at)
    resolved = _per_period(resolved_qs, "resolved_at", scope.period)
    rows = [[period_label(p, scope.period), created.get(p, 0), resolved.get(p, 0)] for p in scope.periods]
    return Table("volume", _("Requests created and resolved"), [_("Period"), _("Created"), _("Resolved")], rows)


def report_backlog(scope: Scope) -> tuple[Table, Table]:
    """The open requests at the end of each period (its last daily snapshot), by status and by tier."""
    snapshots = BacklogSnapshot.objects.filter(day__gte=scope.start, day__lte=scope.end)
    last_days = (
        snapshots.annotate(p=Trunc("day", scope.period, output_field=DateField()))
        .values("p")
        .annotate(last=Max("day"))
        .order_by()
    )
    by_day = {row["last"]: row["p"] for row in last_days}
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    rows = (
        # A subquery, not the list: the query runs (and counts) the same with no snapshot at all.
        snapshots.filter(scope.q(), day__in=last_days.values("last"))
        .values("day", "status", "tier")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for row in rows:
        period = by_day[row["day"]]
        counts[(period, "status", row["status"])] += row["n"]
        counts[(period, "tier", row["tier"])] += row["n"]
    statuses = list(OPEN_STATUSES)
    status_rows = [
        [period_label(p, scope.period), *[counts[(p, "status", s)] for s in statuses]]
        for p in scope.periods
        if p in by_day.values()
    ]
    tier_rows = [
        [period_label(p, scope.period), *[counts[(p, "tier", t)] for t in Team.Tier.values]]
        for p in scope.periods
        if p in by_day.values()
    ]
    note = _(
        "Counted at the end of each period from the daily snapshot; periods before the first snapshot are left out."
    )
    return (
        Table("backlog_status", _("Open requests by status"), [_("Period"), *[str(Status(s).label) for s in statuses]],
              status_rows, note=note),
        Table("backlog_tier", _("Open requests by tier"), [_("Period"), *[str(t.label) for t in Team.Tier]],
              tier_rows, note=note),
    )  # fmt: skip


_TIME_FIELDS = ("first_response_minutes", "resolution_minutes")


def _sla_counts(scope: Scope, keys: list[str]) -> list[dict[str, Any]]:
    rollups = _rollups(scope)
    if rollups is not None:
        return list(
            rollups.filter(created__gt=0)
            .values(*keys)
            .annotate(
                n=Sum("created"),
                fr_met=Sum("first_response_met"),
                fr_decided=Sum("first_response_decided"),
                res_met=Sum("resolution_met"),
                res_decided=Sum("resolution_decided"),
                fr_target=Max("first_response_target"),
                res_target=Max("resolution_target"),
            )
            .order_by(*keys)
        )
    return list(
        _created(scope)
        .values(*keys)
        .annotate(
            n=Count("pk"),
            fr_met=Count("pk", filter=Q(first_response_met=True)),
            fr_decided=Count("first_response_met"),
            res_met=Count("pk", filter=Q(resolution_met=True)),
            res_decided=Count("resolution_met"),
            fr_target=Max("first_response_target"),
            res_target=Max("resolution_target"),
        )
        .order_by(*keys)
    )


def _sla_percentiles(scope: Scope, key: str) -> dict[Any, dict[str, float | None]]:
    """The median and 90th percentile of both times per `key` (a column of the facts), exact:
    percentile_cont over the facts of the range, read from their covering index."""
    if has_percentiles():
        annotations = {}
        for name in _TIME_FIELDS:
            annotations[f"{name}_p50"] = PercentileCont(name, fraction=0.5)
            annotations[f"{name}_p90"] = PercentileCont(name, fraction=0.9)
        rows = _created(scope).values(key).annotate(**annotations).order_by()
        return {row.pop(key): row for row in rows}
    # SQLite has no percentile_cont: the same definition over the group's values (slower).
    values: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in _created(scope).values(key, *_TIME_FIELDS):
        for name in _TIME_FIELDS:
            values[row[key]][name].append(row[name])
    return {
        group: {f"{name}_p{round(f * 100)}": percentile(own[name], f) for name in _TIME_FIELDS for f in (0.5, 0.9)}
        for group, own in values.items()
    }


def _sla_groups(scope: Scope, keys: list[str]) -> list[dict[str, Any]]:
    """Per group: counts, SLA outcomes (from the rollups) and the median and 90th percentile of
    both times (from the facts)."""
    groups = _sla_counts(scope, keys)
    percentiles = _sla_percentiles(scope, keys[0])
    empty = {f"{name}_p{p}": None for name in _TIME_FIELDS for p in (50, 90)}
    for group in groups:
        group.update(percentiles.get(group[keys[0]], empty))
    return groups


def _sla_columns(*, first: str, targets: bool) -> list[str]:
    columns = [first, _("Requests")]
    columns += [_("First response median (business h)"), _("First response p90 (business h)")]
    if targets:
        columns.append(_("First response target (business h)"))
    columns += [_("First response within SLA (%)")]
    columns += [_("Resolution median (business h)"), _("Resolution p90 (business h)")]
    if targets:
        columns.append(_("Resolution target (business h)"))
    columns += [_("Resolved within SLA (%)")]
    return columns


def _sla_row(label: str, g: dict[str, Any], *, targets: bool) -> list[Any]:
    row = [label, g["n"], hours(g["first_response_minutes_p50"]), hours(g["first_response_minutes_p90"])]
    if targets:
        row.append(hours(g["fr_target"]))
    row += [rate(g["fr_met"], g["fr_decided"])]
    row += [hours(g["resolution_minutes_p50"]), hours(g["resolution_minutes_p90"])]
    if targets:
        row.append(hours(g["res_target"]))
    row += [rate(g["res_met"], g["res_decided"])]
    return row


def report_sla(scope: Scope) -> tuple[Table, Table]:
    """First response and resolution times in business hours against the targets, per desk and per type."""
    note = _(
        "Business hours on each desk's calendar, from submission; resolution counts to the latest resolution, "
        "including time waiting for the customer. Within SLA: of the requests whose clock is decided "
        "(answered or resolved, or past due), the share on time; the SLA clock itself pauses while waiting "
        "for the customer."
    )
    desks = _sla_groups(scope, ["desk_id", "desk__name"])
    types = _sla_groups(scope, ["request_type_id", "request_type__desk__key", "request_type__name"])
    desk_table = Table("sla_desk", _("Response and resolution times per desk"),
                       _sla_columns(first=_("Desk"), targets=False),
                       [_sla_row(g["desk__name"], g, targets=False) for g in desks], note=note)  # fmt: skip
    type_table = Table(
        "sla_type",
        _("Response and resolution times per request type"),
        _sla_columns(first=_("Request type"), targets=True),
        [_sla_row(f"{g['request_type__desk__key']} · {g['request_type__name']}", g, targets=True) for g in types],
        note=note,
    )
    return desk_table, type_table


def report_channels(scope: Scope) -> Table:
    """Requests per channel with the Tier I → Tier II escalation rate and the reopen rate."""
    rollups = _rollups(scope)
    grouped: list[Any]
    if rollups is not None:
        grouped = list(
            rollups.values("channel")
            .annotate(
                n=Sum("created"),
                escalated_n=Sum("escalated"),
                resolved_n=Sum("resolved_or_reopened"),
                reopened_n=Sum("reopened"),
            )
            .order_by()
        )
    else:
        grouped = list(
            _created(scope)
            .values("channel")
            .annotate(
                n=Count("pk"),
                escalated_n=Count("pk", filter=Q(escalated=True)),
                resolved_n=Count("pk", filter=Q(resolved_at__isnull=False) | Q(reopened=True)),
                reopened_n=Count("pk", filter=Q(reopened=True)),
            )
            .order_by()
        )
    # A channel with rollup rows but no request created in the range reads as none.
    groups = {row["channel"]: row for row in grouped if row["n"]}
    rows: list[list[Any]] = []
    total: defaultdict[str, int] = defaultdict(int)
    for value, label in Channel.choices:
        g = groups.get(value, {"n": 0, "escalated_n": 0, "resolved_n": 0, "reopened_n": 0})
        for key in ("n", "escalated_n", "resolved_n", "reopened_n"):
            total[key] += g[key]
        rows.append([str(label), g["n"], rate(g["escalated_n"], g["n"]), rate(g["reopened_n"], g["resolved_n"])])
    rows.append([_("All channels"), total["n"], rate(total["escalated_n"], total["n"]),
                 rate(total["reopened_n"], total["resolved_n"])])  # fmt: skip
    return Table(
        "channels",
        _("Requests, escalation and reopen rate per channel"),
        [_("Channel"), _("Requests"), _("Escalated Tier I → Tier II (%)"), _("Reopened after resolution (%)")],
        rows,
        note=_("Escalated: of the requests created, the share moved to Tier II. Reopened: of those resolved."),
    )


def _top(facts: QuerySet[TicketFact], key: str, *, limit: int) -> list[dict[str, Any]]:
    """The (id, count) of the `limit` groups of `key` with most requests and any tied with the
    last of them, counted by id alone (no join over the facts); at most a few dozen rows."""
    counts = facts.values(key).annotate(n=Count("pk")).order_by()
    margin = limit + 40
    rows = list(counts.order_by("-n")[:margin])
    if len(rows) == margin and rows[limit - 1]["n"] == rows[-1]["n"]:
        rows = list(counts.filter(n__gte=rows[limit - 1]["n"]))  # the tie runs past the margin
    return rows


def _ranked(rows: list[dict[str, Any]], key: str, named: QuerySet[Any], *, limit: int) -> list[dict[str, Any]]:
    """Rows by count, then in the order of `named` (the names sorted by the database, as an
    ORDER BY count, name would): the first `limit`, each with its names."""
    order = {row["pk"]: (index, row) for index, row in enumerate(named.filter(pk__in=[r[key] for r in rows]))}
    ranked = sorted((r for r in rows if r[key] in order), key=lambda r: (-r["n"], order[r[key]][0]))[:limit]
    return [{**r, **order[r[key]][1]} for r in ranked]


def report_organizations(scope: Scope) -> tuple[Table, Table, Table]:
    """The busiest organisations and sites, and requests per provider organisation per month."""
    created = _created(scope).filter(organization_id__isnull=False)
    organizations = Organization.objects.order_by("name")
    orgs = _ranked(_top(created, "organization_id", limit=TOP), "organization_id",
                   organizations.values("pk", "name"), limit=TOP)  # fmt: skip
    sites = _ranked(_top(created.filter(site_id__isnull=False), "site_id", limit=TOP), "site_id",
                    Site.objects.order_by("name").values("pk", "name", "organization__name"), limit=TOP)  # fmt: skip
    providers = created.filter(organization_id__in=organizations.filter(kind="provider").values("pk"))
    top_providers = list(
        providers.values("organization_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[:TOP]
        .values_list("organization_id", flat=True)
    )
    monthly = (
        providers.filter(organization_id__in=top_providers)
        .annotate(month=Trunc("created_at", "month", output_field=DateField()))
        .values("organization_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    provider_names = dict(organizations.filter(pk__in=top_providers).values_list("pk", "name"))
    months = sorted({row["month"] for row in monthly})
    per_org: dict[str, dict[date, int]] = defaultdict(dict)
    for row in monthly:
        per_org[provider_names[row["organization_id"]]][row["month"]] = row["n"]
    month_rows: list[list[Any]] = sorted(
        ([name, *[counts.get(m, 0) for m in months], sum(counts.values())] for name, counts in per_org.items()),
        key=lambda r: (-r[-1], r[0]),
    )
    return (
        Table("organizations", _("Busiest organisations"), [_("Organisation"), _("Requests")],
              [[o["name"], o["n"]] for o in orgs]),
        Table("sites", _("Busiest sites"), [_("Site"), _("Organisation"), _("Requests")],
              [[s["name"], s["organization__name"], s["n"]] for s in sites]),
        Table("provider_months", _("Requests per provider organisation per month"),
              [_("Organisation"), *[m.strftime("%Y-%m") for m in months], _("Total")], month_rows),
    )  # fmt: skip


def _person(row: Mapping[str, Any], prefix: str) -> str:
    return row[f"{prefix}__full_name"] or row[f"{prefix}__email"] or _("Unassigned")


def report_workload(scope: Scope) -> tuple[Table, Table, Table]:
    """Open requests per agent and per team now (the latest backlog snapshot: a few hundred rows,
    not the open requests), and requests resolved per week by the agents."""
    latest = BacklogSnapshot.objects.order_by("-day").values("day")[:1]
    open_now = BacklogSnapshot.objects.filter(scope.q(), day=Subquery(latest))
    agents = list(
        open_now.values("assignee_id", "assignee__full_name", "assignee__email")
        .annotate(n=Sum("count"))
        .order_by("-n", "assignee__full_name")[:AGENTS_TOP]
    )
    teams = list(open_now.values("team_id", "team__name").annotate(n=Sum("count")).order_by("-n", "team__name"))
    resolved = list(
        _facts(scope)
        .filter(resolved_at__gte=scope.start_at, resolved_at__lt=scope.end_at)
        .annotate(week=Trunc("resolved_at", "week", output_field=DateField()))
        .values("week", "assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Counted by id, named after: the join is over the agents, not the requests.
    people = {
        pk: full_name or email
        for pk, full_name, email in User.objects.filter(pk__in={r["assignee_id"] for r in resolved}).values_list(
            "pk", "full_name", "email"
        )
    }
    per_week: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    row: Any  # a row of the query, then a row of the table
    for row in resolved:
        name = people.get(row["assignee_id"]) or _("Unassigned")
        per_week[row["week"]][name] += row["n"]
        totals[name] += row["n"]
    names = sorted(totals, key=lambda n: (-totals[n], n))[:WORKLOAD_AGENTS]
    others = len(totals) > len(names)
    rows: list[list[Any]] = []
    for week in sorted(per_week):
        counts = per_week[week]
        row = [week.isoformat(), *[counts.get(n, 0) for n in names]]
        if others:
            row.append(sum(v for k, v in counts.items() if k not in names))
        row.append(sum(counts.values()))
        rows.append(row)
    columns = [_("Week"), *names, *([_("Others")] if others else []), _("Total")]
    return (
        Table("workload_agents", _("Open requests per agent"), [_("Agent"), _("Open requests")],
              [[_person(a, "assignee"), a["n"]] for a in agents]),
        Table("workload_teams", _("Open requests per team"), [_("Team"), _("Open requests")],
              [[t["team__name"] or _("No team"), t["n"]] for t in teams]),
        Table("workload_resolved", _("Resolved per week per agent"), columns, rows),
    )  # fmt: skip
