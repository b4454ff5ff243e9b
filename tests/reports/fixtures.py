"""A fixed week of requests whose figures are worked out by hand in the tests.

Calendar: the SLA settings' default, 08:00-17:00 Monday to Friday in America/Chicago.
CSD "general-request": first response 240 business minutes, resolution 2880.

  A  Mon 2 Nov 09:00, answered 10:00 (60), resolved 13:00 (240), reopened once     portal
  B  Mon 2 Nov 16:00, answered Tue 09:00 (120), resolved Tue 17:00 (600), Tier II  portal
  C  Tue 3 Nov 10:00, answered 15:00 (300, late: due 14:00), resolved Wed 10:00 (540)  portal
  D  Fri 6 Nov 16:00, answered Mon 9 Nov 08:30 (90), still open (resolution past due)  e-mail

All four from Sunny Days Child Care; A, B and C name its site Main.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

CHICAGO = ZoneInfo("America/Chicago")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def week(submit, customer, tier1, tier2):
    from tickets import sla
    from tickets.models import Ticket
    from tickets.services import ticket_assign, ticket_comment, ticket_escalate_tier, ticket_transition

    def answered(ticket, agent=tier1):
        ticket_comment(ticket=ticket, author=agent, body="We are on it.")

    a = submit(customer, summary="Printer settings")
    answered(a)
    ticket_transition(ticket=a, action="resolve", actor=tier1)
    ticket_transition(ticket=a, action="reopen", actor=customer)
    ticket_transition(ticket=a, action="resolve", actor=tier1)
    b = submit(customer, summary="Claim export")
    answered(b)
    ticket_escalate_tier(ticket=b, actor=tier1, to_tier=2, reason="Needs the claims team.")
    ticket_transition(ticket=b, action="resolve", actor=tier2)
    c = submit(customer, summary="Schedule colours")
    answered(c)
    ticket_transition(ticket=c, action="resolve", actor=tier1)
    d = submit(customer, summary="Mailbox question")
    answered(d)
    ticket_assign(ticket=d, actor=tier1, assignee=tier1)

    calendar = sla.calendar_from_settings()
    times = {
        a: (local(2, 9), local(2, 10), local(2, 13)),
        b: (local(2, 16), local(3, 9), local(3, 17)),
        c: (local(3, 10), local(3, 15), local(4, 10)),
        d: (local(6, 16), local(9, 8, 30), None),
    }
    for ticket, (created, first, resolved) in times.items():
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_response_at=first,
            resolved_at=resolved,
            first_response_due_at=calendar.add_minutes(created, 240),
            resolution_due_at=calendar.add_minutes(created, 2880),
        )
    Ticket.objects.filter(pk=d.pk).update(channel="email")
    Ticket.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(site=a.organization.sites.get())
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.fixture
def refreshed(week):
    from reports.facts import reports_refresh

    reports_refresh(full=True)
    return week


WEEK_QUERY = {"date_from": "2026-11-02", "date_to": "2026-11-09", "period": "day"}
