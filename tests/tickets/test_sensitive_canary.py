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


LATE_CANARY = "Late-Canary-44017"  # a provider ID, given before its field was marked sensitive
ORPHAN_CANARY = "Orphan-Canary-55128"  # an organisation name: the new type has no such field


def _admin_mark_sensitive(client, field):
    from tests.tickets.admin_forms import admin_form_data, inline_prefix
    from tickets.models import RequestField

    url = reverse("admin:tickets_requesttype_change", args=[field.request_type_id])
    page = client.get(url)
    data = admin_form_data(page)
    data[f"{inline_prefix(page, RequestField, pk=field.pk)}-sensitive"] = "on"
    assert client.post(url, data).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_field_marked_sensitive_later_then_a_type_change_leaks_on_no_door(
    client, catalogue, customer, tier1, tier2, superuser, smtp
):
    from tickets.models import RequestField, RequestType, SensitiveValue

    client.force_login(customer)
    response = client.post(
        reverse("portal:request_create", args=["child-care-provider", "new-provider-sso"]),
        {
            "summary": "SSO for our new centre",
            "description": "We were approved last week.",
            "provider_id": LATE_CANARY,
            "organisation_name": ORPHAN_CANARY,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    ref = ticket.reference

    # An admin marks both fields sensitive after the request exists.
    client.force_login(superuser)
    for key in ("provider_id", "organisation_name"):
        _admin_mark_sensitive(client, RequestField.objects.get(request_type=ticket.request_type, key=key))
    # Tier I files it under a type with its own (not sensitive) provider_id and no organisation name.
    client.force_login(tier1)
    other_type = RequestType.objects.get(desk__key="CCP", key="new-employee-access")
    version = Ticket.objects.get().version
    response = client.post(
        reverse("agent:ticket_type", args=[ref]), {"request_type": other_type.pk, "version": version}
    )
    assert response.status_code == 302
    assert Ticket.objects.get().request_type == other_type

    seen: list[tuple[str, bytes]] = []
    _collect(client, seen, "get", reverse("agent:ticket_detail", args=[ref]))
    _collect(client, seen, "get", f"{API}/requests/{ref}/")
    _collect(client, seen, "get", f"{API}/requests/{ref}/activities/")
    for key in AGENT_QUEUES:
        _collect(client, seen, "get", reverse("agent:queue", args=[key]))
        _collect(client, seen, "get", reverse("agent:queue_export", args=[key]))
        _collect(client, seen, "get", f"{API}/queues/{key}/")
    for query in (ref, "SSO", LATE_CANARY, ORPHAN_CANARY):
        _collect(client, seen, "get", f"{API}/search/", {"q": query})
    for query in (LATE_CANARY, ORPHAN_CANARY):  # pages echo the query: look for the request
        for url in (reverse("agent:search"), reverse("portal:search")):
            assert ref not in client.get(url, {"q": query}).content.decode()
    _collect(client, seen, "post", reverse("agent:ticket_reveal", args=[ref]), {}, ok=(403,))

    client.force_login(customer)
    _collect(client, seen, "get", reverse("portal:request_detail", args=[ref]))
    _collect(client, seen, "get", reverse("portal:request_list"))
    _collect(client, seen, "get", f"{API}/requests/{ref}/")
    _collect(client, seen, "get", f"{API}/requests/")
    _collect(client, seen, "get", reverse("portal:search"), {"q": "SSO"})

    client.force_login(superuser)
    _collect(client, seen, "get", reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    _collect(client, seen, "get", reverse("admin:tickets_ticket_changelist"), {"q": ref})
    _collect(client, seen, "get", reverse("admin:tickets_sensitivevalue_changelist"))
    for value in SensitiveValue.objects.filter(ticket=ticket):
        _collect(client, seen, "get", reverse("admin:tickets_sensitivevalue_change", args=[value.pk]))
    for activity in ticket.activities.all():
        _collect(client, seen, "get", reverse("admin:tickets_activity_change", args=[activity.pk]))

    seen += [(f"mail to {m['To']}: {m['Subject']}", m.as_bytes()) for m in smtp.messages]
    leaks = [where for where, blob in seen if LATE_CANARY.encode() in blob or ORPHAN_CANARY.encode() in blob]
    assert not leaks, leaks

    # Tier II sees both on the explicit, audited reveal.
    client.force_login(tier2)
    page = client.post(reverse("agent:ticket_reveal", args=[ref])).content
    assert LATE_CANARY.encode() in page and ORPHAN_CANARY.encode() in page
    revealed = client.post(f"{API}/requests/{ref}/reveal/", content_type="application/json").json()
    assert {LATE_CANARY, ORPHAN_CANARY} <= {item["value"] for item in revealed}
