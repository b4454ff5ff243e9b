"""What a provider does on the request page, and the seeds' form rules."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from notifications.models import Notification
from tickets.models import Activity, Attachment, Participant, Ticket
from tickets.services import ticket_comment, ticket_transition

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GENERAL = reverse("portal:request_create", args=["customer-service", "general-request"])


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _submit(client, user, **data):
    client.force_login(user)
    response = client.post(GENERAL, {"summary": "Need help", "description": "Details here.", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Ticket.objects.latest("id")


def _url(name, ticket):
    return reverse(f"portal:{name}", args=[ticket.reference])


@pytest.mark.django_db
def test_it_shares_with_a_colleague_who_then_sees_it(client, catalogue, customer, colleague, outsider):
    ticket = _submit(client, customer)
    client.force_login(colleague)
    assert client.get(_url("request_detail", ticket)).status_code == 404
    client.force_login(customer)
    page = client.get(_url("request_detail", ticket))
    assert colleague.full_name.encode() in page.content
    assert outsider.full_name.encode() not in page.content
    response = client.post(_url("request_share", ticket), {"user": colleague.pk})
    assert response.status_code == 302
    assert Activity.objects.filter(ticket=ticket, kind="share").exists()
    assert Notification.objects.filter(kind="shared_with_you", to_email=colleague.email).exists()
    client.force_login(colleague)
    assert client.get(_url("request_detail", ticket)).status_code == 200
    assert ticket.reference.encode() in client.get(reverse("portal:request_list"), {"scope": "shared"}).content


@pytest.mark.django_db
def test_it_refuses_to_share_outside_the_organisation(client, catalogue, customer, outsider):
    ticket = _submit(client, customer)
    response = client.post(_url("request_share", ticket), {"user": outsider.pk})
    assert response.status_code == 400
    assert not Participant.objects.filter(ticket=ticket, user=outsider).exists()


@pytest.mark.django_db
def test_a_customer_comment_hands_a_waiting_request_back_to_support(client, catalogue, customer, tier1):
    ticket = _submit(client, customer)
    ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="Which browser?")
    ticket.refresh_from_db()
    response = client.post(_url("request_comment", ticket), {"body": "Firefox 130", "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"
    assert Activity.objects.filter(ticket=ticket, kind="comment", body="Firefox 130").exists()


@pytest.mark.django_db
def test_it_refuses_an_empty_comment(client, catalogue, customer):
    ticket = _submit(client, customer)
    response = client.post(_url("request_comment", ticket), {"body": "  "})
    assert response.status_code == 400
    assert b"Write a comment or attach a file." in response.content
    assert not Activity.objects.filter(ticket=ticket, kind="comment").exists()


@pytest.mark.django_db
def test_it_refuses_a_comment_on_a_stale_version(client, catalogue, customer):
    ticket = _submit(client, customer)
    client.post(_url("request_comment", ticket), {"body": "first", "version": ticket.version})
    response = client.post(_url("request_comment", ticket), {"body": "kept text", "version": ticket.version})
    assert response.status_code == 409
    assert b"Someone else changed this request" in response.content
    assert b"kept text" in response.content


@pytest.mark.django_db
def test_turning_notifications_off_stops_the_mail(client, catalogue, customer, tier1):
    ticket = _submit(client, customer)
    client.post(_url("request_notifications", ticket), {"notify": "off"})
    assert not Participant.objects.get(ticket=ticket, user=customer).notify
    before = Notification.objects.filter(to_email=customer.email).count()
    ticket_comment(ticket=ticket, author=tier1, body="We are on it.")
    assert Notification.objects.filter(to_email=customer.email).count() == before
    client.post(_url("request_notifications", ticket), {"notify": "on"})
    ticket_comment(ticket=ticket, author=tier1, body="Fixed, please check.")
    assert Notification.objects.filter(to_email=customer.email, kind="public_reply").count() == 1


@pytest.mark.django_db
def test_an_internal_note_never_reaches_the_customer(client, catalogue, customer, tier1):
    ticket = _submit(client, customer)
    ticket_comment(ticket=ticket, author=tier1, body="Internal: check the logs", internal=True, uploads=[png()])
    page = client.get(_url("request_detail", ticket))
    assert b"Internal: check the logs" not in page.content
    attachment = Attachment.objects.get(ticket=ticket)
    assert client.get(reverse("portal:attachment_download", args=[attachment.pk])).status_code == 404
    assert not Notification.objects.filter(kind="public_reply").exists()
    client.force_login(tier1)
    assert client.get(reverse("portal:attachment_download", args=[attachment.pk])).status_code == 200


@pytest.mark.django_db
def test_it_escalates_with_a_reason_only(client, catalogue, customer, tier1):
    ticket = _submit(client, customer)
    response = client.post(_url("request_escalate", ticket), {"reason": "", "version": ticket.version})
    assert response.status_code == 400
    assert b"This field is required." in response.content
    response = client.post(
        _url("request_escalate", ticket), {"reason": "Payroll is blocked", "version": ticket.version}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.escalation_requested and ticket.escalation_reason == "Payroll is blocked"
    assert ticket.priority == 3
    assert ticket.tier == 1  # agents decide whether to move the tier
    assert Notification.objects.filter(kind="escalation_requested", to_email=tier1.email).exists()


@pytest.mark.django_db
def test_it_resolves_and_reopens_within_the_window(client, catalogue, customer):
    ticket = _submit(client, customer)
    response = client.post(_url("request_transition", ticket), {"action": "resolve", "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert b"Reopen" in client.get(_url("request_detail", ticket)).content
    response = client.post(_url("request_transition", ticket), {"action": "reopen", "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"


@pytest.mark.django_db
def test_it_refuses_a_reopen_after_the_window(client, catalogue, customer, settings):
    ticket = _submit(client, customer)
    client.post(_url("request_transition", ticket), {"action": "resolve"})
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - datetime.timedelta(days=30))
    settings.REOPEN_WINDOW_DAYS = 14
    assert b'value="reopen"' not in client.get(_url("request_detail", ticket)).content
    response = client.post(_url("request_transition", ticket), {"action": "reopen"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


@pytest.mark.django_db
def test_it_cancels_and_refuses_agent_only_actions(client, catalogue, customer):
    ticket = _submit(client, customer)
    assert client.post(_url("request_transition", ticket), {"action": "start_progress"}).status_code == 400
    response = client.post(_url("request_transition", ticket), {"action": "cancel"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "canceled"


@pytest.mark.django_db
def test_a_new_employee_request_waits_for_a_vouching_role_who_approves_it(client, catalogue, provider):
    director = User.objects.create_user(email="director@example.org", password="x", full_name="Dee Director")
    Membership.objects.create(user=director, organization=provider, role="lead_director")
    newcomer = User.objects.create_user(email="new@example.org", password="x", full_name="Nell New")
    client.force_login(newcomer)
    url = reverse("portal:request_create", args=["child-care-provider", "new-employee-access"])
    data = {
        "summary": "Access for Nell",
        "description": "I started on Monday as an assistant teacher.",
        "provider_id": "CC-404",
        "employee_full_name": "Nell New",
        "employee_email": "new@example.org",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert b"We do not know this provider ID" in response.content
    response = client.post(url, {**data, "provider_id": provider.provider_id})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == "waiting_for_approval"
    assert ticket.organization == provider
    assert Notification.objects.filter(kind="approval_needed", to_email=director.email).exists()

    client.force_login(director)
    page = client.get(_url("request_detail", ticket))
    assert b'value="approve"' in page.content
    response = client.post(_url("request_transition", ticket), {"action": "approve", "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"
    assert Membership.objects.filter(user=newcomer, organization=provider, role="staff").exists()


@pytest.mark.django_db
def test_a_vouching_role_submits_without_waiting(client, catalogue, provider):
    admin = User.objects.create_user(email="siteadmin@example.org", password="x", full_name="Sam Siteadmin")
    Membership.objects.create(user=admin, organization=provider, role="site_admin")
    client.force_login(admin)
    url = reverse("portal:request_create", args=["child-care-provider", "new-employee-access"])
    response = client.post(url, {
        "summary": "Access for our new teacher", "description": "Starts Monday.", "provider_id": provider.provider_id,
        "employee_full_name": "Tom Teacher", "employee_email": "tom@example.org",
    })  # fmt: skip
    assert response.status_code == 302
    assert Ticket.objects.get().status == "waiting_for_support"


@pytest.mark.django_db
def test_a_staff_member_cannot_approve(client, catalogue, provider, customer):
    newcomer = User.objects.create_user(email="new@example.org", password="x", full_name="Nell New")
    client.force_login(newcomer)
    client.post(reverse("portal:request_create", args=["child-care-provider", "new-employee-access"]), {
        "summary": "Access", "description": "New here.", "provider_id": provider.provider_id,
        "employee_full_name": "Nell New", "employee_email": "new@example.org",
    })  # fmt: skip
    ticket = Ticket.objects.get()
    client.force_login(customer)  # staff, not a vouching role: does not even see it
    assert client.post(_url("request_transition", ticket), {"action": "approve"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_approval"


# --- The seeds' form rules ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_error_report_requires_a_screenshot(client, catalogue, customer):
    client.force_login(customer)
    url = reverse("portal:request_create", args=["child-care-provider", "portal-error"])
    data = {"summary": "Login fails", "description": "Error 500 after sign in.", "browser": "chrome"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert b"Please attach at least one file." in response.content
    response = client.post(url, {**data, "attachments": png()})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.attachments.get().original_name == "shot.png"


@pytest.mark.django_db
def test_a_form_error_keeps_the_uploaded_file(client, catalogue, customer):
    client.force_login(customer)
    url = reverse("portal:request_create", args=["child-care-provider", "portal-error"])
    response = client.post(url, {"summary": "", "description": "d", "browser": "edge", "attachments": png("kept.png")})
    assert response.status_code == 400
    staged = Attachment.objects.get(original_name="kept.png")
    assert f'name="attachments__staged" value="{staged.pk}" checked'.encode() in response.content
    response = client.post(
        url, {"summary": "Now with a summary", "description": "d", "browser": "edge", "attachments__staged": staged.pk}
    )
    assert response.status_code == 302
    staged.refresh_from_db()
    assert staged.ticket.summary == "Now with a summary"


@pytest.mark.django_db
def test_staff_terminated_needs_a_past_last_day(client, catalogue, customer):
    client.force_login(customer)
    url = reverse("portal:request_create", args=["child-care-provider", "staff-terminated"])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    data = {"summary": "Remove access", "description": "Left last week.", "employee_full_name": "Jo Gone"}
    response = client.post(url, {**data, "last_day_of_employment": tomorrow})
    assert response.status_code == 400
    assert b"This date cannot be in the future." in response.content
    response = client.post(url, {**data})
    assert b"This field is required." in response.content
    response = client.post(url, {**data, "last_day_of_employment": timezone.localdate().isoformat()})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    # The employee's name is sensitive: stored apart, never in the field values.
    assert "employee_full_name" not in ticket.field_values
    assert ticket.sensitive_values.get().value == "Jo Gone"
    assert b"Jo Gone" not in client.get(_url("request_detail", ticket)).content


@pytest.mark.django_db
def test_other_requires_a_description_of_real_length(client, catalogue, customer):
    client.force_login(customer)
    url = reverse("portal:request_create", args=["child-care-provider", "other-issue"])
    response = client.post(url, {"summary": "Something else", "description": "Help"})
    assert response.status_code == 400
    assert b"Ensure this value has at least 100 characters" in response.content
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_new_provider_needs_a_provider_id(client, catalogue):
    newcomer = User.objects.create_user(email="fresh@example.org", password="x", full_name="Fay Fresh")
    client.force_login(newcomer)
    url = reverse("portal:request_create", args=["child-care-provider", "new-provider-sso"])
    response = client.post(url, {"summary": "SSO", "description": "New centre.", "organisation_name": "Fay's"})
    assert response.status_code == 400
    assert b"This field is required." in response.content


# --- Uploads -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("drawing.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("program.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("notes.png", b"just some text"),
    ],
)
def test_it_refuses_disguised_files(client, customer, name, content):
    client.force_login(customer)
    response = client.post(reverse("portal:attachment_upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert "not a file type we accept" in response.json()["error"]
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_oversized_file(client, customer, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(customer)
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2048)
    response = client.post(reverse("portal:attachment_upload"), {"file": big})
    assert response.status_code == 400
    assert "at most 1.0" in response.json()["error"]


@pytest.mark.django_db
def test_a_staged_upload_is_only_its_owners(client, customer, colleague):
    client.force_login(customer)
    response = client.post(reverse("portal:attachment_upload"), {"file": io.BytesIO(PNG)})
    assert response.status_code == 400  # a file without a name is refused cleanly
    response = client.post(reverse("portal:attachment_upload"), {"file": png()})
    assert response.status_code == 201
    url = response.json()["url"]
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert "sandbox" in download["Content-Security-Policy"]
    client.force_login(colleague)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_sweep_removes_only_old_unclaimed_files(client, catalogue, customer, settings):
    from tickets.tasks import sweep_unclaimed_attachments

    client.force_login(customer)
    old = Attachment.objects.get(
        pk=client.post(reverse("portal:attachment_upload"), {"file": png("old.png")}).json()["id"]
    )
    fresh = client.post(reverse("portal:attachment_upload"), {"file": png("fresh.png")}).json()["id"]
    claimed = _submit(client, customer)
    ticket_comment(ticket=claimed, author=customer, body="with a file", uploads=[png("kept.png")])
    Attachment.objects.exclude(pk=fresh).update(created_at=timezone.now() - datetime.timedelta(hours=30))
    path = old.file.path
    assert sweep_unclaimed_attachments() == 1
    assert not Attachment.objects.filter(pk=old.pk).exists()
    assert Attachment.objects.filter(pk=fresh).exists()
    assert Attachment.objects.filter(original_name="kept.png").exists()
    import os

    assert not os.path.exists(path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("request_detail", None),
        ("request_comment", {"body": "intruding"}),
        ("request_transition", {"action": "cancel"}),
        ("request_escalate", {"reason": "intruding"}),
        ("request_share", {"user": 1}),
        ("request_notifications", {"notify": "off"}),
    ],
)
def test_another_organisation_gets_a_404_everywhere(client, catalogue, customer, outsider, name, data):
    ticket = _submit(client, customer, attachments=png())
    client.force_login(outsider)
    url = _url(name, ticket)
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support" and ticket.version == 1
    assert not Activity.objects.filter(ticket=ticket).exclude(kind="created").exists()
    for attachment in Attachment.objects.filter(ticket=ticket):
        assert client.get(reverse("portal:attachment_download", args=[attachment.pk])).status_code == 404


@pytest.mark.django_db
def test_a_decline_needs_a_reason_and_tells_the_requester(client, catalogue, provider):
    director = User.objects.create_user(email="director@example.org", password="x", full_name="Dee Director")
    Membership.objects.create(user=director, organization=provider, role="site_manager")
    newcomer = User.objects.create_user(email="new@example.org", password="x", full_name="Nell New")
    client.force_login(newcomer)
    client.post(reverse("portal:request_create", args=["child-care-provider", "new-employee-access"]), {
        "summary": "Access", "description": "New here.", "provider_id": provider.provider_id,
        "employee_full_name": "Nell New", "employee_email": "new@example.org",
    })  # fmt: skip
    ticket = Ticket.objects.get()
    client.force_login(director)
    response = client.post(_url("request_transition", ticket), {"action": "decline", "note": ""})
    assert response.status_code == 400
    assert b"Please say why." in response.content
    response = client.post(_url("request_transition", ticket), {"action": "decline", "note": "Not one of ours."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "declined"
    assert not Membership.objects.filter(user=newcomer).exists()
    assert Notification.objects.filter(kind="status_changed", to_email=newcomer.email).exists()


@pytest.mark.django_db
def test_someone_with_several_sites_picks_one(client, catalogue, customer):
    from accounts.models import Site

    organization = customer.memberships.get().organization
    riverside = Site.objects.create(organization=organization, name="Riverside")
    client.force_login(customer)
    response = client.post(GENERAL, {"summary": "Which site?", "description": "d"})
    assert response.status_code == 400
    assert b"Site" in response.content and b"This field is required." in response.content
    response = client.post(GENERAL, {"summary": "Which site?", "description": "d", "site": riverside.pk})
    assert response.status_code == 302
    assert Ticket.objects.get().site == riverside


@pytest.mark.django_db
def test_payers_see_payer_types_and_not_provider_types(client, catalogue):
    from accounts.models import Organization

    payer_org = Organization.objects.create(name="Health Plan", kind="payer", provider_id="PY-1")
    payer = User.objects.create_user(email="payer@example.org", password="x", full_name="Pat Payer")
    Membership.objects.create(user=payer, organization=payer_org, role="staff")
    client.force_login(payer)
    page = client.get(reverse("portal:desk_detail", args=["edi-support"]), {"group": "payer"}).content
    assert b"Payer SFTP Issue" in page
    page = client.get(reverse("portal:desk_detail", args=["edi-support"]), {"group": "provider"}).content
    assert b"Provider Request" not in page
    assert client.get(reverse("portal:request_create", args=["edi-support", "provider-request"])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_spanish_speaker_gets_the_confirmation_in_spanish(client, catalogue, customer, smtp):
    from tests.conftest import body_text

    customer.language = "es"
    customer.save()
    _submit(client, customer)
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "[CSD-1] Recibimos su solicitud: Need help"
    assert "Recibimos su solicitud en Mesa de servicio al cliente. Su referencia es CSD-1" in body_text(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Ver su solicitud" in html
