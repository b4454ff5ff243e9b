"""Queues, keyset pages, bulk actions, SLA clocks and jobs, work items, scheduled lifecycle."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tickets.clocks import lifecycle_clocks_run, sla_check
from tickets.models import Activity, RequestType, Ticket, WorkItem
from tickets.selectors import agent_queue_page
from tickets.services import (
    ticket_assign,
    ticket_comment,
    ticket_request_escalation,
    ticket_submit,
    ticket_transition,
)
from tickets.values import SubmittedValues
from tickets.work_items import work_item_create, work_item_link, work_item_set_status

CALENDAR = {
    "SLA_TIME_ZONE": "America/Chicago",
    "SLA_BUSINESS_HOURS": "08:00-17:00",
    "SLA_BUSINESS_DAYS": "1,2,3,4,5",
    "SLA_HOLIDAYS": "",
}


def submit(customer, summary="Queue me", **kwargs):
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary=summary, description="", fields={}, files={}),
        **kwargs,
    )


def refs(client, queue, **params):
    page = client.get(reverse("agent:queue", args=[queue]), params)
    assert page.status_code == 200
    return [t.reference for t in Ticket.objects.all() if f">{t.reference}<" in page.content.decode()]


@pytest.mark.django_db
def test_each_named_queue_holds_what_its_name_says(client, customer, tier1, tier2):
    unassigned = submit(customer, "unassigned")
    mine = submit(customer, "mine")
    ticket_assign(ticket=mine, actor=tier1, assignee=tier1)
    waiting = submit(customer, "waiting")
    ticket_transition(ticket=waiting, action="ask_customer", actor=tier1, note="Which browser?")
    escalated = submit(customer, "escalated")
    ticket_request_escalation(ticket=escalated, actor=customer, reason="Urgent")
    resolved = submit(customer, "resolved")
    ticket_transition(ticket=resolved, action="resolve", actor=tier1)
    client.force_login(tier1)
    assert set(refs(client, "unassigned")) == {unassigned.reference, waiting.reference, escalated.reference}
    assert refs(client, "mine") == [mine.reference]
    assert refs(client, "waiting-for-customer") == [waiting.reference]
    assert refs(client, "escalation-requested") == [escalated.reference]
    assert refs(client, "recently-resolved") == [resolved.reference]
    assert resolved.reference not in refs(client, "tier-1")
    assert refs(client, "tier-2") == []
    page = client.get(reverse("agent:queue", args=["unassigned"])).content.decode()
    for label in ("My teams", "Tier II", "SLA at risk", "Breached", "Recently resolved"):
        assert label in page
    assert client.get(reverse("agent:queue", args=["nonsense"])).status_code == 404


@pytest.mark.django_db
def test_queues_are_per_desk_when_asked(client, customer, tier1):
    csd = submit(customer, "csd")
    edi = ticket_submit(
        request_type=RequestType.objects.get(desk__key="EDI", key="provider-request"),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="edi", description="", fields={}, files={}),
    )
    client.force_login(tier1)
    assert refs(client, "unassigned", desk="edi-support") == [edi.reference]
    assert set(refs(client, "unassigned")) == {csd.reference, edi.reference}


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 3])
def test_keyset_pages_walk_the_queue_in_due_order_without_gaps(customer, tier1, size):
    tickets = [submit(customer, f"t{i}") for i in range(7)]
    base = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    for index, ticket in enumerate(tickets):
        # Two share a due time, one has none: ties break on id, undated last.
        due = None if index in (3, 5) else base + timedelta(hours=index % 5)
        Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=due)
    seen, after = [], ""
    while True:
        page, after = agent_queue_page(queue="unassigned", user=tier1, after=after, size=size)
        seen += [t.reference for t in page]
        if not after:
            break
    expected = sorted(
        Ticket.objects.all(), key=lambda t: (t.resolution_due_at or datetime.max.replace(tzinfo=UTC), t.pk)
    )
    assert seen == [t.reference for t in expected]
    assert seen[-2:] == [tickets[3].reference, tickets[5].reference]


@pytest.mark.django_db
def test_a_junk_cursor_starts_from_the_top(client, customer, tier1):
    ticket = submit(customer)
    client.force_login(tier1)
    assert refs(client, "unassigned", after="not-a-cursor") == [ticket.reference]


@pytest.mark.django_db
def test_the_queue_runs_the_same_queries_for_one_row_as_for_fifty(client, customer, tier1):
    submit(customer)
    client.force_login(tier1)
    url = reverse("agent:queue", args=["unassigned"])

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    one = count()
    for index in range(49):
        submit(customer, f"more {index}")
    assert count() == one


@pytest.mark.django_db
def test_the_agent_request_page_runs_the_same_queries_for_one_entry_as_for_fifty(client, customer, tier1):
    ticket = submit(customer)
    client.force_login(tier1)
    url = reverse("agent:ticket_detail", args=[ticket.reference])

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    ticket_comment(ticket=ticket, author=tier1, body="first", internal=True)
    one = count()
    for index in range(49):
        ticket_comment(ticket=ticket, author=tier1 if index % 2 else customer, body=f"entry {index}")
    assert count() == one


@pytest.mark.django_db
def test_bulk_actions_go_through_the_services_and_are_logged(client, customer, tier1, outsider):
    first, second = submit(customer, "one"), submit(customer, "two")
    client.force_login(tier1)
    response = client.post(
        reverse("agent:bulk"), {"tickets": [first.reference, second.reference], "action": "assign_me"}
    )
    assert response.status_code == 302
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {tier1.pk}
    assert Activity.objects.filter(kind="assignment").count() == 2
    client.post(reverse("agent:bulk"), {"tickets": [first.reference, "CSD-999"], "action": "resolve"})
    assert Ticket.objects.get(pk=first.pk).status == "resolved"
    assert Ticket.objects.get(pk=second.pk).status == "waiting_for_support"
    client.post(reverse("agent:bulk"), {"tickets": [first.reference], "action": "start_progress"})
    assert Ticket.objects.get(pk=first.pk).status == "resolved"  # refused by the lifecycle, nothing changed
    client.force_login(outsider)
    assert client.post(reverse("agent:bulk"), {"tickets": [second.reference], "action": "resolve"}).status_code == 404


# --- SLA ---------------------------------------------------------------------------------------


@pytest.fixture
def calendar(settings):
    for key, value in CALENDAR.items():
        setattr(settings, key, value)


@pytest.mark.django_db
def test_due_times_are_business_time_and_pause_while_waiting(calendar, customer, tier1, monkeypatch):
    RequestType.objects.filter(key="general-request").update(sla_first_response_minutes=60, sla_resolution_minutes=480)
    monday_10 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Monday 10:00 CST
    monkeypatch.setattr(timezone, "now", lambda: monday_10)
    ticket = submit(customer)
    assert ticket.first_response_due_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 11:00 CST
    # 7 h left on Monday (10:00-17:00), the eighth on Tuesday: 09:00 CST.
    assert ticket.resolution_due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 23, 17, 0, tzinfo=UTC))  # 11:00
    ticket_comment(ticket=ticket, author=tier1, body="Which browser?")
    ticket = ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="Which browser?")
    assert ticket.sla_paused_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 23, 21, 0, tzinfo=UTC))  # 15:00: 4 h paused
    ticket_comment(ticket=ticket, author=customer, body="Edge")
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"
    assert ticket.sla_paused_at is None
    assert ticket.resolution_due_at == datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # Tuesday 13:00 CST


@pytest.mark.django_db
def test_the_sla_job_flags_at_risk_then_breached_and_tells_the_assignee(calendar, customer, tier1, monkeypatch):
    RequestType.objects.filter(key="general-request").update(
        sla_first_response_minutes=None, sla_resolution_minutes=240
    )
    monday_8 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 08:00 CST; due 12:00 CST
    monkeypatch.setattr(timezone, "now", lambda: monday_8)
    ticket = submit(customer)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=monday_8)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    assert sla_check(now=monday_8 + timedelta(hours=2)) == {"at_risk": 0, "breached": 0}  # half used
    assert sla_check(now=monday_8 + timedelta(hours=3, minutes=5)) == {"at_risk": 1, "breached": 0}
    assert sla_check(now=monday_8 + timedelta(hours=3, minutes=10)) == {"at_risk": 0, "breached": 0}
    assert sla_check(now=monday_8 + timedelta(hours=4, minutes=1)) == {"at_risk": 0, "breached": 1}
    assert sla_check(now=monday_8 + timedelta(hours=5)) == {"at_risk": 0, "breached": 0}
    ticket.refresh_from_db()
    assert ticket.sla_at_risk_at and ticket.sla_breached_at
    kinds = Notification.objects.filter(to_email=tier1.email, kind__startswith="sla_").values_list("kind", flat=True)
    assert sorted(kinds) == ["sla_at_risk", "sla_breached"]
    assert Activity.objects.filter(ticket=ticket, kind="sla").count() == 2


@pytest.mark.django_db
def test_the_customer_sees_when_to_expect_a_reply(client, calendar, customer, tier1):
    RequestType.objects.filter(key="general-request").update(sla_first_response_minutes=60)
    ticket = submit(customer)
    client.force_login(customer)
    page = client.get(reverse("portal:request_detail", args=[ticket.reference])).content.decode()
    assert "Expect a reply by" in page
    ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="More please")
    page = client.get(reverse("portal:request_detail", args=[ticket.reference])).content.decode()
    assert "Expect a reply by" not in page


@pytest.mark.django_db
def test_scheduled_clocks_remind_then_resolve_then_close(settings, customer, tier1):
    settings.WAITING_FOR_CUSTOMER_REMINDER_DAYS = 3
    settings.WAITING_FOR_CUSTOMER_AUTO_RESOLVE_DAYS = 7
    settings.AUTO_CLOSE_RESOLVED_DAYS = 7
    ticket = submit(customer)
    ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="Details?")
    now = timezone.now()
    assert lifecycle_clocks_run(now=now + timedelta(days=1)) == {"closed": 0, "reminded": 0, "auto_resolved": 0}
    assert lifecycle_clocks_run(now=now + timedelta(days=4)) == {"closed": 0, "reminded": 1, "auto_resolved": 0}
    assert lifecycle_clocks_run(now=now + timedelta(days=5)) == {"closed": 0, "reminded": 0, "auto_resolved": 0}
    assert Notification.objects.filter(kind="reminder", to_email=customer.email).count() == 1
    assert lifecycle_clocks_run(now=now + timedelta(days=8))["auto_resolved"] == 1
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert lifecycle_clocks_run(now=ticket.resolved_at + timedelta(days=8))["closed"] == 1
    ticket.refresh_from_db()
    assert ticket.status == "closed"


# --- Work items --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tier_two_links_requests_to_a_work_item_and_hears_when_it_is_done(client, customer, tier1, tier2):
    first, second = submit(customer, "first"), submit(customer, "second")
    ticket_assign(ticket=first, actor=tier2, assignee=tier2)
    client.force_login(tier1)
    response = client.post(reverse("agent:ticket_work_item", args=[first.reference]), {"title": "Bug", "kind": "bug"})
    assert response.status_code == 403
    assert not WorkItem.objects.exists()
    client.force_login(tier2)
    response = client.post(
        reverse("agent:ticket_work_item", args=[first.reference]),
        {"title": "Blank dashboard", "kind": "bug", "external_url": "tracker.example/BUG-1"},
    )
    assert response.status_code == 302
    item = WorkItem.objects.get()
    assert item.external_url == "https://tracker.example/BUG-1"
    client.post(reverse("agent:ticket_work_item", args=[second.reference]), {"work_item": item.pk, "kind": "bug"})
    assert set(item.tickets.values_list("reference", flat=True)) == {first.reference, second.reference}
    response = client.post(reverse("agent:work_item_status", args=[item.pk]), {"status": "done"})
    assert response.status_code == 302
    assert Activity.objects.filter(kind="work_item", new_value="done").count() == 2
    assert Notification.objects.filter(kind="work_item_done", to_email=tier2.email, subject__contains=first.reference)
    assert Notification.objects.filter(kind="work_item_done", to_email=tier1.email, subject__contains=second.reference)


@pytest.mark.django_db
def test_a_work_item_needs_a_title_or_an_existing_one(client, customer, tier2):
    ticket = submit(customer)
    client.force_login(tier2)
    response = client.post(reverse("agent:ticket_work_item", args=[ticket.reference]), {"kind": "bug"})
    assert response.status_code == 400
    assert b"Choose a work item or give a new one a title." in response.content


@pytest.mark.django_db
def test_bulk_links_to_a_work_item(client, customer, tier2):
    first, second = submit(customer, "a"), submit(customer, "b")
    item = work_item_create(actor=tier2, title="Feature X", kind="feature")
    work_item_link(ticket=first, actor=tier2, work_item=item)
    client.force_login(tier2)
    client.post(
        reverse("agent:bulk"),
        {"tickets": [first.reference, second.reference], "action": "work_item", "work_item": item.pk},
    )
    assert set(item.tickets.values_list("pk", flat=True)) == {first.pk, second.pk}
    work_item_set_status(work_item=item, actor=tier2, status="in_progress")
    assert not Activity.objects.filter(kind="work_item", new_value="done").exists()


@pytest.mark.django_db
def test_a_desk_counts_its_slas_on_its_own_calendar_from_the_admin(catalogue, customer, monkeypatch):
    from tickets.models import Holiday, ServiceDesk, SlaCalendar

    madrid = SlaCalendar.objects.create(
        name="Madrid mornings", time_zone="Europe/Madrid", opens="09:00", closes="13:00", weekdays=[1, 2, 3, 4]
    )
    Holiday.objects.create(calendar=madrid, date="2026-12-08", name="Inmaculada Concepción")
    ServiceDesk.objects.filter(key="CSD").update(calendar=madrid)
    RequestType.objects.filter(desk__key="CSD", key="general-request").update(
        sla_first_response_minutes=120, sla_resolution_minutes=600
    )
    # Monday 7 December 2026, 12:00 in Madrid (UTC+1).
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 7, 11, 0, tzinfo=UTC))
    ticket = submit(customer)
    # 60 min on Monday, Tuesday is a holiday, the other 60 on Wednesday: 10:00 Madrid.
    assert ticket.first_response_due_at == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    # 60 Mon + 240 Wed + 240 Thu, no Friday or weekend, the last 60 on Monday 14th: 10:00 Madrid.
    assert ticket.resolution_due_at == datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_calendar_must_make_sense(catalogue):
    from django.core.exceptions import ValidationError

    from tickets.models import SlaCalendar

    for bad in ({"time_zone": "Mars/Olympus"}, {"opens": "17:00", "closes": "09:00"}, {"weekdays": [0, 8]}):
        with pytest.raises(ValidationError):
            SlaCalendar(name="Bad", **bad).full_clean()
    SlaCalendar(name="Good", time_zone="America/New_York").full_clean()
