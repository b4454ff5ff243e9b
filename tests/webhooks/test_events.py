"""Which changes announce which events, to which endpoints, with what: every door goes through
the ticket services' one hook, and the payloads follow the visibility rule (a customer scope sees
what the requester sees; no scope ever sees a sensitive value)."""

import json

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from tests.webhooks.conftest import ALL_EVENTS, deliveries
from tickets.models import RequestType, ServiceDesk, Ticket
from tickets.services import (
    ticket_assign,
    ticket_comment,
    ticket_escalate_tier,
    ticket_request_escalation,
    ticket_set_priority,
    ticket_submit,
    ticket_transition,
)
from tickets.values import SubmittedValues

URL = "http://93.184.215.14/hook"  # public: never contacted here (nothing is committed)
CANARY = "Ophelia-Canary-90210"
CANARY_EMAIL = "ophelia.canary.90210@example.org"


def sent(endpoint=None) -> list[tuple[str, str]]:
    """(event, reference) of each delivery stored, oldest first."""
    rows = [r for r in deliveries() if endpoint is None or r.target == str(endpoint.pk)]
    return [(r.kind, json.loads(r.body_text)["request"]["reference"]) for r in rows]


def payloads(endpoint) -> list[dict]:
    return [json.loads(r.body_text) for r in deliveries() if r.target == str(endpoint.pk)]


@pytest.mark.django_db
def test_each_lifecycle_change_announces_its_events(submit, customer, tier1, tier2, make_endpoint):
    endpoint, _secret = make_endpoint(URL, events=ALL_EVENTS, scope="agent")
    ticket = submit(customer)
    ref = ticket.reference
    ticket_comment(ticket=ticket, author=customer, body="Any news?")
    ticket_comment(ticket=ticket, author=tier1, body="Looking at it internally", internal=True)
    ticket_transition(ticket=ticket, action="start_progress", actor=tier1)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    ticket_set_priority(ticket=ticket, actor=tier1, priority=4)
    ticket_request_escalation(ticket=ticket, actor=customer, reason="It is urgent")
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Needs a specialist")
    ticket_transition(ticket=ticket, action="resolve", actor=tier2)
    assert sent(endpoint) == [
        ("request.created", ref),
        ("request.commented", ref),
        ("request.commented", ref),
        ("request.status_changed", ref),
        ("request.updated", ref),
        ("request.updated", ref),
        ("request.escalated", ref),
        ("request.escalated", ref),
        ("request.status_changed", ref),
        ("request.resolved", ref),
    ]
    resolved = payloads(endpoint)[-1]
    assert resolved["request"]["status"] == "resolved" and resolved["activity"]["new_value"] == "resolved"
    assert resolved["request"]["tier"] == 2


@pytest.mark.django_db
def test_an_endpoint_gets_only_the_events_it_chose(submit, customer, tier1, make_endpoint):
    endpoint, _secret = make_endpoint(URL, events=["request.resolved"])
    ticket = submit(customer)
    ticket_comment(ticket=ticket, author=customer, body="Hello")
    ticket_transition(ticket=ticket, action="resolve", actor=tier1)
    assert sent(endpoint) == [("request.resolved", ticket.reference)]


@pytest.mark.django_db
def test_desk_organization_and_active_narrow_who_hears(submit, customer, outsider, make_endpoint, provider):
    csd = ServiceDesk.objects.get(key="CSD")
    of_desk, _ = make_endpoint(URL, name="CSD only", desk=csd)
    of_other_desk, _ = make_endpoint(URL, name="EDI only", desk=ServiceDesk.objects.get(key="EDI"))
    of_provider, _ = make_endpoint(URL, name="Provider only", organization=provider)
    inactive, _ = make_endpoint(URL, name="Paused", is_active=False)
    mine = submit(customer)
    theirs = submit(outsider)
    assert sent(of_desk) == [("request.created", mine.reference), ("request.created", theirs.reference)]
    assert sent(of_other_desk) == []
    assert sent(of_provider) == [("request.created", mine.reference)]
    assert sent(inactive) == []
    assert Organization.objects.count() == 2


@pytest.mark.django_db
def test_a_customer_scope_never_hears_of_internal_notes_or_internal_changes(submit, customer, tier1, make_endpoint):
    customer_scope, _ = make_endpoint(URL, name="Customer", scope="customer")
    agent_scope, _ = make_endpoint(URL, name="Agent", scope="agent")
    ticket = submit(customer)
    ticket_comment(ticket=ticket, author=tier1, body="SECRET-INTERNAL-NOTE", internal=True)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="SECRET-TIER-REASON")
    ticket_comment(ticket=ticket, author=tier1, body="We are on it")

    assert [e for e, _ref in sent(customer_scope)] == ["request.created", "request.commented"]
    assert [e for e, _ref in sent(agent_scope)] == [
        "request.created", "request.commented", "request.updated", "request.escalated", "request.commented",
    ]  # fmt: skip
    customer_bodies = " ".join(r.body_text for r in deliveries() if r.target == str(customer_scope.pk))
    assert "SECRET-INTERNAL-NOTE" not in customer_bodies and "SECRET-TIER-REASON" not in customer_bodies
    assert tier1.email not in customer_bodies  # the agent is named, their address is not
    comment = payloads(customer_scope)[-1]
    assert comment["activity"]["body"] == "We are on it" and comment["activity"]["actor"] == {"name": tier1.full_name}
    assert set(comment["request"]) & {"tier", "team", "assignee", "priority", "resolution_due_at"} == set()
    agent_bodies = " ".join(r.body_text for r in deliveries() if r.target == str(agent_scope.pk))
    assert "SECRET-INTERNAL-NOTE" in agent_bodies and "SECRET-TIER-REASON" in agent_bodies


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["customer", "agent"])
def test_no_scope_ever_carries_a_sensitive_value(submit, customer, tier1, tier2, make_endpoint, scope):
    endpoint, _ = make_endpoint(URL, scope=scope)
    ticket = submit(customer, desk="CCP", key="staff-terminated", summary="Remove access for a former teacher",
                    employee_full_name=CANARY, employee_email=CANARY_EMAIL,
                    last_day_of_employment=timezone.localdate().isoformat())  # fmt: skip
    ticket_comment(ticket=ticket, author=customer, body="She left on Friday.")
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Tier II handles leavers")
    ticket_transition(ticket=ticket, action="resolve", actor=tier2)
    bodies = [r.body_text for r in deliveries()]
    assert len(bodies) >= 4
    assert not [b for b in bodies if CANARY in b or CANARY_EMAIL in b]
    created = payloads(endpoint)[0]
    assert [f["key"] for f in created["request"]["fields"]] == ["last_day_of_employment"]


@pytest.mark.django_db
def test_a_change_that_rolls_back_owes_no_delivery(submit, customer, make_endpoint):
    make_endpoint(URL)
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(customer)
        assert len(deliveries()) == 1
        raise RuntimeError("the change fails after the activity was written")
    assert deliveries() == [] and not Ticket.objects.exists()


# --- Every door ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_portal_the_agent_pages_the_api_and_inbound_mail_all_announce(
    client, customer, tier1, make_endpoint, catalogue, receive
):
    from tests.imap_server import compose

    endpoint, _ = make_endpoint(URL, events=["request.created", "request.commented", "request.status_changed"])
    client.force_login(customer)
    response = client.post(
        reverse("portal:request_create", args=["customer-service", "general-request"]),
        {"summary": "From the portal", "description": "Opened on the page."},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    client.force_login(tier1)
    response = client.post(reverse("agent:ticket_transition", args=[ticket.reference]), {"action": "start_progress"})
    assert response.status_code == 302
    response = client.post(
        f"/api/v1/requests/{ticket.reference}/comments/", {"body": "From the API"}, content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content
    message = receive(compose(subject=f"Re: [{ticket.reference}] x", body="By mail."))
    assert message.outcome == "commented", message.reason

    ref = ticket.reference
    assert sent(endpoint) == [
        ("request.created", ref), ("request.status_changed", ref), ("request.commented", ref),
        ("request.commented", ref),
    ]  # fmt: skip
    bodies = [p["activity"]["body"] for p in payloads(endpoint)]
    assert bodies[2:] == ["From the API", "By mail."]


@pytest.mark.django_db
def test_a_request_opened_on_behalf_by_an_agent_announces_itself(tier1, customer, provider, make_endpoint):
    endpoint, _ = make_endpoint(URL, events=["request.created"])
    ticket = ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=customer,
        organization=provider,
        created_by=tier1,
        channel="phone",
        values=SubmittedValues(summary="By phone", description="Called in.", fields={}, files={}),
    )
    (payload,) = payloads(endpoint)
    assert payload["request"]["reference"] == ticket.reference and payload["request"]["channel"] == "phone"
    assert payload["activity"]["actor"]["name"] == tier1.full_name


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["customer", "agent"])
def test_a_change_the_system_makes_is_announced_with_no_actor(submit, customer, tier1, make_endpoint, scope):
    endpoint, _ = make_endpoint(URL, events=["request.resolved"], scope=scope)
    ticket = submit(customer)
    ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="Which printer?")
    ticket_transition(ticket=ticket, action="auto_resolve", actor=None)
    (payload,) = payloads(endpoint)
    assert payload["event"] == "request.resolved" and payload["activity"]["actor"] is None
    assert payload["request"]["status"] == "resolved"


@pytest.mark.django_db
def test_the_readme_example_has_the_keys_of_a_real_agent_payload(submit, customer, make_endpoint):
    import re

    from tests.conftest import ROOT

    section = (ROOT / "README.md").read_text().split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    (example,) = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]
    endpoint, _ = make_endpoint(URL, events=["request.commented"], scope="agent")
    ticket = submit(customer)
    ticket_comment(ticket=ticket, author=customer, body="Any news?")
    (payload,) = payloads(endpoint)
    assert set(example) == set(payload)
    assert set(example["request"]) == set(payload["request"])
    assert set(example["activity"]) == set(payload["activity"])
    assert set(example["activity"]["actor"]) == set(payload["activity"]["actor"])
