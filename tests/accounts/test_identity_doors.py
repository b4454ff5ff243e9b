"""Every door that takes an e-mail address uses the one identity rule: inbound mail, on-behalf
requests, the API's assignee, the agents' search and the admin. The look-alike attack of issue 9:
mail from sam@kıss-support.example (dotless ı, another domain) was filed as the agent
sam@kiss-support.example's internal note."""

import pytest
from django.urls import reverse

from accounts.models import User
from notifications.models import Notification
from tests.conftest import _agent
from tests.imap_server import compose
from tickets.models import Activity, RequestType, Ticket
from tickets.services import ticket_escalate_tier, ticket_submit
from tickets.values import SubmittedValues

SAM = "sam@kiss-support.example"
DOTLESS = "sam@kıss-support.example"  # U+0131: another domain, xn--kss-support-zzb.example
LONG_S = "sam@kiss-ſupport.example"  # U+017F: no IDNA 2008 form at all


@pytest.fixture
def sam(catalogue):
    return _agent(SAM, 2, "Sam Agent")


def raw_mail(sender: str, subject: str, headers: str = "", body: str = "I am on it.") -> bytes:
    # Written by hand: an SMTPUTF8 client sends the address as UTF-8, which email's SMTP policy would not.
    return (
        f"From: Sam <{sender}>\r\nTo: support@csd.example\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((sender, subject)))}@mail.example>\r\n{headers}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def submit(requester) -> Ticket:
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=requester,
        organization=requester.memberships.get().organization,
        values=SubmittedValues(summary="Printer is jammed", description="It jams.", fields={}, files={}),
    )


@pytest.fixture
def escalated(customer, tier1, sam):
    ticket = submit(customer)
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Needs the database team.")
    alert = Notification.objects.get(kind="tier_escalation", to_email=sam.email)
    return ticket, alert


@pytest.mark.django_db
def test_the_agent_herself_still_answers_an_alert_as_an_internal_note(mailbox, escalated, sam, receive):
    ticket, alert = escalated
    message = receive(
        raw_mail(
            "Sam@Kiss-Support.Example",
            f"Re: {alert.subject}",
            f"In-Reply-To: {alert.message_id}\r\n"
            # Mail from an agent is taken only when the receiving server confirmed the sender.
            "Authentication-Results: mx.test; dmarc=pass header.from=kiss-support.example\r\n",
        ),
    )
    assert (message.status, message.outcome) == ("processed", "noted")
    assert ticket.activities.get(kind=Activity.Kind.NOTE).actor == sam


@pytest.mark.django_db
def test_a_look_alike_domain_is_an_unknown_sender_not_the_agent(mailbox, escalated, sam, receive):
    ticket, alert = escalated
    message = receive(raw_mail(DOTLESS, f"Re: {alert.subject}", f"In-Reply-To: {alert.message_id}\r\n"))

    assert message.status == "held"
    assert "not one of them" in message.reason
    assert message.from_email == "sam@xn--kss-support-zzb.example"
    assert not ticket.activities.filter(kind__in=[Activity.Kind.NOTE, Activity.Kind.COMMENT]).exists()


@pytest.mark.django_db
def test_new_mail_from_a_look_alike_opens_a_request_for_another_contact(mailbox, sam, receive):
    RequestType.objects.filter(pk=mailbox.default_request_type_id).update(audience=RequestType.Audience.EVERYONE)
    message = receive(raw_mail(DOTLESS, "Please reset the agents' passwords"))

    assert (message.status, message.outcome) == ("processed", "created_for_contact")
    assert message.ticket.requester != sam
    assert message.ticket.requester.email == "sam@xn--kss-support-zzb.example"
    assert User.objects.filter(email=SAM).get() == sam


@pytest.mark.django_db
def test_mail_from_an_address_without_a_canonical_form_is_held_as_malformed(mailbox, escalated, sam, receive):
    ticket, alert = escalated
    message = receive(raw_mail(LONG_S, f"Re: {alert.subject}", f"In-Reply-To: {alert.message_id}\r\n"))

    assert message.status == "held"
    assert "malformed" in message.reason
    assert not ticket.activities.filter(kind=Activity.Kind.NOTE).exists()
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_composed_mail_in_upper_case_is_still_from_the_customer(mailbox, customer, receive):
    ticket = submit(customer)
    receive(compose(sender="Carla <CUSTOMER@Example.ORG>", subject=f"Re: [{ticket.reference}] x", body="More."))
    assert ticket.activities.get(kind=Activity.Kind.COMMENT).actor == customer


# --- Agents' pages and the API ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_on_behalf_request_for_a_look_alike_is_for_another_person(client, provider, tier1, sam):
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    client.force_login(tier1)
    url = reverse("agent:ticket_create") + f"?type={request_type.pk}"
    data = {"channel": "phone", "summary": "Locked out", "description": "Cannot sign in.", "requester_name": "Caller"}

    assert client.post(url, {**data, "requester_email": DOTLESS}).status_code == 302
    assert Ticket.objects.get().requester.email == "sam@xn--kss-support-zzb.example"

    response = client.post(url, {**data, "requester_email": LONG_S})
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert client.post(url, {**data, "requester_email": "SAM@kiss-support.example"}).status_code == 302
    assert Ticket.objects.filter(requester=sam).count() == 1


@pytest.mark.django_db
def test_the_api_assigns_only_the_agent_whose_address_it_is(client, customer, tier1, sam):
    ticket = submit(customer)
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Database.")
    client.force_login(sam)
    url = f"/api/v1/requests/{ticket.reference}/assignee/"
    for look_alike in (DOTLESS, LONG_S):
        response = client.post(url, {"assignee": look_alike}, content_type="application/json")
        assert response.status_code == 400, look_alike
    response = client.post(url, {"assignee": "SAM@Kiss-Support.example"}, content_type="application/json")
    assert (response.status_code, response.json()["assignee"]) == (200, SAM)


@pytest.mark.django_db
def test_the_agents_search_finds_a_requester_by_address_only_exactly(client, customer, tier1):
    ticket = submit(customer)
    client.force_login(tier1)

    def found(query):
        return ticket.reference in client.get(reverse("agent:search"), {"q": query}).content.decode()

    assert found("CUSTOMER@example.org")
    assert not found("customer@examp\u0131e.org")
    assert not found("cuſtomer@example.org")


@pytest.mark.django_db
def test_the_admin_stores_canonical_addresses_and_refuses_a_second_spelling(client, superuser, sam):
    client.force_login(superuser)
    add = reverse("admin:accounts_user_add")
    form = {"full_name": "Someone", "password1": "correct-horse-battery-42", "password2": "correct-horse-battery-42"}

    response = client.post(add, {**form, "email": "Sam@Kiss-Support.Example"})
    assert response.status_code == 200
    assert "already exists" in response.context["adminform"].form.errors["email"][0]
    response = client.post(add, {**form, "email": LONG_S})
    assert [str(e) for e in response.context["adminform"].form.errors["email"]] == ["Enter a valid email address."]
    assert client.post(add, {**form, "email": "New.Admin@Example.ORG"}).status_code == 302
    assert User.objects.filter(email="new.admin@example.org").exists()

    change = reverse("admin:accounts_user_change", args=[sam.pk])
    page = client.get(change).context["adminform"].form
    data = {name: value for name, value in page.initial.items() if value is not None and name != "password"}
    data.update(email="SAM@KISS-SUPPORT.EXAMPLE", groups=[], user_permissions=[], muted_notifications="[]")
    data["date_joined_0"], data["date_joined_1"] = sam.date_joined.strftime("%Y-%m-%d"), "00:00:00"
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    sam.refresh_from_db()
    assert sam.email == SAM
