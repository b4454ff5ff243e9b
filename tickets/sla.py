"""Business-hours arithmetic for SLAs: a calendar of opening hours, working weekdays and holidays
in one time zone. Every day's window is placed in local time on its own, so daylight-saving
changes (which happen at night) never shift opening hours; results are returned in UTC."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    opens: time
    closes: time
    weekdays: frozenset[int]  # ISO: Monday 1 … Sunday 7
    holidays: frozenset[date]

    def is_business_day(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return datetime.combine(day, self.opens, tzinfo=self.tz), datetime.combine(day, self.closes, tzinfo=self.tz)

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` business minutes after `start`."""
        cursor = start.astimezone(self.tz)
        remaining = timedelta(minutes=minutes)
        day = cursor.date()
        for _ in range(3660):  # ten years of days: a calendar with no business day never ends
            if self.is_business_day(day):
                opens, closes = self._window(day)
                begin = max(cursor, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time.min, tzinfo=self.tz)
        raise ValueError("the business calendar has no working time")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from `start` to `end` (0 if end is not after start)."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_business_day(day):
                opens, closes = self._window(day)
                begin, finish = max(start, opens), min(end, closes)
                if begin < finish:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 60


def calendar_from_settings() -> BusinessCalendar:
    opens, _sep, closes = settings.SLA_BUSINESS_HOURS.partition("-")
    return BusinessCalendar(
        tz=ZoneInfo(settings.SLA_TIME_ZONE),
        opens=time.fromisoformat(opens.strip()),
        closes=time.fromisoformat(closes.strip()),
        weekdays=frozenset(int(d) for d in settings.SLA_BUSINESS_DAYS.split(",") if d.strip()),
        holidays=frozenset(date.fromisoformat(d.strip()) for d in settings.SLA_HOLIDAYS.split(",") if d.strip()),
    )


def calendar_for_desk(desk_id: int | None) -> BusinessCalendar:
    """The desk's own calendar (hours, weekdays, holidays from the admin), or the settings'."""
    from .models import SlaCalendar

    row = SlaCalendar.objects.filter(desks__id=desk_id).prefetch_related("holidays").first() if desk_id else None
    if row is None:
        return calendar_from_settings()
    return BusinessCalendar(
        tz=ZoneInfo(row.time_zone),
        opens=row.opens,
        closes=row.closes,
        weekdays=frozenset(row.weekdays),
        holidays=frozenset(h.date for h in row.holidays.all()),
    )


def due_at(start: datetime, minutes: int | None, *, calendar: BusinessCalendar | None = None) -> datetime | None:
    if not minutes:
        return None
    return (calendar or calendar_from_settings()).add_minutes(start, minutes)
