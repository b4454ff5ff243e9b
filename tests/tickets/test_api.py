"""The JSON API: the same services and visibility rule as the pages, domain errors as 400/403/409."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.api_tokens import api_token_create
from notifications.models import Notification
from tickets.models import Activity, RequestType, SavedQueue, Ticket, WorkItem
from tickets.services import ticket_comment, ticket_submit
from tickets.values import SubmittedValues

API = "/api/v1"
pytestmark = pytest.mark.usefixtures("catalogue")


def submit(customer, summary="API request", type_key="general-request", desk="CSD", fields=None):
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key=desk, key=type_key),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary=summary, description="Details", fields=fields or {}, files={}),
    )


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.mark.django_db
def test_it_refuses_anonymous_callers(client, catalogue):
    assert client.get(f"{API}/requests/").status_code == 401
    assert client.get(f"{API}/queues/").status_code == 401


@pytest.mark.django_db
def test_it_submits_through_the_request_form_and_reports_bad_fields(client, customer):
    client.force_login(customer)
    response = post(
        client,
        f"{API}/requests/",
        {"desk": "CSD", "request_type": "general-request", "values": {"summary": "", "description": "x"}},
    )
    assert response.status_code == 400
    assert "summary" in response.json()["values"]
    assert not Ticket.objects.exists()

    response = post(
        client,
        f"{API}/requests/",
        {"desk": "csd", "request_type": "general-request", "values": {"summary": "Portal link", "description": "x"}},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    assert (body["reference"], body["status"], body["version"]) == (ticket.reference, "waiting_for_support", 1)
    assert ticket.channel == "api"
    assert Notification.objects.filter(kind="request_received", to_email=customer.email).exists()


@pytest.mark.django_db
def test_it_refuses_a_request_type_the_caller_may_not_use(client, customer):
    client.force_login(customer)
    response = post(client, f"{API}/requests/", {"desk": "EDI", "request_type": "payer-sftp", "values": {}})
    assert response.status_code == 400
    assert "request_type" in response.json()
    assert post(client, f"{API}/requests/", {"desk": "CSD"}).status_code == 400
    assert client.post(f"{API}/requests/", "not json", content_type="application/json").status_code == 400


@pytest.mark.django_db
def test_customers_read_their_requests_without_internal_notes_or_sensitive_values(client, customer, tier1):
    ticket = submit(
        customer,
        type_key="staff-terminated",
        desk="CCP",
        fields={"employee_full_name": "Hidden Person", "last_day_of_employment": "2026-01-05"},
    )
    ticket_comment(ticket=ticket, author=tier1, body="Internal only words", internal=True)
    ticket_comment(ticket=ticket, author=tier1, body="Public words")
    client.force_login(customer)
    listing = client.get(f"{API}/requests/").json()
    assert [r["reference"] for r in listing["results"]] == [ticket.reference]
    detail = client.get(f"{API}/requests/{ticket.reference}/")
    assert detail.status_code == 200
    assert b"Hidden Person" not in detail.content
    assert detail.json()["sensitive_fields"] == [{"label": "Employee's full name", "masked": True}]
    assert {a["action"] for a in detail.json()["actions"]} == {"resolve", "cancel"}
    activities = client.get(f"{API}/requests/{ticket.reference}/activities/")
    assert b"Public words" in activities.content and b"Internal only words" not in activities.content
    client.force_login(tier1)
    assert b"Internal only words" in client.get(f"{API}/requests/{ticket.reference}/activities/").content


@pytest.mark.django_db
def test_outsiders_get_404_everywhere(client, customer, outsider):
    ticket = submit(customer)
    client.force_login(outsider)
    base = f"{API}/requests/{ticket.reference}"
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/activities/").status_code == 404
    assert post(client, f"{base}/transitions/", {"action": "cancel"}).status_code == 404
    assert post(client, f"{base}/comments/", {"body": "hi"}).status_code == 404
    assert post(client, f"{base}/reveal/").status_code == 404
    assert client.get(f"{API}/queues/").status_code == 404
    assert client.get(f"{API}/search/", {"q": ticket.reference}).json() == []
    assert Ticket.objects.get().status == "waiting_for_support"


@pytest.mark.django_db
def test_customers_never_reach_agent_operations(client, customer, tier1):
    ticket = submit(customer)
    client.force_login(customer)
    base = f"{API}/requests/{ticket.reference}"
    assert post(client, f"{base}/assignee/", {"assignee": tier1.email}).status_code == 404
    assert post(client, f"{base}/tier/", {"tier": 2, "reason": "x"}).status_code == 404
    assert post(client, f"{base}/priority/", {"priority": 4}).status_code == 404
    assert post(client, f"{base}/reveal/").status_code == 404
    assert post(client, f"{base}/comments/", {"body": "sneaky", "internal": True}).status_code == 403
    assert post(client, f"{base}/transitions/", {"action": "start_progress"}).status_code == 403
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.tier, ticket.status, ticket.version) == (None, 1, "waiting_for_support", 1)
    assert not Activity.objects.filter(ticket=ticket, kind="note").exists()


@pytest.mark.django_db
def test_an_agent_works_a_request_through_the_api(client, customer, tier1, tier2):
    ticket = submit(customer)
    client.force_login(tier1)
    base = f"{API}/requests/{ticket.reference}"
    response = post(client, f"{base}/assignee/", {"assignee": tier1.email, "version": 1})
    assert (response.status_code, response.json()["assignee"]) == (200, tier1.email)
    response = post(client, f"{base}/transitions/", {"action": "ask_customer", "version": 2})
    assert response.status_code == 400 and "why" in response.json()["detail"]
    response = post(client, f"{base}/transitions/", {"action": "ask_customer", "note": "Which site?", "version": 2})
    assert response.json()["status"] == "waiting_for_customer"

    client.force_login(customer)
    response = post(client, f"{base}/comments/", {"body": "Main Street."})
    assert response.status_code == 201
    assert Ticket.objects.get().status == "waiting_for_support"

    client.force_login(tier1)
    version = Ticket.objects.get().version
    response = post(client, f"{base}/tier/", {"tier": 2, "reason": "Needs Tier II", "version": version})
    assert response.status_code == 200
    assert (response.json()["tier"], response.json()["status"]) == (2, "waiting_for_support")
    response = post(client, f"{base}/priority/", {"priority": 9})
    assert response.status_code == 400 and "priority" in response.json()

    client.force_login(tier2)
    response = post(client, f"{base}/work-items/", {"title": "SSO sync bug", "kind": "bug"})
    assert response.status_code == 201
    assert WorkItem.objects.get().tickets.get() == ticket
    response = post(client, f"{base}/transitions/", {"action": "resolve", "note": "Fixed."})
    assert response.json()["status"] == "resolved"
    kinds = list(Activity.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds.count("status") == 3 and "assignment" in kinds and "tier" in kinds and "work_item" in kinds


@pytest.mark.django_db
def test_a_stale_version_is_refused_with_409_and_nothing_changes(client, customer, tier1):
    ticket = submit(customer)
    client.force_login(tier1)
    base = f"{API}/requests/{ticket.reference}"
    assert post(client, f"{base}/transitions/", {"action": "start_progress", "version": 1}).status_code == 200
    response = post(client, f"{base}/transitions/", {"action": "resolve", "version": 1})
    assert response.status_code == 409
    assert "Reload" in response.json()["detail"]
    assert post(client, f"{base}/assignee/", {"assignee": tier1.email, "version": 1}).status_code == 409
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, ticket.assignee) == ("in_progress", 2, None)


@pytest.mark.django_db
def test_merge_and_reply_are_not_plain_transitions(client, customer, tier1):
    first, second = submit(customer, "one"), submit(customer, "two")
    client.force_login(tier1)
    response = post(client, f"{API}/requests/{second.reference}/transitions/", {"action": "merge", "note": "dup"})
    assert response.status_code == 400
    response = post(client, f"{API}/requests/{second.reference}/merge/", {"into": "CSD-999"})
    assert response.status_code == 400 and "into" in response.json()
    response = post(client, f"{API}/requests/{second.reference}/merge/", {"into": first.reference})
    assert (response.status_code, response.json()["reference"]) == (200, first.reference)
    second.refresh_from_db()
    assert (second.status, second.merged_into) == ("closed", first)


@pytest.mark.django_db
def test_tier_two_reveals_sensitive_values_and_each_reveal_is_audited(client, customer, tier1, tier2):
    ticket = submit(
        customer,
        type_key="staff-terminated",
        desk="CCP",
        fields={"employee_full_name": "Hidden Person", "last_day_of_employment": "2026-01-05"},
    )
    client.force_login(tier1)
    response = post(client, f"{API}/requests/{ticket.reference}/reveal/")
    assert response.status_code == 403 and b"Hidden Person" not in response.content
    client.force_login(tier2)
    response = post(client, f"{API}/requests/{ticket.reference}/reveal/")
    assert response.status_code == 200
    assert response.json() == [{"key": "employee_full_name", "label": "Employee's full name", "value": "Hidden Person"}]
    assert response["Cache-Control"] == "no-store"
    reveal = Activity.objects.get(ticket=ticket, kind="reveal")
    assert (reveal.actor, reveal.new_value, reveal.visibility) == (tier2, "employee_full_name", "internal")


@pytest.mark.django_db
def test_queues_list_capped_counts_and_page_by_keyset(client, customer, tier1):
    tickets = [submit(customer, f"queued {i}") for i in range(5)]
    SavedQueue.objects.create(name="Urgent CSD", slug="urgent-csd", priority_at_least=3)
    Ticket.objects.filter(pk=tickets[0].pk).update(priority=4)
    client.force_login(tier1)
    queues = {q["key"]: q for q in client.get(f"{API}/queues/").json()}
    assert queues["unassigned"]["count"] == 5
    assert queues["saved-urgent-csd"]["count"] == 1
    seen, after = [], ""
    while True:
        page = client.get(f"{API}/queues/unassigned/", {"after": after} if after else {}).json()
        seen += [r["reference"] for r in page["results"]]
        if not page["next"]:
            break
        after = page["next"]
    assert sorted(seen) == sorted(t.reference for t in tickets)
    saved = client.get(f"{API}/queues/saved-urgent-csd/").json()
    assert [r["reference"] for r in saved["results"]] == [tickets[0].reference]
    assert client.get(f"{API}/queues/nope/").status_code == 404


@pytest.mark.django_db
def test_the_queue_endpoint_runs_the_same_queries_for_one_row_as_for_fifty(client, customer, tier1):
    submit(customer)
    client.force_login(tier1)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"{API}/queues/unassigned/").status_code == 200
        return len(context.captured_queries)

    one = count()
    for index in range(49):
        submit(customer, f"more {index}")
    assert count() == one


@pytest.mark.django_db
def test_a_token_authenticates_and_a_session_needs_its_csrf_token(customer):
    _token, key = api_token_create(user=customer, name="script")
    submit(customer)
    with_token = Client()
    assert with_token.get(f"{API}/requests/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert with_token.get(f"{API}/requests/", HTTP_AUTHORIZATION="Token wrong").status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    assert strict.get(f"{API}/requests/").status_code == 200
    response = strict.post(f"{API}/requests/CSD-1/transitions/", {"action": "cancel"}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert Ticket.objects.get().status == "waiting_for_support"


@pytest.mark.django_db
def test_the_schema_describes_every_operation(client, customer):
    client.force_login(customer)
    response = client.get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("transitions", "reveal", "comments", "work-items", "merge", "escalation-request", "tier"):
        assert f"/api/v1/requests/{{reference}}/{path}/" in paths
    assert "post" in paths["/api/v1/requests/"] and "get" in paths["/api/v1/requests/"]
    assert "/api/v1/queues/{key}/" in paths


@pytest.mark.django_db
def test_customers_do_not_get_the_agents_fields(client, customer, tier1):
    ticket = submit(customer)
    client.force_login(tier1)
    post(client, f"{API}/requests/{ticket.reference}/assignee/", {"assignee": tier1.email})
    agent_view = client.get(f"{API}/requests/{ticket.reference}/").json()
    assert agent_view["assignee"] == tier1.email and agent_view["tier"] == 1
    client.force_login(customer)
    for body in (
        client.get(f"{API}/requests/{ticket.reference}/").json(),
        client.get(f"{API}/requests/").json()["results"][0],
        client.get(f"{API}/search/", {"q": ticket.reference}).json()[0],
    ):
        assert not {"assignee", "team", "tier", "priority", "resolution_due_at"} & set(body)
        assert tier1.email not in str(body)


@pytest.mark.django_db
def test_cursors_are_url_safe_and_a_bad_one_is_a_400(client, customer, tier1):
    for index in range(3):
        submit(customer, f"page {index}")
    client.force_login(tier1)
    url = f"{API}/queues/unassigned/"
    from tickets.selectors import agent_queue_page

    _items, cursor = agent_queue_page(queue="unassigned", user=tier1, size=1)
    assert cursor and all(c.isalnum() or c in "-_" for c in cursor)
    assert len(client.get(url, {"after": cursor}).json()["results"]) == 2
    for junk in ("garbage", "OTk5OS0xMi0zMVQyMzo1OTo1OS0yMzo1OV8x", "x" * 500):
        response = client.get(url, {"after": junk})
        assert response.status_code == 400 and "after" in response.json()


@pytest.mark.django_db
def test_bad_input_gets_a_400_not_a_500(client, customer, tier1):
    ticket = submit(customer)
    client.force_login(tier1)
    for url in (f"{API}/search/?q=a%00b", f"{API}/queues/?desk=x%00", "/agent/search/?q=a%00b", "/requests/?q=%00"):
        assert client.get(url).status_code == 400, url
    deep = "[" * 100000 + "]" * 100000
    response = client.post(f"{API}/requests/{ticket.reference}/comments/", deep, content_type="application/json")
    assert response.status_code == 400
    client.force_login(customer)
    base = {"desk": "CSD", "request_type": "general-request"}
    for values, key in (
        ({"summary": "ok", "description": "d", "nonsense": "x"}, "nonsense"),
        ({"summary": ["a", "b"], "description": "d"}, "summary"),
        ({"summary": {"a": 1}, "description": "d"}, "summary"),
    ):
        response = post(client, f"{API}/requests/", {**base, "values": values})
        assert response.status_code == 400 and key in response.json()["values"], response.content
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_lists_run_the_same_queries_for_one_row_as_for_twenty(client, customer, tier1):
    submit(customer, "printer one")
    client.force_login(customer)

    def count(url, params):
        with CaptureQueriesContext(connection) as context:
            assert client.get(url, params).status_code == 200
        return len(context.captured_queries)

    one = (count(f"{API}/requests/", {}), count(f"{API}/search/", {"q": "printer"}))
    for index in range(19):
        ticket = submit(customer, f"printer {index}")
        ticket_comment(ticket=ticket, author=tier1, body="hi")
    assert (count(f"{API}/requests/", {}), count(f"{API}/search/", {"q": "printer"})) == one


@pytest.mark.django_db
def test_the_schema_is_for_signed_in_callers(client, customer):
    assert client.get(f"{API}/schema/").status_code == 401


@pytest.mark.django_db
def test_a_merge_never_joins_two_organisations(client, customer, outsider, tier1):
    mine, theirs = submit(customer, "mine"), submit(outsider, "theirs")
    client.force_login(tier1)
    response = post(client, f"{API}/requests/{theirs.reference}/merge/", {"into": mine.reference})
    assert response.status_code == 400 and "organisation" in response.json()["detail"]
    assert not mine.participants.filter(user=outsider).exists()
    assert Ticket.objects.get(pk=theirs.pk).status == "waiting_for_support"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.django_db
def test_files_are_uploaded_first_then_named_in_the_request_or_comment(client, customer, tier1):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.models import Attachment

    client.force_login(customer)
    response = client.post(f"{API}/attachments/", {"file": SimpleUploadedFile("screen.png", PNG)})
    assert response.status_code == 201, response.content
    screenshot = response.json()["id"]
    bad = client.post(f"{API}/attachments/", {"file": SimpleUploadedFile("page.html", b"<html><script>")})
    assert bad.status_code == 400 and "file" in bad.json()
    values = {"summary": "Error page", "description": "It crashed", "browser": "firefox"}
    submit_data = {"desk": "CCP", "request_type": "portal-error", "values": values}
    response = post(client, f"{API}/requests/", submit_data)
    assert response.status_code == 400 and "attachments" in response.json()["values"]
    response = post(client, f"{API}/requests/", {**submit_data, "files": {"attachments": [screenshot]}})
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert list(ticket.attachments.values_list("original_name", flat=True)) == ["screen.png"]

    again = client.post(f"{API}/attachments/", {"file": SimpleUploadedFile("more.png", PNG)}).json()["id"]
    response = post(client, f"{API}/requests/{ticket.reference}/comments/", {"body": "", "attachments": [again]})
    assert response.status_code == 201
    assert [a["name"] for a in response.json()["attachments"]] == ["more.png"]
    # Someone else's upload cannot be claimed.
    client.force_login(tier1)
    theirs = client.post(f"{API}/attachments/", {"file": SimpleUploadedFile("x.png", PNG)}).json()["id"]
    client.force_login(customer)
    response = post(client, f"{API}/requests/{ticket.reference}/comments/", {"body": "x", "attachments": [theirs]})
    assert response.status_code == 400
    assert Attachment.objects.get(pk=theirs).ticket is None
