"""The thin end-to-end slice: a customer submits, an agent finds it in the Unassigned queue."""

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.conftest import body_text
from tickets.models import Activity, Participant, ServiceDesk, Ticket

CREATE_URL = reverse("portal:request_create", args=["customer-service", "general-request"])


def _submit(client, **extra):
    data = {"summary": "Portal link does not open", "description": "The portal link in the e-mail gives a blank page."}
    return client.post(CREATE_URL, {**data, **extra})


@pytest.mark.django_db(transaction=True)
def test_it_walks_from_desk_to_request_page_and_mails_a_confirmation(client, catalogue, customer, smtp):
    client.force_login(customer)
    home = client.get(reverse("portal:home"))
    assert b"Customer Service Desk" in home.content

    desk = client.get(reverse("portal:desk_detail", args=["customer-service"]), {"group": "support-requests"})
    assert desk.status_code == 200
    assert b"Contact us about" in desk.content
    assert b"What can we help you with?" in desk.content
    assert CREATE_URL.encode() in desk.content

    form = client.get(CREATE_URL)
    assert form.status_code == 200
    assert b'aria-required="true"' in form.content

    response = _submit(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request_detail", args=["CSD-1"])

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"CSD-1" in page.content
    assert b"Portal link does not open" in page.content
    assert b"Waiting for support" in page.content

    ticket = Ticket.objects.get(reference="CSD-1")
    assert ticket.requester == customer
    assert ticket.organization == customer.memberships.get().organization
    assert ticket.team.tier == 1
    assert Participant.objects.filter(ticket=ticket, user=customer, notify=True).exists()
    assert Activity.objects.filter(ticket=ticket, kind="created").count() == 1

    (message,) = smtp.wait_for(1)
    assert message["To"] == customer.email
    assert "CSD-1" in message["Subject"]
    assert "http://testserver/requests/CSD-1/" in body_text(message)
    assert Notification.objects.get(kind="request_received").status == "sent"

    mine = client.get(reverse("portal:request_list"))
    assert b"CSD-1" in mine.content
    assert b"Portal link does not open" in mine.content


@pytest.mark.django_db
def test_it_puts_the_request_in_the_unassigned_queue_for_tier_one(client, catalogue, customer, tier1):
    client.force_login(customer)
    _submit(client)
    client.force_login(tier1)
    queue = client.get(reverse("agent:queue", args=["unassigned"]))
    assert queue.status_code == 200
    assert b"CSD-1" in queue.content
    detail = client.get(reverse("agent:ticket_detail", args=["CSD-1"]))
    assert detail.status_code == 200
    assert b"The portal link in the e-mail gives a blank page." in detail.content
    assert customer.email.encode() in detail.content


@pytest.mark.django_db
def test_it_hides_a_request_from_other_organisations_with_a_404(client, catalogue, customer, outsider):
    client.force_login(customer)
    _submit(client)
    client.force_login(outsider)
    assert client.get(reverse("portal:request_detail", args=["CSD-1"])).status_code == 404
    assert client.get(reverse("portal:request_detail", args=["CSD-999"])).status_code == 404
    assert b"CSD-1" not in client.get(reverse("portal:request_list")).content


@pytest.mark.django_db
def test_it_keeps_the_agent_pages_from_customers(client, catalogue, customer):
    client.force_login(customer)
    _submit(client)
    assert client.get(reverse("agent:queue", args=["unassigned"])).status_code == 404
    assert client.get(reverse("agent:ticket_detail", args=["CSD-1"])).status_code == 404
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_it_shows_field_errors_and_keeps_the_values(client, catalogue, customer):
    client.force_login(customer)
    response = client.post(CREATE_URL, {"summary": "", "description": "Kept text"})
    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert b"Kept text" in response.content
    assert not Ticket.objects.exists()
    assert ServiceDesk.objects.get(key="CSD").last_number == 0


@pytest.mark.django_db
def test_it_refuses_a_ten_thousand_character_summary(client, catalogue, customer):
    client.force_login(customer)
    response = _submit(client, summary="x" * 10_000)
    assert response.status_code == 400
    assert b"Ensure this value has at most 255 characters" in response.content
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_it_shows_markup_in_the_summary_as_text(client, catalogue, customer):
    client.force_login(customer)
    _submit(client, summary="<script>alert(1)</script>", description="<b>bold</b>")
    page = client.get(reverse("portal:request_detail", args=["CSD-1"]))
    assert b"<script>alert(1)</script>" not in page.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.content
    assert b"&lt;b&gt;bold&lt;/b&gt;" in page.content


@pytest.mark.django_db
def test_it_shows_payer_types_only_to_payers(client, catalogue, customer):
    client.force_login(customer)
    desk = client.get(reverse("portal:desk_detail", args=["edi-support"]), {"group": "payer"})
    assert b"Payer SFTP Issue" not in desk.content
    sftp = reverse("portal:request_create", args=["edi-support", "payer-sftp-issue"])
    assert client.get(sftp).status_code == 404


@pytest.mark.django_db
def test_it_numbers_each_desk_on_its_own(client, catalogue, customer):
    client.force_login(customer)
    _submit(client)
    _submit(client)
    other = reverse("portal:request_create", args=["edi-support", "provider-request"])
    response = client.post(other, {"summary": "Claims file rejected"})
    assert response.status_code == 302, response.content.decode()
    assert sorted(Ticket.objects.values_list("reference", flat=True)) == ["CSD-1", "CSD-2", "EDI-1"]


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_to_sign_in(client, catalogue):
    response = client.get(CREATE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
