"""Time left on the SLA targets, in business time, for a whole page at once: each desk's
calendar is read once and laid out as running totals of business minutes per day, so each
row's time left is two look-ups rather than a walk over its calendar."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from .sla import BusinessCalendar, calendar_for_desk, calendar_from_settings

if TYPE_CHECKING:
    from .models import SlaCalendar, Ticket


class BusinessTimeline:
    """Business minutes counted from the start of `first` day, for `days` days; a moment
    outside the span falls back to the calendar's own walk."""

    def __init__(self, calendar: BusinessCalendar, *, around: datetime, days_back: int = 90, days_ahead: int = 180):
        self.calendar = calendar
        self.first: date = around.astimezone(calendar.tz).date() - timedelta(days=days_back)
        self.days = days_back + days_ahead
        self.totals = [0.0]
        for offset in range(self.days):
            day = self.first + timedelta(days=offset)
            minutes = 0.0
            if calendar.is_business_day(day):
                opens, closes = calendar._window(day)
                minutes = (closes - opens).total_seconds() / 60
            self.totals.append(self.totals[-1] + minutes)

    def _position(self, moment: datetime) -> float | None:
        local = moment.astimezone(self.calendar.tz)
        index = (local.date() - self.first).days
        if not 0 <= index < self.days:
            return None
        position = self.totals[index]
        if self.calendar.is_business_day(local.date()):
            opens, closes = self.calendar._window(local.date())
            position += (min(max(local, opens), closes) - opens).total_seconds() / 60
        return position

    def minutes_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        a, b = self._position(start), self._position(end)
        if a is None or b is None:
            return self.calendar.minutes_between(start, end)
        return b - a


@dataclass(frozen=True)
class Clock:
    """One SLA target as a page shows it: state is "left", "overdue", "paused", "met" or
    "none"; minutes are business minutes left (negative: overdue)."""

    state: str
    due: datetime | None = None
    minutes: float = 0.0
    at_risk: bool = False
    met_at: datetime | None = None

    @property
    def late(self) -> bool:
        return bool(self.met_at and self.due and self.met_at > self.due)


def _timelines(desk_ids: set[int], now: datetime) -> dict[int, BusinessTimeline]:
    from .models import ServiceDesk

    default = None
    timelines: dict[int, BusinessTimeline] = {}
    desks = (
        ServiceDesk.objects.filter(pk__in=desk_ids).select_related("calendar").prefetch_related("calendar__holidays")
    )
    for desk in desks:
        if desk.calendar_id is None:
            default = default or BusinessTimeline(calendar_from_settings(), around=now)
            timelines[desk.pk] = default
        else:
            calendar = cast("SlaCalendar", desk.calendar)  # calendar_id is set
            timelines[desk.pk] = BusinessTimeline(calendar_for_desk_row(calendar), around=now)
    return timelines


def calendar_for_desk_row(row: "SlaCalendar") -> BusinessCalendar:
    """A BusinessCalendar from an SlaCalendar row whose holidays are already fetched."""
    from zoneinfo import ZoneInfo

    return BusinessCalendar(
        tz=ZoneInfo(row.time_zone),
        opens=row.opens,
        closes=row.closes,
        weekdays=frozenset(row.weekdays),
        holidays=frozenset(h.date for h in row.holidays.all()),
    )


def _clock(
    *, ticket: "Ticket", due: datetime | None, met_at: datetime | None, timeline: BusinessTimeline, now: datetime
) -> Clock:
    if met_at is not None:
        return Clock("met", due=due, met_at=met_at)
    if not ticket.is_open or due is None:
        return Clock("none", due=due)
    if ticket.sla_paused_at is not None:
        return Clock("paused", due=due)
    if due > now:
        return Clock("left", due=due, minutes=timeline.minutes_between(now, due), at_risk=bool(ticket.sla_at_risk_at))
    return Clock("overdue", due=due, minutes=-timeline.minutes_between(due, now))


def clocks_attach(tickets: Iterable["Ticket"], *, now: datetime) -> None:
    """Set `first_response_clock` and `resolution_clock` on each ticket (a constant number of
    queries for the page: one for the desks' calendars and one for their holidays)."""
    tickets = list(tickets)
    timelines = _timelines({t.desk_id for t in tickets}, now) if tickets else {}
    for ticket in tickets:
        timeline = timelines.get(ticket.desk_id) or BusinessTimeline(calendar_for_desk(ticket.desk_id), around=now)
        ticket.first_response_clock = _clock(
            ticket=ticket, due=ticket.first_response_due_at, met_at=ticket.first_response_at, timeline=timeline, now=now
        )
        ticket.resolution_clock = _clock(
            ticket=ticket, due=ticket.resolution_due_at, met_at=ticket.resolved_at, timeline=timeline, now=now
        )
