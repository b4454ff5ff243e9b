"""Tier I never receives a sensitive value. A unique canary goes into a sensitive field; then a
Tier I agent works a full session (every queue page and its CSV export, the request page, search
on pages and in the API, every JSON endpoint, replies, notes, escalation, SLA and work-item
alerts) and nothing they receive — HTML, JSON, CSV or e-mail — carries it. Tier II sees it only
on an explicit reveal, and each reveal is audited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tickets.clocks import sla_check
from tickets.models import Activity, SavedQueue, Ticket
from tickets.selectors import AGENT_QUEUES
from tickets.work_items import work_item_create, work_item_link, work_item_set_status

CANARY = "Ophelia-Canary-90210"
CANARY_EMAIL = "ophelia.canary.90210@example.org"  # the type's second sensitive field
API = "/api/v1"


def _collect(client, seen, method, url, data=None, ok=(200,)):
    if method == "get":
        response = client.get(url, data or {})
    elif data is None or isinstance(data, dict) and url.startswith(API):
        response = client.post(url, data or {}, content_type="application/json")
    else:
        response = client.post(url, data)
    assert response.status_code in ok, (url, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    seen.append((url, body))
    return response


@pytest.mark.django_db(transaction=True)
def test_a_full_tier_one_session_never_carries_the_canary(client, catalogue, customer, tier1, tier2, smtp):
    SavedQueue.objects.create(name="Child care leavers", slug="leavers", statuses=["waiting_for_support"])
    client.force_login(customer)
    response = client.post(
        reverse("portal:request_create", args=["child-care-provider", "staff-terminated"]),
        {
            "summary": "Remove access for a former teacher",
            "description": "She left on Friday.",
            "employee_full_name": CANARY,
            "employee_email": CANARY_EMAIL,
            "last_day_of_employment": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    assert CANARY not in str(ticket.field_values) and CANARY not in ticket.summary + ticket.description
    client.post(reverse("portal:request_escalate", args=[ticket.reference]), {"reason": "Urgent leaver"})

    seen: list[tuple[str, bytes]] = []
    client.force_login(tier1)
    ref = ticket.reference
    for key in AGENT_QUEUES:
        _collect(client, seen, "get", reverse("agent:queue", args=[key]))
        _collect(client, seen, "get", reverse("agent:queue_export", args=[key]))
        _collect(client, seen, "get", reverse("agent:queue", args=[key]), {"desk": "child-care-provider"})
        _collect(client, seen, "get", f"{API}/queues/{key}/")
    _collect(client, seen, "get", reverse("agent:saved_queue", args=["leavers"]))
    _collect(client, seen, "get", reverse("agent:saved_queue_export", args=["leavers"]))
    _collect(client, seen, "get", f"{API}/queues/saved-leavers/")
    _collect(client, seen, "get", f"{API}/queues/")
    for query in (ref, "teacher", customer.email):
        _collect(client, seen, "get", reverse("agent:search"), {"q": query})
        _collect(client, seen, "get", f"{API}/search/", {"q": query})
        _collect(client, seen, "get", reverse("portal:search"), {"q": query})
    # Searching for the values themselves finds nothing (pages echo the query: look for the request).
    for value in (CANARY, CANARY_EMAIL):
        assert _collect(client, seen, "get", f"{API}/search/", {"q": value}).json() == []
        for url in (reverse("agent:search"), reverse("portal:search")):
            assert ref not in client.get(url, {"q": value}).content.decode()
    _collect(client, seen, "get", reverse("kb:suggest"), {"q": CANARY})
    page = _collect(client, seen, "get", reverse("agent:ticket_detail", args=[ref])).content.decode()
    assert "Employee&#x27;s full name" in page and "••••••" in page
    detail = _collect(client, seen, "get", f"{API}/requests/{ref}/").json()
    assert {"label": "Employee's full name", "masked": True} in detail["sensitive_fields"]
    _collect(client, seen, "get", f"{API}/requests/{ref}/activities/")
    _collect(client, seen, "post", reverse("agent:ticket_reveal", args=[ref]), {}, ok=(403,))
    _collect(client, seen, "post", f"{API}/requests/{ref}/reveal/", ok=(403,))
    _collect(client, seen, "post", f"{API}/requests/{ref}/assignee/", {"assignee": tier1.email})
    _collect(client, seen, "post", reverse("agent:ticket_reply", args=[ref]), {"body": "Looking now"}, ok=(302,))
    _collect(
        client, seen, "post", f"{API}/requests/{ref}/comments/", {"body": "Checking SSO", "internal": True}, ok=(201,)
    )

    # Work item done and SLA alerts go to the assignee (Tier I).
    item = work_item_create(actor=tier2, title="Directory sync", kind="bug")
    work_item_link(ticket=ticket, actor=tier2, work_item=item)
    work_item_set_status(work_item=item, actor=tier2, status="done")
    ticket.refresh_from_db()
    assert sla_check(now=ticket.resolution_due_at - timedelta(minutes=1))["at_risk"] == 1
    assert sla_check(now=ticket.resolution_due_at + timedelta(minutes=1))["breached"] == 1

    _collect(
        client, seen, "post", f"{API}/requests/{ref}/transitions/", {"action": "ask_customer", "note": "Which site?"}
    )
    client.force_login(customer)
    client.post(reverse("portal:request_comment", args=[ref]), {"body": "Main Street"})
    client.force_login(tier1)
    version = Ticket.objects.get().version
    _collect(
        client, seen, "post", f"{API}/requests/{ref}/tier/", {"tier": 2, "reason": "Needs the name", "version": version}
    )
    _collect(client, seen, "get", reverse("agent:ticket_detail", args=[ref]))
    _collect(client, seen, "get", reverse("agent:work_items"))
    _collect(client, seen, "get", reverse("agent:home"))
    _collect(client, seen, "get", reverse("portal:home"))

    messages = smtp.wait_for(10, timeout=10)
    to_tier1 = [m for m in messages if m["To"] == tier1.email]
    kinds = {m["Subject"] for m in to_tier1}
    assert len(to_tier1) >= 4, kinds  # escalation requested, work item done, SLA at risk, SLA breached
    seen += [(f"mail to {m['To']}: {m['Subject']}", m.as_bytes()) for m in messages]
    leaks = [where for where, blob in seen if CANARY.encode() in blob or CANARY_EMAIL.encode() in blob]
    assert not leaks, leaks
    assert not Activity.objects.filter(ticket=ticket, kind="reveal").exists()

    # Tier II: masked until the explicit reveal, which is written to the audit log.
    client.force_login(tier2)
    assert CANARY.encode() not in client.get(reverse("agent:ticket_detail", args=[ref])).content
    assert CANARY.encode() not in client.get(f"{API}/requests/{ref}/").content
    assert CANARY.encode() in client.post(reverse("agent:ticket_reveal", args=[ref])).content
    assert CANARY in str(client.post(f"{API}/requests/{ref}/reveal/", content_type="application/json").json())
    reveals = Activity.objects.filter(ticket=ticket, kind="reveal").order_by("id")
    fields = ["employee_full_name", "employee_email"]
    assert sorted((r.actor.pk, r.new_value, r.visibility) for r in reveals) == sorted(
        [(tier2.pk, f, "internal") for f in fields] * 2
    )
