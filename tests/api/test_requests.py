"""Requests through the API: the create body (type by id, fields by key, files, site), lists by
cursor with filters, paged activities, people, notifications, approval and downloads."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.api_tokens import api_token_create
from accounts.models import Site
from tickets.models import Activity, Participant, RequestType, Ticket
from tickets.services import ticket_comment, ticket_share

API = "/api/v1"
pytestmark = pytest.mark.usefixtures("catalogue")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def type_id(desk: str, key: str) -> int:
    return RequestType.objects.get(desk__key=desk, key=key).pk


def token_client(user) -> Client:
    _token, key = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.django_db
def test_it_submits_by_type_id_with_fields_and_a_file(customer):
    client = token_client(customer)
    upload = client.post(f"{API}/attachments/", {"file": SimpleUploadedFile("screen.png", PNG)})
    assert upload.status_code == 201, upload.content
    body = {
        "request_type": str(type_id("CCP", "additional-roles")),
        "fields": {
            "summary": "Reports for our director",
            "description": "She cannot open the finance pages.",
            "user_email": "director@example.org",
            "roles_needed": "Finance reports",
            "attachments": [upload.json()["id"]],
        },
    }
    response = post(client, f"{API}/requests/", body)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.summary == "Reports for our director"
    assert ticket.field_values["user_email"]["value"] == "director@example.org"
    assert ticket.attachments.get().original_name == "screen.png"
    assert response.json()["site"] == ticket.site_id is not None


@pytest.mark.django_db
def test_bad_fields_are_refused_per_key_by_the_portals_rules(client, customer):
    client.force_login(customer)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    body = {
        "request_type": str(type_id("CCP", "staff-terminated")),
        "fields": {"summary": "Gone", "description": "x", "employee_full_name": "A B",
                   "last_day_of_employment": future, "nope": "x", "attachments": ["abc"]},
    }  # fmt: skip
    response = post(client, f"{API}/requests/", body)
    assert response.status_code == 400
    errors = response.json()["fields"]
    assert set(errors) == {"nope", "attachments"}
    del body["fields"]["nope"], body["fields"]["attachments"]
    errors = post(client, f"{API}/requests/", body).json()["fields"]
    assert errors == {"last_day_of_employment": ["This date cannot be in the future."]}
    assert not Ticket.objects.exists()
    # A type by a key needs its desk; one not open to the caller is a 400 on request_type.
    assert "request_type" in post(client, f"{API}/requests/", {"request_type": "staff-terminated"}).json()
    payer_type = str(type_id("EDI", "payer-sftp-issue"))
    assert "request_type" in post(client, f"{API}/requests/", {"request_type": payer_type, "fields": {}}).json()


@pytest.mark.django_db
def test_people_with_several_sites_name_one(client, customer, provider):
    east = Site.objects.create(organization=provider, name="East")
    client.force_login(customer)
    body = {"request_type": str(type_id("CSD", "general-request")), "fields": {"summary": "S", "description": "D"}}
    assert "site" in post(client, f"{API}/requests/", body).json()["fields"]
    body["fields"]["site"] = east.pk
    response = post(client, f"{API}/requests/", body)
    assert response.status_code == 201, response.content
    assert response.json()["site"] == east.pk


@pytest.mark.django_db
def test_lists_page_by_cursor_and_filter(client, customer, colleague, voucher, tier1, submit, monkeypatch):
    from tickets.api.views import requests as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    mine = [submit(customer, summary=f"Mine {i}") for i in range(3)]
    theirs = submit(colleague, summary="Theirs", desk="CCP", key="portal-error", browser="chrome")
    client.force_login(voucher)
    seen, after = [], ""
    while True:
        page = client.get(f"{API}/requests/", {"scope": "organization", "after": after}).json()
        seen += [row["reference"] for row in page["results"]]
        if not page["next"]:
            break
        after = page["next"]
    assert seen == [t.reference for t in reversed([*mine, theirs])]

    def refs(**params) -> set[str]:
        return {
            r["reference"]
            for r in client.get(f"{API}/requests/", {"scope": "organization", **params}).json()["results"]
        }

    assert refs(desk="ccp") == {theirs.reference}
    assert refs(type="portal-error") == refs(type=str(theirs.request_type_id)) == {theirs.reference}
    assert refs(requester="Colleague@Example.org") == {theirs.reference}
    assert refs(organization=str(customer.memberships.get().organization_id), desk="CCP") == {theirs.reference}
    assert refs(status="waiting_for_support", desk="CCP") == {theirs.reference}
    Ticket.objects.filter(pk=mine[0].pk).update(updated_at=timezone.now() - timedelta(days=2))
    Ticket.objects.exclude(pk=mine[0].pk).update(updated_at=timezone.now() - timedelta(days=5))
    since = (timezone.now() - timedelta(days=3)).isoformat()
    assert refs(updated_since=since) == {mine[0].reference}
    for bad in (
        {"updated_since": "yesterday"},
        {"after": "!!"},
        {"requester": "not an address"},
        {"organization": "abc"},  # was read as "no organisation" (IS NULL), a 200
        {"organization": "-1"},
    ):
        response = client.get(f"{API}/requests/", bad)
        assert response.status_code == 400, bad
        assert set(response.json()) >= set(bad) - {"after"}, response.json()
    # Agents see their desks' requests in "all", with the agents' fields.
    client.force_login(tier1)
    rows = client.get(f"{API}/requests/", {"scope": "all", "desk": "CSD"}).json()["results"]
    assert len(rows) == 2 and {r["reference"] for r in rows} <= {t.reference for t in mine}
    assert all("tier" in r for r in rows)
    client.force_login(customer)
    assert all("tier" not in r for r in client.get(f"{API}/requests/").json()["results"])


@pytest.mark.django_db
def test_activities_come_in_pages(client, customer, submit, monkeypatch):
    from tickets.api.views import requests as views

    monkeypatch.setattr(views, "ACTIVITY_PAGE_SIZE", 2)
    ticket = submit(customer)
    for i in range(4):
        ticket_comment(ticket=ticket, author=customer, body=f"Comment {i}")
    client.force_login(customer)
    url = f"{API}/requests/{ticket.reference}/activities/"
    bodies, after = [], ""
    while True:
        page = client.get(url, {"after": after} if after else {}).json()
        bodies += [a["body"] for a in page["results"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert [b for b in bodies if b.startswith("Comment")] == [f"Comment {i}" for i in range(4)]
    assert len(bodies) == Activity.objects.filter(ticket=ticket, visibility="public").count()
    assert client.get(url, {"after": "abc"}).status_code == 400


@pytest.mark.django_db
def test_files_download_through_the_visibility_rule(customer, outsider, tier1, submit):
    ticket = submit(customer)
    ticket_comment(ticket=ticket, author=customer, body="A file", uploads=[SimpleUploadedFile("a.png", PNG)])
    note = ticket_comment(
        ticket=ticket, author=tier1, body="Note", internal=True, uploads=[SimpleUploadedFile("n.png", PNG)]
    )
    public = ticket.attachments.exclude(activity=note).get()
    internal = note.attachments.get()
    as_customer, as_outsider, as_agent = token_client(customer), token_client(outsider), token_client(tier1)
    activities = as_customer.get(f"{API}/requests/{ticket.reference}/activities/").json()["results"]
    url = next(a["attachments"][0]["url"] for a in activities if a["attachments"])
    assert url.endswith(f"/api/v1/attachments/{public.pk}/")
    response = as_customer.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert as_outsider.get(url).status_code == 404
    assert as_customer.get(f"{API}/attachments/{internal.pk}/").status_code == 404
    assert as_agent.get(f"{API}/attachments/{internal.pk}/").status_code == 200
    assert Client().get(url).status_code == 401


@pytest.mark.django_db
def test_participants_are_listed_shared_removed_and_switch_their_mail(
    client, customer, colleague, outsider, voucher, submit
):
    ticket = submit(customer)
    client.force_login(customer)
    base = f"{API}/requests/{ticket.reference}/participants/"
    me = {"name": customer.full_name, "email": customer.email, "notify": True, "removable": False}
    assert client.get(base).json() == [me]
    assert post(client, base, {"email": colleague.email}).status_code == 201
    assert client.get(base).json() == [
        me,
        {"name": colleague.full_name, "email": colleague.email, "notify": True, "removable": True},
    ]
    assert post(client, base, {"email": outsider.email}).status_code == 400

    client.force_login(colleague)
    notifications = f"{API}/requests/{ticket.reference}/notifications/"
    response = client.put(notifications, {"notify": False}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"notify": False}
    assert Participant.objects.get(ticket=ticket, user=colleague).notify is False

    client.force_login(customer)
    assert client.delete(f"{base}{colleague.email}/").status_code == 204
    assert client.get(base).json() == [me]
    client.force_login(colleague)
    assert client.get(f"{API}/requests/{ticket.reference}/").status_code == 404
    # Once off the request, the switch is refused, and nobody becomes a participant by it.
    assert client.put(notifications, {"notify": True}, content_type="application/json").status_code == 404
    client.force_login(voucher)
    assert client.put(notifications, {"notify": True}, content_type="application/json").status_code == 403
    assert not Participant.objects.filter(ticket=ticket, user=voucher).exists()


@pytest.mark.django_db
def test_a_vouching_role_approves_or_declines(client, customer, voucher, submit):
    RequestType.objects.filter(desk__key="CSD", key="general-request").update(needs_approval=True)
    first, second = submit(customer, summary="One"), submit(customer, summary="Two")
    assert first.status == "waiting_for_approval"
    client.force_login(customer)
    assert post(client, f"{API}/requests/{first.reference}/approval/", {"decision": "approve"}).status_code == 403
    client.force_login(voucher)
    response = post(client, f"{API}/requests/{first.reference}/approval/", {"decision": "approve"})
    assert response.status_code == 200 and response.json()["status"] == "waiting_for_support"
    url = f"{API}/requests/{second.reference}/approval/"
    assert post(client, url, {"decision": "decline"}).status_code == 400  # a note is required
    response = post(client, url, {"decision": "decline", "note": "Not ours to ask."})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert post(client, url, {"decision": "approve"}).status_code in (403, 409)


@pytest.mark.django_db
def test_shares_seen_by_a_colleague_work_through_the_api(customer, colleague, submit):
    ticket = submit(customer)
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    rows = token_client(colleague).get(f"{API}/requests/", {"scope": "shared"}).json()["results"]
    assert [r["reference"] for r in rows] == [ticket.reference]


@pytest.mark.django_db
def test_an_agents_list_runs_the_same_queries_for_one_row_as_for_twenty(client, customer, tier1, submit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submit(customer, summary="First")
    client.force_login(tier1)

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"{API}/requests/", {"scope": "all"}).status_code == 200
        return len(context.captured_queries)

    one = count()
    for index in range(19):
        ticket = submit(customer, summary=f"Row {index}")
        client.post(f"{API}/requests/{ticket.reference}/assignee/", {"assignee": tier1.email}, "application/json")
    assert count() == one
