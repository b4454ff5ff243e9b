"""A customer of another organisation gets 404 from every API endpoint that takes a reference (or
another organisation's file or work item), found from the URL patterns so a new endpoint is
covered as soon as it exists; and mass assignment changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.api_tokens import api_token_create
from tickets.models import Activity, RequestType, Ticket
from tickets.services import ticket_comment
from tickets.work_items import work_item_create, work_item_link

API = "/api/v1"
pytestmark = pytest.mark.usefixtures("catalogue")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BODY = {"body": "x", "email": "customer@example.org", "reason": "x", "action": "resolve", "decision": "approve",
        "notify": False, "into": "CSD-1", "reference": "CSD-1", "request_type": 1, "tier": 2, "priority": 4,
        "assignee": None, "title": "x", "status": "done"}  # fmt: skip


def api_patterns(argument: str) -> list[str]:
    """The names of every API URL that takes this argument."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the site's URLs first: they register the reference converter
    from tickets.api.urls import urlpatterns

    return [
        f"api:{p.name}" for p in urlpatterns if f"<{argument}>" in str(p.pattern) or f":{argument}>" in str(p.pattern)
    ]


def token_client(user) -> Client:
    _token, key = api_token_create(user=user, name="access")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.django_db
def test_another_organisations_customer_gets_404_from_every_reference_endpoint(customer, outsider, tier2, submit):
    from django.urls import reverse

    ticket = submit(customer)
    client = token_client(outsider)
    names = api_patterns("reference")
    assert len(names) >= 17, names
    for name in names:
        kwargs = {"reference": ticket.reference}
        if name == "api:request_participant":
            kwargs["email"] = customer.email
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post", "put", "delete"):
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, BODY, content_type="application/json")
            assert response.status_code in (404, 405), (name, method, response.status_code)
            if response.status_code == 405:
                continue
            assert response.json() == {"detail": "Not found."}, (name, method)
    # Nothing was done to the request.
    assert list(Activity.objects.filter(ticket=ticket).values_list("kind", flat=True)) == ["created"]


@pytest.mark.django_db
def test_another_organisations_files_and_work_items_are_404(customer, outsider, tier2, submit):
    ticket = submit(customer)
    ticket_comment(ticket=ticket, author=customer, body="A file", uploads=[SimpleUploadedFile("a.png", PNG)])
    attachment = ticket.attachments.get()
    item = work_item_create(actor=tier2, title="A bug", kind="bug")
    work_item_link(ticket=ticket, actor=tier2, work_item=item)
    client = token_client(outsider)
    assert client.get(f"{API}/attachments/{attachment.pk}/").status_code == 404
    assert client.get(f"{API}/work-items/").status_code == 404
    response = client.put(f"{API}/work-items/{item.pk}/status/", {"status": "done"}, content_type="application/json")
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status != "done"


@pytest.mark.django_db
def test_mass_assignment_changes_nothing(customer, outsider, tier1, submit):
    other = submit(outsider, summary="Theirs")
    client = token_client(customer)
    smuggled = {
        "status": "resolved", "requester": outsider.pk, "requester_id": outsider.pk, "organization": 999,
        "organization_id": other.organization_id, "reference": "CSD-999", "tier": 2, "team": 1,
        "assignee": tier1.email, "priority": 4, "escalation_requested": True, "internal": True,
        "version": 40, "channel": "email", "merged_into": other.reference, "sla_breached_at": "2020-01-01T00:00:00Z",
    }  # fmt: skip
    body = {
        **smuggled,
        "request_type": str(RequestType.objects.get(desk__key="CSD", key="general-request").pk),
        "fields": {"summary": "Ordinary", "description": "Nothing special."},
    }
    response = client.post(f"{API}/requests/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.reference != "CSD-999"
    assert (ticket.status, ticket.requester_id, ticket.organization_id) == (
        "waiting_for_support", customer.pk, customer.memberships.get().organization_id
    )  # fmt: skip
    assert (ticket.tier, ticket.assignee_id, ticket.priority, ticket.escalation_requested) == (1, None, 2, False)
    assert (ticket.channel, ticket.merged_into_id, ticket.sla_breached_at, ticket.version) == ("api", None, None, 1)
    # The same keys inside the form's fields are refused, not applied.
    body["fields"] = {"summary": "Ordinary", "description": "x", "status": "resolved", "requester": outsider.pk}
    response = client.post(f"{API}/requests/", body, content_type="application/json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"status", "requester"}

    # A comment cannot be made internal by a customer, nor move the request's status.
    url = f"{API}/requests/{ticket.reference}/comments/"
    response = client.post(url, {"body": "Hello", **smuggled, "version": None}, content_type="application/json")
    assert response.status_code in (201, 400), response.content
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support" and ticket.tier == 1 and ticket.priority == 2
    assert not ticket.activities.filter(visibility="internal", kind="comment").exists()
    # A transition body cannot carry a status of its own choosing.
    response = client.post(
        f"{API}/requests/{ticket.reference}/transitions/", {"action": "cancel", "status": "resolved"},
        content_type="application/json",
    )  # fmt: skip
    ticket.refresh_from_db()
    assert response.status_code == 200 and ticket.status == "canceled"
