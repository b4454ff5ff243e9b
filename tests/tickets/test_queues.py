"""The queue table: agents told of customers' replies, "updated since you last looked", the
"Customer replied" queue, both SLA clocks in business time, sorting by any date column with
keyset pages, each agent's columns, and a query count that does not grow with the rows."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tickets.models import RequestType, Ticket, TicketSeen
from tickets.queues import QUEUE_SORTS, agent_queue_page
from tickets.services import ticket_assign, ticket_comment, ticket_submit, ticket_transition
from tickets.sla import BusinessCalendar
from tickets.sla_clock import BusinessTimeline, clocks_attach
from tickets.values import SubmittedValues


def alerts(agent) -> list[Notification]:
    return list(Notification.objects.filter(kind="customer_activity", to_email=agent.email))


# --- Agents never miss a reply ----------------------------------------------------------------


@pytest.mark.django_db
def test_it_emails_the_assignee_when_the_customer_replies(submit, customer, tier1):
    ticket = submit(customer)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    ticket_comment(ticket=ticket, author=customer, body="Here is the screenshot you asked for.")
    [mail] = alerts(tier1)
    assert ticket.reference in mail.subject and "Customer replied" in mail.subject
    assert "Carla Customer wrote" in mail.body_text and "screenshot you asked for" in mail.body_text
    assert f"/agent/tickets/{ticket.reference}/" in mail.body_text  # the agent's page, not the portal's


@pytest.mark.django_db
def test_it_emails_the_team_when_nobody_is_assigned(submit, customer, tier1, tier2):
    ticket = submit(customer)
    ticket_comment(ticket=ticket, author=customer, body="Any news?")
    assert len(alerts(tier1)) == 1  # Tier I team member
    assert alerts(tier2) == []  # not on the request's team


@pytest.mark.django_db
def test_it_emails_the_assignee_when_a_participant_writes(submit, customer, colleague, tier1):
    from tickets.services import ticket_share

    ticket = submit(customer)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    ticket_comment(ticket=ticket, author=colleague, body="I am the colleague, adding a detail.")
    [mail] = alerts(tier1)
    assert "Cole Colleague wrote" in mail.body_text


@pytest.mark.django_db
def test_it_respects_the_agents_own_email_choice(submit, customer, tier1):
    tier1.muted_notifications = ["customer_activity"]
    tier1.save()
    ticket = submit(customer)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    ticket_comment(ticket=ticket, author=customer, body="Hello?")
    assert alerts(tier1) == []


@pytest.mark.django_db
def test_it_does_not_email_agents_about_agents_own_words(submit, customer, tier1, tier2):
    ticket = submit(customer)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    ticket_comment(ticket=ticket, author=tier2, body="An answer from Tier II.")
    ticket_comment(ticket=ticket, author=tier2, body="A note.", internal=True)
    assert alerts(tier1) == []


@pytest.mark.django_db
def test_it_emails_the_assignee_when_the_customer_answers_by_mail(submit, receive, customer, tier1):
    from tests.imap_server import compose

    ticket = submit(customer)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    receive(compose(subject=f"Re: [{ticket.reference}] Need help", body="Answering by mail."))
    [mail] = alerts(tier1)
    assert "Answering by mail." in mail.body_text
    ticket.refresh_from_db()
    assert ticket.customer_replied_at is not None


@pytest.mark.django_db
def test_it_emails_the_team_when_a_request_is_approved(customer, voucher, tier1):
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    RequestType.objects.filter(pk=request_type.pk).update(needs_approval=True)
    request_type.refresh_from_db()
    ticket = ticket_submit(
        request_type=request_type,
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="Needs a yes", description="", fields={}, files={}),
    )
    assert alerts(tier1) == []
    ticket_transition(ticket=ticket, action="approve", actor=voucher)
    [mail] = alerts(tier1)
    assert "Approved" in mail.subject and "Vera Voucher approved" in mail.body_text


@pytest.mark.django_db
def test_it_offers_the_choice_in_the_agents_profile(client, tier1, customer):
    client.force_login(tier1)
    assert "customer_activity" in client.get(reverse("portal:profile")).content.decode()
    client.force_login(customer)
    assert "customer_activity" not in client.get(reverse("portal:profile")).content.decode()


# --- Updated since you last looked; Customer replied ------------------------------------------


def _row(client, queue, reference) -> str:
    html = client.get(reverse("agent:queue", args=[queue])).content.decode()
    start = html.index(f'data-href="/agent/tickets/{reference}/"')
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


@pytest.mark.django_db
def test_it_marks_rows_changed_since_the_agent_last_looked(client, submit, customer, tier1, tier2):
    ticket = submit(customer)
    client.force_login(tier1)
    assert "unseen" in _row(client, "unassigned", ticket.reference)  # never opened: new to them
    assert client.get(reverse("agent:ticket_detail", args=[ticket.reference])).status_code == 200
    assert "unseen" not in _row(client, "unassigned", ticket.reference)
    ticket_comment(ticket=ticket, author=customer, body="More details.")
    row = _row(client, "unassigned", ticket.reference)
    assert "unseen" in row and "Updated since you last looked" in row
    client.get(reverse("agent:ticket_detail", args=[ticket.reference]))
    assert "unseen" not in _row(client, "unassigned", ticket.reference)
    # per agent: Tier II's own look changes nothing for Tier I, and an agent's own act is seen
    ticket_comment(ticket=ticket, author=tier1, body="Noted, thanks.", internal=True)
    assert "unseen" not in _row(client, "unassigned", ticket.reference)
    assert TicketSeen.objects.filter(user=tier2).count() == 0


@pytest.mark.django_db
def test_reopening_an_unchanged_request_leaves_the_mark_and_a_change_moves_it(client, submit, customer, tier1):
    ticket = submit(customer)
    client.force_login(tier1)
    url = reverse("agent:ticket_detail", args=[ticket.reference])
    client.get(url)
    first = TicketSeen.objects.get(user=tier1, ticket=ticket).seen_at
    client.get(url)  # nothing changed: a read, no write
    assert TicketSeen.objects.get(user=tier1, ticket=ticket).seen_at == first
    ticket_comment(ticket=ticket, author=customer, body="More details.")
    assert "unseen" in _row(client, "unassigned", ticket.reference)
    client.get(url)
    assert TicketSeen.objects.get(user=tier1, ticket=ticket).seen_at > first
    assert "unseen" not in _row(client, "unassigned", ticket.reference)


@pytest.mark.django_db
def test_it_gathers_customer_replies_in_their_own_queue(client, submit, customer, tier1):
    quiet = submit(customer, summary="Quiet one")
    replied = submit(customer, summary="Replied one")
    waiting = submit(customer, summary="Asked for details")
    ticket_transition(ticket=waiting, action="ask_customer", actor=tier1, note="Which site?")
    ticket_comment(ticket=replied, author=customer, body="Still broken.")
    ticket_comment(ticket=waiting, author=customer, body="The main site.")
    client.force_login(tier1)

    def queue_refs():
        items, _cursor = agent_queue_page(queue="customer-replied", user=tier1)
        return {t.reference for t in items}

    assert queue_refs() == {replied.reference, waiting.reference}
    assert quiet.reference not in client.get(reverse("agent:queue", args=["customer-replied"])).content.decode()
    ticket_comment(ticket=replied, author=tier1, body="Looking at it now.")
    ticket_transition(ticket=waiting, action="resolve", actor=tier1)
    assert queue_refs() == set()


# --- Both clocks, in business time --------------------------------------------------------------

CALENDAR = BusinessCalendar(
    tz=__import__("zoneinfo").ZoneInfo("America/Chicago"),
    opens=datetime.strptime("08:00", "%H:%M").time(),
    closes=datetime.strptime("17:00", "%H:%M").time(),
    weekdays=frozenset({1, 2, 3, 4, 5}),
    holidays=frozenset({datetime(2026, 12, 25).date()}),
)


def test_the_timeline_counts_what_the_calendar_walk_counts():
    rng = random.Random(7)
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    timeline = BusinessTimeline(CALENDAR, around=now)
    for _ in range(500):
        start = now + timedelta(minutes=rng.randint(-60 * 24 * 40, 60 * 24 * 40))
        end = start + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        assert timeline.minutes_between(start, end) == pytest.approx(CALENDAR.minutes_between(start, end))
    far = now + timedelta(days=400)  # outside the laid-out span: the walk answers
    assert timeline.minutes_between(now, far) == pytest.approx(CALENDAR.minutes_between(now, far))


@pytest.mark.django_db
def test_both_clocks_show_business_time_left_or_overdue(client, submit, customer, tier1, settings):
    ticket = submit(customer)
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=now - timedelta(hours=30), resolution_due_at=now + timedelta(days=9)
    )
    ticket.refresh_from_db()
    clocks_attach([ticket], now=now)
    assert ticket.first_response_clock.state == "overdue" and ticket.first_response_clock.minutes < 0
    assert ticket.resolution_clock.state == "left"
    # nine calendar days hold at most seven working days of nine hours
    assert 0 < ticket.resolution_clock.minutes <= 7 * 9 * 60
    client.force_login(tier1)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.reference])).content.decode()
    assert "First response" in page and "Overdue by" in page and " left" in page and "Due " in page
    row = _row(client, "unassigned", ticket.reference)
    assert "Overdue by" in row and " left" in row and 'data-tip="Due ' in row
    ticket_comment(ticket=ticket, author=tier1, body="First answer.")
    ticket.refresh_from_db()
    clocks_attach([ticket], now=timezone.now())
    assert ticket.first_response_clock.state == "met" and ticket.first_response_clock.late


# --- Sorting by any date column, keyset pages ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("sort", [s for key in QUEUE_SORTS if key != "resolved" for s in (key, "-" + key)])
def test_every_date_sort_pages_through_every_row_once_in_order(submit, customer, tier1, sort):
    rng = random.Random(sort)
    base = timezone.now()
    tickets = [submit(customer, summary=f"T{i}") for i in range(13)]
    for ticket in tickets:
        moment = lambda: base + timedelta(hours=rng.choice([-5, -1, 2, 2, 7]))  # noqa: E731 - ties on purpose
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=moment(),
            updated_at=moment(),
            first_response_due_at=rng.choice([None, moment()]),
            resolution_due_at=rng.choice([None, moment()]),
        )
    column, nullable = QUEUE_SORTS[sort.lstrip("-")]
    seen, after = [], ""
    while True:
        page, after = agent_queue_page(queue="unassigned", user=tier1, after=after, size=4, sort=sort)
        seen += page
        if not after:
            break
    assert sorted(t.pk for t in seen) == sorted(t.pk for t in tickets)  # each row exactly once
    dated = [t for t in seen if getattr(t, column) is not None]
    keys = [(getattr(t, column), t.pk) for t in dated]
    assert keys == sorted(keys, reverse=sort.startswith("-"))
    assert seen[: len(dated)] == dated  # undated rows come last
    undated = [t.pk for t in seen[len(dated) :]]
    assert undated == sorted(undated)


@pytest.mark.django_db
def test_sort_headings_and_the_sort_list_keep_the_sort_on_the_next_page(client, submit, customer, tier1):
    for i in range(3):
        submit(customer, summary=f"S{i}")
    client.force_login(tier1)
    html = client.get(reverse("agent:queue", args=["unassigned"]), {"sort": "-created"}).content.decode()
    assert 'aria-sort="descending"' in html and 'href="?sort=created"' in html
    assert '<option value="-created" selected>' in html
    assert client.get(reverse("agent:queue", args=["unassigned"]), {"sort": "nonsense"}).status_code == 200


# --- Each agent's columns -----------------------------------------------------------------------


@pytest.mark.django_db
def test_each_agent_chooses_and_orders_their_columns(client, submit, customer, tier1, tier2):
    submit(customer)
    client.force_login(tier1)
    url = reverse("agent:queue_columns")
    columns = ["reference", "summary", "priority", "updated"]
    response = client.post(url, {"order": columns, "columns": columns[1:], "next": "/agent/"})
    assert response.status_code == 302
    tier1.refresh_from_db()
    assert tier1.queue_columns == columns  # the reference always stays: rows need their link
    client.post(url, {"order": columns, "columns": columns, "up": "updated"})
    tier1.refresh_from_db()
    assert tier1.queue_columns == ["reference", "summary", "updated", "priority"]
    html = client.get(reverse("agent:queue", args=["unassigned"])).content.decode()
    head = html[html.index("<thead>") : html.index("</thead>")]
    assert head.index("Summary") < head.index("Updated") < head.index("Priority")
    assert "Requester" not in head
    client.post(url, {"order": ["bogus", "<script>"], "columns": ["bogus"]})
    tier1.refresh_from_db()
    assert tier1.queue_columns == ["reference"]
    client.force_login(tier2)
    head = client.get(reverse("agent:queue", args=["tier-1"])).content.decode()
    assert "Requester" in head and "Organisation" in head  # tier2 keeps the defaults


@pytest.mark.django_db
def test_strangers_cannot_save_columns(client, customer):
    client.force_login(customer)
    assert client.post(reverse("agent:queue_columns"), {"columns": ["summary"]}).status_code == 404
    client.logout()
    assert client.post(reverse("agent:queue_columns"), {"columns": ["summary"]}).status_code == 302


# --- Queries per page stay constant in rows -----------------------------------------------------


def _queue_queries(client, queue, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as captured:
        assert client.get(reverse("agent:queue", args=[queue]), {"sort": "-updated"}).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_queue_page_queries_do_not_grow_with_rows(client, submit, customer, provider, tier1,
                                                   django_assert_max_num_queries):  # fmt: skip
    from accounts.models import Membership, Organization, User

    client.force_login(tier1)
    submit(customer)
    few = _queue_queries(client, "unassigned", django_assert_max_num_queries, 60)
    requesters = []
    for i in range(5):
        organization = Organization.objects.create(name=f"Org {i}", kind="provider", provider_id=f"Q-{i}")
        person = User.objects.create_user(email=f"q{i}@example.org", password="pw-for-tests-1", full_name=f"Q {i}")
        Membership.objects.create(user=person, organization=organization, role="staff")
        requesters.append(person)
    for i in range(30):
        ticket = submit(requesters[i % 5], summary=f"Row {i}")
        if i % 3 == 0:
            ticket_comment(ticket=ticket, author=requesters[i % 5], body="Reply")
        if i % 4 == 0:
            client.get(reverse("agent:ticket_detail", args=[ticket.reference]))
    many = _queue_queries(client, "unassigned", django_assert_max_num_queries, few)
    assert many <= few


# --- The indexes serve each date sort -----------------------------------------------------------

FILL = """
INSERT INTO tickets_ticket (
    desk_id, number, reference, request_type_id, requester_id, created_by_id, channel, summary, description,
    field_values, status, tier, team_id, priority, escalation_requested, escalation_reason,
    first_response_due_at, resolution_due_at, status_changed_at, created_at, updated_at, version, contact_phone
)
SELECT %(desk)s, 1000 + g, 'CSD-' || (1000 + g), %(type)s, %(user)s, %(user)s, 'portal', 'Row ' || g, '', '{}'::jsonb,
       CASE WHEN g %% 10 < 7 THEN 'closed' ELSE 'waiting_for_support' END, 1, %(team)s, 2, false, '',
       now() + (g %% 500) * interval '1 hour', now() + (g %% 700) * interval '1 hour',
       now(), now() - (g %% 900) * interval '1 hour', now() - (g %% 800) * interval '1 minute', 1, ''
FROM generate_series(1, 20000) g
"""


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["created", "-created", "-updated", "first_response", "-resolution"])
def test_a_date_sorted_page_walks_an_index_instead_of_sorting(submit, customer, tier1, sort):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = submit(customer)
    with connection.cursor() as cursor:
        cursor.execute(
            FILL,
            {"desk": ticket.desk_id, "type": ticket.request_type_id, "user": customer.pk, "team": ticket.team_id},
        )
        cursor.execute("ANALYZE tickets_ticket")
    _items, after = agent_queue_page(queue="unassigned", user=tier1, sort=sort)
    with CaptureQueriesContext(connection) as captured:
        agent_queue_page(queue="unassigned", user=tier1, sort=sort, after=after)  # a deep page, by keyset
    column = QUEUE_SORTS[sort.lstrip("-")][0]
    [sql] = [q["sql"] for q in captured.captured_queries if f'ORDER BY "tickets_ticket"."{column}"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    indexes = {
        "created": "ticket_(open|desk)_created_idx",
        "updated": "ticket_(open|desk)_updated_idx",
        "first_response": "ticket_(open|desk)_frdue_idx",
        "resolution": "ticket_(open_due|desk_open_due|unassigned)_idx",
    }[sort.lstrip("-")]
    assert re.search(rf"Index Scan (Backward )?using {indexes} on tickets_ticket", plan), plan
    assert "Sort Key" not in plan, plan  # rows come in index order: nothing to sort


@pytest.mark.django_db
def test_the_api_sorts_a_queue_the_same_way_and_refuses_an_unknown_sort(client, submit, customer, tier1):
    tickets = [submit(customer, summary=f"A{i}") for i in range(5)]
    client.force_login(tier1)
    seen, after = [], ""
    while True:
        params = {"sort": "-created", **({"after": after} if after else {})}
        page = client.get("/api/v1/queues/unassigned/", params).json()
        seen += [row["reference"] for row in page["results"]]
        if not page["next"]:
            break
        after = page["next"]
    assert seen == [t.reference for t in reversed(tickets)]
    response = client.get("/api/v1/queues/unassigned/", {"sort": "password"})
    assert response.status_code == 400 and "sort" in response.json()
