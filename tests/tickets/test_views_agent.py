"""The agent's request page: replies and notes, transitions, assignment, tiers, sensitive values."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tickets.models import Activity, RequestType, Ticket
from tickets.services import ticket_submit
from tickets.values import SubmittedValues

CANARY = "Zebulon-Canary-7731"


def _submit(customer, type_key="general-request", desk="CSD", fields=None, summary="Agent page"):
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key=desk, key=type_key),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary=summary, description="d", fields=fields or {}, files={}),
    )


def _url(name, ticket):
    return reverse(f"agent:{name}", args=[ticket.reference])


@pytest.mark.django_db
def test_a_public_reply_reaches_the_customer_and_counts_as_first_response(client, customer, tier1):
    ticket = _submit(customer)
    client.force_login(tier1)
    response = client.post(_url("ticket_reply", ticket), {"body": "Try clearing the cache.", "version": 1})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert Notification.objects.filter(kind="public_reply", to_email=customer.email).exists()
    client.force_login(customer)
    assert b"Try clearing the cache." in client.get(reverse("portal:request_detail", args=[ticket.reference])).content


@pytest.mark.django_db
def test_an_internal_note_stays_internal(client, customer, tier1):
    ticket = _submit(customer)
    client.force_login(tier1)
    client.post(_url("ticket_reply", ticket), {"body": "Looks like bug 42.", "internal": "on", "version": 1})
    assert b"Looks like bug 42." in client.get(_url("ticket_detail", ticket)).content
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert not Notification.objects.filter(kind="public_reply").exists()
    client.force_login(customer)
    assert b"Looks like bug 42." not in client.get(reverse("portal:request_detail", args=[ticket.reference])).content


@pytest.mark.django_db
def test_asking_the_customer_needs_a_message_and_their_reply_comes_back(client, customer, tier1):
    ticket = _submit(customer)
    client.force_login(tier1)
    response = client.post(_url("ticket_transition", ticket), {"action": "ask_customer", "note": "", "version": 1})
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting_for_support"
    client.post(_url("ticket_transition", ticket), {"action": "ask_customer", "note": "Which browser?", "version": 1})
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting_for_customer"
    client.force_login(customer)
    client.post(reverse("portal:request_comment", args=[ticket.reference]), {"body": "Edge"})
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting_for_support"


@pytest.mark.django_db
def test_agents_assign_and_a_stale_page_is_refused(client, customer, tier1, tier2):
    ticket = _submit(customer)
    client.force_login(tier1)
    response = client.post(_url("ticket_assign", ticket), {"assign_to_me": "1", "version": 1})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).assignee == tier1
    client.force_login(tier2)
    response = client.post(_url("ticket_assign", ticket), {"assignee": tier2.pk, "version": 1})
    assert response.status_code == 409
    assert b"Someone else changed this request" in response.content
    assert Ticket.objects.get(pk=ticket.pk).assignee == tier1
    assert Activity.objects.filter(ticket=ticket, kind="assignment").count() == 1


@pytest.mark.django_db
def test_only_agents_of_the_desk_can_be_assigned(client, customer, tier1, colleague):
    ticket = _submit(customer)
    client.force_login(tier1)
    response = client.post(_url("ticket_assign", ticket), {"assignee": colleague.pk, "version": 1})
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


@pytest.mark.django_db
def test_tier_one_escalates_with_a_reason_and_tier_two_sends_it_back(client, customer, tier1, tier2):
    ticket = _submit(customer)
    client.force_login(tier1)
    response = client.post(_url("ticket_tier", ticket), {"reason": "", "version": 1})
    assert response.status_code == 400
    response = client.post(_url("ticket_tier", ticket), {"reason": "Needs database access", "version": 1})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team.tier, ticket.status) == (2, 2, "waiting_for_support")
    assert Notification.objects.filter(kind="tier_escalation", to_email=tier2.email).exists()
    client.force_login(tier2)
    response = client.post(_url("ticket_tier", ticket), {"reason": "Answer is in the FAQ", "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team.tier) == (1, 1)
    assert list(Activity.objects.filter(ticket=ticket, kind="tier").values_list("new_value", flat=True)) == ["2", "1"]


@pytest.mark.django_db
def test_a_customer_escalation_request_is_flagged_for_agents(client, customer, tier1):
    ticket = _submit(customer)
    client.force_login(customer)
    client.post(reverse("portal:request_escalate", args=[ticket.reference]), {"reason": "Payroll due today"})
    client.force_login(tier1)
    page = client.get(_url("ticket_detail", ticket)).content.decode()
    assert "Payroll due today" in page


@pytest.mark.django_db
def test_customers_never_reach_agent_actions(client, catalogue, customer):
    ticket = _submit(customer)
    client.force_login(customer)
    for name, data in [
        ("ticket_reply", {"body": "x"}),
        ("ticket_transition", {"action": "resolve"}),
        ("ticket_assign", {"assign_to_me": "1"}),
        ("ticket_tier", {"reason": "x"}),
        ("ticket_reveal", {}),
        ("ticket_priority", {"priority": 4}),
    ]:
        assert client.post(_url(name, ticket), data).status_code == 404, name
    assert Ticket.objects.get(pk=ticket.pk).version == 1


# --- Sensitive values --------------------------------------------------------------------------


def _terminated(customer):
    return _submit(
        customer,
        type_key="staff-terminated",
        desk="CCP",
        summary="Remove access for a leaver",
        fields={"employee_full_name": CANARY, "last_day_of_employment": timezone.localdate().isoformat()},
    )


@pytest.mark.django_db(transaction=True)
def test_tier_one_never_receives_a_sensitive_value(client, customer, tier1, tier2, smtp):
    ticket = _terminated(customer)
    client.force_login(customer)
    client.post(reverse("portal:request_escalate", args=[ticket.reference]), {"reason": "Urgent leaver"})
    client.force_login(tier1)
    seen = []
    for url in [
        reverse("agent:home"),
        reverse("agent:queue", args=["unassigned"]),
        _url("ticket_detail", ticket),
        reverse("portal:search") + "?q=leaver",
        reverse("kb:suggest") + f"?q={CANARY}",
        reverse("portal:home"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        seen.append(response.content)
    # Searching for the value finds nothing: it is not in any searched column.
    assert ticket.reference not in client.get(reverse("portal:search"), {"q": CANARY}).content.decode()
    page = client.get(_url("ticket_detail", ticket)).content.decode()
    assert "Employee" in page and "••••••" in page
    response = client.post(_url("ticket_reveal", ticket))
    assert response.status_code == 403
    seen.append(response.content)
    client.post(_url("ticket_reply", ticket), {"body": "Working on it", "version": ticket.version})
    client.post(_url("ticket_tier", ticket), {"reason": "Needs the name", "version": ticket.version + 1})
    for message in smtp.wait_for(4, timeout=5):
        seen.append(message.as_bytes())
    assert smtp.messages, "e-mails were expected"
    assert not [blob for blob in seen if CANARY.encode() in blob]
    assert not Activity.objects.filter(ticket=ticket, kind="reveal").exists()

    client.force_login(tier2)
    assert CANARY.encode() not in client.get(_url("ticket_detail", ticket)).content
    response = client.post(_url("ticket_reveal", ticket))
    assert response.status_code == 200
    assert CANARY.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    reveal = Activity.objects.get(ticket=ticket, kind="reveal")
    assert (reveal.actor, reveal.visibility, reveal.new_value) == (tier2, "internal", "employee_full_name")
    assert timezone.now() - reveal.created_at < datetime.timedelta(minutes=1)
