"""The daily rollups: TicketFact summed per local day, desk, request type and channel.

Kept by the facts' refresh (reports/facts.py): the days a refresh touched (the old and new
creation and resolution days of every request it rewrote) are summed again from the facts, in
two grouped queries; a first build sums every day at its end. The dashboard's count charts read
these rows (thousands) instead of the facts (a million); a filter on an organisation, which the
rollups do not carry, reads the facts as before."""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import DailyRollup, ReportRefresh, TicketFact

REFRESH_NAME = "facts"

GROUP = ("desk_id", "request_type_id", "channel")
BATCH = 5000
# The columns summed over requests created on the day (`resolved` is counted on the resolution day).
CREATED_SUMS = {
    "created": Count("pk"),
    "escalated": Count("pk", filter=Q(escalated=True)),
    "reopened": Count("pk", filter=Q(reopened=True)),
    "resolved_or_reopened": Count("pk", filter=Q(resolved_at__isnull=False) | Q(reopened=True)),
    "first_response_met": Count("pk", filter=Q(first_response_met=True)),
    "first_response_decided": Count("first_response_met"),
    "resolution_met": Count("pk", filter=Q(resolution_met=True)),
    "resolution_decided": Count("resolution_met"),
    "first_response_target": Max("first_response_target"),
    "resolution_target": Max("resolution_target"),
}


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _runs(days: list[date]) -> Iterable[tuple[date, date]]:
    """Sorted days as runs of consecutive days (first, last)."""
    first = last = days[0]
    for day in days[1:]:
        if day != last + timedelta(days=1):
            yield first, last
            first = day
        last = day
    yield first, last


def _on_days(column: str, days: list[date] | None) -> Q:
    if days is None:
        return Q()
    q = Q(pk__in=[])
    for first, last in _runs(days):
        q |= Q(**{f"{column}__gte": _midnight(first), f"{column}__lt": _midnight(last + timedelta(days=1))})
    return q


def _sums(days: list[date] | None) -> list[DailyRollup]:
    facts = TicketFact.objects.order_by()
    rows: dict[tuple[Any, ...], DailyRollup] = {}
    created = (
        facts.filter(_on_days("created_at", days))
        .annotate(day=TruncDate("created_at"))
        .values("day", *GROUP)
        .annotate(**{f"sum_{name}": value for name, value in CREATED_SUMS.items()})
    )
    for row in created:
        rows[(row["day"], *(row[k] for k in GROUP))] = DailyRollup(
            day=row["day"], **{k: row[k] for k in GROUP}, **{name: row[f"sum_{name}"] for name in CREATED_SUMS}
        )
    resolved = (
        facts.filter(_on_days("resolved_at", days), resolved_at__isnull=False)
        .annotate(day=TruncDate("resolved_at"))
        .values("day", *GROUP)
        .annotate(n=Count("pk"))
    )
    for row in resolved:
        key = (row["day"], *(row[k] for k in GROUP))
        if key not in rows:
            rows[key] = DailyRollup(day=row["day"], **{k: row[k] for k in GROUP})
        rows[key].resolved = row["n"]
    return list(rows.values())


def rollups_refresh_days(*, days: Iterable[date] | None = None) -> int:
    """Sum these local days again from the facts (every day when None). Returns the rows written."""
    chosen = None if days is None else sorted(set(days))
    if chosen == []:
        return 0
    rows = _sums(chosen)
    with transaction.atomic():
        stale = DailyRollup.objects.all() if chosen is None else DailyRollup.objects.filter(day__in=chosen)
        stale.delete()
        DailyRollup.objects.bulk_create(rows, batch_size=BATCH)
        summary_changed()
    return len(rows)


def summary_changed() -> None:
    """The summary tables changed: figures cached before are not read again (reports/cached.py)."""
    if not ReportRefresh.objects.filter(name=REFRESH_NAME).update(version=F("version") + 1):
        ReportRefresh.objects.get_or_create(name=REFRESH_NAME, defaults={"version": 1})


def summary_version() -> int:
    return ReportRefresh.objects.filter(name=REFRESH_NAME).values_list("version", flat=True).first() or 0


def fact_days(facts: QuerySet[TicketFact]) -> set[date]:
    """The local days these facts count on: their creation and their resolution."""
    days: set[date] = set()
    for created_at, resolved_at in facts.values_list("created_at", "resolved_at"):
        days.add(timezone.localdate(created_at))
        if resolved_at is not None:
            days.add(timezone.localdate(resolved_at))
    return days
