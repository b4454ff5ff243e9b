"""SLA arithmetic on a business calendar. Every expected time is written out by hand."""

from datetime import UTC, datetime

import pytest

from tickets.sla import calendar_from_settings

CHICAGO_CALENDAR = {
    "SLA_TIME_ZONE": "America/Chicago",
    "SLA_BUSINESS_HOURS": "08:00-17:00",
    "SLA_BUSINESS_DAYS": "1,2,3,4,5",
    "SLA_HOLIDAYS": "2026-12-25,2027-01-01",
}


@pytest.fixture
def calendar(settings):
    for key, value in CHICAGO_CALENDAR.items():
        setattr(settings, key, value)
    return calendar_from_settings()


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # Monday 23 Nov 2026, 10:00 CST (16:00 UTC) + 2 h → 12:00 CST.
        (utc(2026, 11, 23, 16, 0), 120, utc(2026, 11, 23, 18, 0)),
        # Friday 16:00 CST + 2 h → 1 h on Friday, 1 h on Monday: Monday 09:00 CST.
        (utc(2026, 11, 20, 22, 0), 120, utc(2026, 11, 23, 15, 0)),
        # Saturday 11:00 CST + 1 h → Monday 09:00 CST.
        (utc(2026, 11, 21, 17, 0), 60, utc(2026, 11, 23, 15, 0)),
        # Tuesday 06:00 CST (before opening) + 30 min → 08:30 CST.
        (utc(2026, 11, 24, 12, 0), 30, utc(2026, 11, 24, 14, 30)),
        # Monday 08:00 CST + 27 h (three full days) → Wednesday 17:00 CST, not Thursday 08:00.
        (utc(2026, 11, 23, 14, 0), 27 * 60, utc(2026, 11, 25, 23, 0)),
        # Thursday 24 Dec 16:30 CST + 1 h; Friday 25 Dec is a holiday → Monday 28 Dec 08:30 CST.
        (utc(2026, 12, 24, 22, 30), 60, utc(2026, 12, 28, 14, 30)),
        # Thursday 31 Dec 16:00 + 2 h; 1 Jan is a holiday → Monday 4 Jan 2027 09:00 CST.
        (utc(2026, 12, 31, 22, 0), 120, utc(2027, 1, 4, 15, 0)),
        # Spring forward (Sunday 8 Mar 2026): Friday 16:00 CST (22:00 UTC) + 2 h → Monday 09:00 CDT = 14:00 UTC.
        (utc(2026, 3, 6, 22, 0), 120, utc(2026, 3, 9, 14, 0)),
        # Fall back (Sunday 1 Nov 2026): Friday 16:30 CDT (21:30 UTC) + 1 h → Monday 08:30 CST = 14:30 UTC.
        (utc(2026, 10, 30, 21, 30), 60, utc(2026, 11, 2, 14, 30)),
        # Friday 17:00 CST exactly + 1 min → Monday 08:01 CST.
        (utc(2026, 11, 20, 23, 0), 1, utc(2026, 11, 23, 14, 1)),
    ],
)
def test_it_adds_business_minutes(calendar, start, minutes, expected):
    assert calendar.add_minutes(start, minutes) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (utc(2026, 11, 20, 22, 0), utc(2026, 11, 23, 15, 0), 120),  # Fri 16:00 → Mon 09:00
        (utc(2026, 11, 21, 15, 0), utc(2026, 11, 22, 23, 0), 0),  # the whole weekend
        (utc(2026, 11, 23, 15, 0), utc(2026, 11, 23, 14, 0), 0),  # end before start
        (utc(2026, 3, 6, 22, 0), utc(2026, 3, 9, 14, 0), 120),  # across spring forward
        (utc(2026, 12, 24, 13, 0), utc(2026, 12, 28, 15, 0), 9 * 60 + 60),  # Thu, holiday, weekend, Mon 1 h
    ],
)
def test_it_counts_business_minutes_between(calendar, start, end, expected):
    assert calendar.minutes_between(start, end) == expected


def test_it_refuses_a_calendar_without_working_time(settings):
    settings.SLA_BUSINESS_DAYS = ""
    with pytest.raises(ValueError):
        calendar_from_settings().add_minutes(utc(2026, 11, 23, 16, 0), 10)
