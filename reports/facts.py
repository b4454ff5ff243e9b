"""Bring the summary tables up to date: one TicketFact per request changed since the last run
(read from the tickets and their activity log in batches) and today's backlog snapshot.

Business minutes are worked out here, once per changed request, on its desk's calendar
(tickets/sla.py): the reports then aggregate stored numbers in SQL."""

import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from tickets import sla
from tickets.models import Activity, Ticket
from tickets.workflow import OPEN_STATUSES, Status

from .models import BacklogSnapshot, DailyRollup, ReportRefresh, TicketFact
from .rollups import REFRESH_NAME, fact_days, rollups_refresh_days, summary_changed

BATCH = 2000
FACT_FIELDS = [
    "desk_id", "request_type_id", "organization_id", "site_id", "team_id", "assignee_id", "channel", "status",
    "tier", "created_at", "resolved_at", "first_response_minutes", "resolution_minutes", "first_response_target",
    "resolution_target", "first_response_met", "resolution_met", "escalated", "reopened",
]  # fmt: skip


def _met(*, done_at: datetime | None, due_at: datetime | None, now: datetime, waiting: bool) -> bool | None:
    """Whether a clock met its due time: decided once it stopped, or once it is past due while running."""
    if due_at is None:
        return None
    if done_at is not None:
        return done_at <= due_at
    if not waiting and now > due_at:
        return False
    return None


def _fact(row: Mapping[str, Any], *, calendar: sla.BusinessCalendar, now: datetime) -> TicketFact:
    created = row["created_at"]
    first_at, resolved_at = row["first_response_at"], row["resolved_at"]
    is_open = row["status"] in OPEN_STATUSES
    waiting = row["sla_paused_at"] is not None
    return TicketFact(
        ticket_id=row["id"],
        desk_id=row["desk_id"],
        request_type_id=row["request_type_id"],
        organization_id=row["organization_id"],
        site_id=row["site_id"],
        team_id=row["team_id"],
        assignee_id=row["assignee_id"],
        channel=row["channel"],
        status=row["status"],
        tier=row["tier"],
        created_at=created,
        resolved_at=resolved_at,
        first_response_minutes=calendar.minutes_between(created, first_at) if first_at else None,
        resolution_minutes=calendar.minutes_between(created, resolved_at) if resolved_at else None,
        first_response_target=row["request_type__sla_first_response_minutes"],
        resolution_target=row["request_type__sla_resolution_minutes"],
        first_response_met=_met(
            done_at=first_at, due_at=row["first_response_due_at"], now=now, waiting=waiting or not is_open
        ),
        resolution_met=_met(
            done_at=resolved_at, due_at=row["resolution_due_at"], now=now, waiting=waiting or not is_open
        ),
        escalated=row["escalated"],
        reopened=row["reopened"],
    )


def _rows(ids: list[int]) -> Iterator[Mapping[str, Any]]:
    activities = Activity.objects.filter(ticket=OuterRef("pk"))
    yield from (
        Ticket.objects.filter(pk__in=ids)
        .annotate(
            escalated=Exists(activities.filter(kind=Activity.Kind.TIER, new_value="2")),
            reopened=Exists(
                activities.filter(
                    kind=Activity.Kind.STATUS, old_value=Status.RESOLVED, new_value=Status.WAITING_FOR_SUPPORT
                )
            ),
        )  # fmt: skip
        .values(
            "id",
            "desk_id",
            "request_type_id",
            "organization_id",
            "site_id",
            "team_id",
            "assignee_id",
            "channel",
            "status",
            "tier",
            "created_at",
            "resolved_at",
            "first_response_at",
            "first_response_due_at",
            "resolution_due_at",
            "sla_paused_at",
            "request_type__sla_first_response_minutes",
            "request_type__sla_resolution_minutes",
            "escalated",
            "reopened",
        )  # fmt: skip
    )


def facts_refresh_tickets(*, ids: Iterable[int], now: datetime | None = None, rollups: bool = True) -> int:
    """Rewrite the summary rows of these requests, and the daily rollups of the days they count
    on, before and after (a first build sums the rollups once at its end instead: `rollups`
    False). Returns how many were written."""
    now = now or timezone.now()
    ids = sorted(set(ids))
    calendars: dict[int, sla.BusinessCalendar] = {}
    written = 0
    days: set[date] = set()
    for start in range(0, len(ids), BATCH):
        if rollups:
            days |= fact_days(TicketFact.objects.filter(pk__in=ids[start : start + BATCH]))
        facts = []
        for row in _rows(ids[start : start + BATCH]):
            if row["desk_id"] not in calendars:
                calendars[row["desk_id"]] = sla.calendar_for_desk(row["desk_id"])
            facts.append(_fact(row, calendar=calendars[row["desk_id"]], now=now))
        TicketFact.objects.bulk_create(
            facts, update_conflicts=True, unique_fields=["ticket"], update_fields=FACT_FIELDS, batch_size=BATCH
        )
        written += len(facts)
        if rollups:
            days |= fact_days(TicketFact.objects.filter(pk__in=ids[start : start + BATCH]))
    if rollups:
        rollups_refresh_days(days=days)
    summary_changed()
    return written


def _changed_since(since: datetime) -> Iterator[int]:
    yield from Ticket.objects.filter(created_at__gte=since).values_list("pk", flat=True)
    yield from Activity.objects.filter(created_at__gte=since).values_list("ticket_id", flat=True).distinct()
    # Open requests whose due time passed since: their SLA outcome is decided now.
    yield from Ticket.objects.filter(
        status__in=list(OPEN_STATUSES), sla_paused_at__isnull=True
    ).filter(
        Q(first_response_due_at__range=(since, timezone.now()), first_response_at__isnull=True)
        | Q(resolution_due_at__range=(since, timezone.now()))
    ).values_list("pk", flat=True)  # fmt: skip


def backlog_snapshot(*, day: date | None = None) -> int:
    """Replace the backlog counts of `day` (today) with the open requests now, from the facts."""
    day = day or timezone.localdate()
    groups = (
        TicketFact.objects.filter(status__in=list(OPEN_STATUSES))
        .values("desk_id", "request_type_id", "organization_id", "channel", "status", "tier", "team_id", "assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [BacklogSnapshot(day=day, count=g["n"], **{k: v for k, v in g.items() if k != "n"}) for g in groups]
    with transaction.atomic():
        BacklogSnapshot.objects.filter(day=day).delete()
        BacklogSnapshot.objects.bulk_create(rows, batch_size=BATCH)
        summary_changed()
    return len(rows)


def _build(state: ReportRefresh, *, deadline: float | None, now: datetime) -> bool:
    """Walk every request by id from the saved cursor, batch by batch, until done (True) or out
    of time (False; the next run goes on from there)."""
    while True:
        ids = list(Ticket.objects.filter(pk__gt=state.build_cursor).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return True
        state.tickets += facts_refresh_tickets(ids=ids, now=now, rollups=False)
        state.build_cursor = ids[-1]
        ReportRefresh.objects.filter(pk=state.pk).update(build_cursor=state.build_cursor, tickets=state.tickets)
        if deadline is not None and time.monotonic() > deadline:
            return False


def reports_refresh(*, full: bool = False, budget_seconds: float | None = None) -> ReportRefresh:
    """The beat job: refresh the facts of every request changed since the last run, then today's
    backlog. The first run (or `full`) builds every request's row instead, over as many runs as
    its `budget_seconds` need. Safe to run twice."""
    started = timezone.now()
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    state, _created = ReportRefresh.objects.get_or_create(name=REFRESH_NAME)
    if full:
        state.watermark, state.build_cursor, state.build_started_at = None, 0, None
    if state.watermark is None:
        if state.build_started_at is None:
            state.build_started_at, state.tickets = started, 0
            ReportRefresh.objects.filter(pk=state.pk).update(build_started_at=started, build_cursor=state.build_cursor,
                                                             watermark=None, tickets=0)  # fmt: skip
        if not _build(state, deadline=deadline, now=started):
            return state
        rollups_refresh_days()
        # Done: changes made while it ran are read by the next run, from when the build began.
        watermark, count = state.build_started_at, state.tickets
    else:
        since = state.watermark - timedelta(seconds=settings.REPORTS_REFRESH_OVERLAP_SECONDS)
        watermark, count = started, facts_refresh_tickets(ids=_changed_since(since), now=started)
        if not DailyRollup.objects.exists() and TicketFact.objects.exists():
            rollups_refresh_days()  # facts built before the rollups existed: sum every day once
    backlog_snapshot()
    ReportRefresh.objects.filter(pk=state.pk).update(
        watermark=watermark, finished_at=timezone.now(), tickets=count, build_cursor=0, build_started_at=None
    )
    state.refresh_from_db()
    return state


def reports_freshness() -> datetime | None:
    return ReportRefresh.objects.filter(name=REFRESH_NAME).values_list("finished_at", flat=True).first()


def reports_refresh_if_stale() -> None:
    """Where no beat runs (REPORTS_REFRESH_ON_VIEW), a report page brings the tables up to date."""
    if not settings.REPORTS_REFRESH_ON_VIEW:
        return
    fresh = reports_freshness()
    if fresh is None or timezone.now() - fresh > timedelta(seconds=settings.REPORTS_REFRESH_SECONDS):
        reports_refresh(budget_seconds=settings.REPORTS_REFRESH_BUDGET_SECONDS)
