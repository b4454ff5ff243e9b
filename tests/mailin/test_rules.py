"""The rules inbound mail goes through, without an IMAP server: kept by inbound_receive,
processed by inbound_process, through the real ticket services. Who the sender is, which request
a reply answers (and whether it answers an alert only agents got), what a new request may be, and
what a reused Message-ID means."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from accounts.models import Membership, Site, User
from mailin.models import InboundMessage, Mailbox
from mailin.services import inbound_process, inbound_process_pending, inbound_receive, inbound_reprocess
from notifications.models import Notification
from tests.imap_server import compose
from tickets.models import Activity, RequestType, ServiceDesk, Ticket
from tickets.services import ticket_escalate_tier

DOMAIN = settings.EMAIL_MESSAGE_ID_DOMAIN


def raw_mail(from_lines: list[str], subject: str, body: str = "Please close it.", extra: str = "") -> bytes:
    head = "".join(f"From: {line}\r\n" for line in from_lines)
    return (
        f"{head}To: support@csd.example\r\nSubject: {subject}\r\nMessage-ID: <forged-{abs(hash(head))}@example.org>\r\n"
        f"{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def comments(ticket: Ticket):
    return ticket.activities.filter(kind__in=[Activity.Kind.COMMENT, Activity.Kind.NOTE])


# --- 1. Who sent it ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "from_lines",
    [
        ["customer@example.org <outsider@example.org>"],
        ["<customer@example.org> outsider@example.org"],
        ["customer@example.org, outsider@example.org"],
        ["Team: customer@example.org, outsider@example.org;"],
        ["customer@example.org", "outsider@example.org"],
    ],
    ids=["address-as-name", "address-then-address", "two-addresses", "group", "two-from-headers"],
)
def test_it_holds_a_mail_whose_sender_is_not_one_clear_address(receive, customer, outsider, from_lines, submit):
    ticket = submit(customer)

    message = receive(raw_mail(from_lines, f"Re: [{ticket.reference}] Printer is jammed"))

    assert message.status == "held"
    assert "it is not clear who sent it" in message.reason
    assert from_lines[0] in message.reason
    assert not comments(ticket).exists()
    assert Ticket.objects.count() == 1


def test_it_still_reads_a_quoted_name_with_a_comma_and_a_raw_8bit_name(receive, customer, submit):
    ticket = submit(customer)

    receive(raw_mail(['"Customer, Carla" <customer@example.org>'], f"Re: [{ticket.reference}] x", body="One."))
    receive(
        b"From: Carla M\xc3\xbcller <customer@example.org>\r\nSubject: Re: [" + ticket.reference.encode() + b"] x\r\n"
        b"Message-ID: <raw8@example.org>\r\n\r\nTwo.\r\n"
    )

    assert list(comments(ticket).order_by("pk").values_list("actor__email", "body")) == [
        ("customer@example.org", "One."), ("customer@example.org", "Two."),
    ]  # fmt: skip


# --- 2. Replies to agents' alerts ----------------------------------------------------------------


@pytest.fixture
def escalated(customer, tier1, tier2, submit):
    """A request moved to Tier II: Tier II's agents got an alert only agents get."""
    ticket = submit(customer)
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Needs the database team.")
    alert = Notification.objects.get(kind="tier_escalation", to_email=tier2.email)
    return ticket, alert


@pytest.mark.parametrize("threading", ["alert-message-id", "agents-thread-id", "long-chain"])
def test_it_adds_an_agents_reply_to_an_alert_as_an_internal_note(receive, escalated, customer, tier2, threading):
    ticket, alert = escalated
    to_customer = Notification.objects.filter(to_email=customer.email).count()
    agents_thread = f"<ticket.{ticket.reference}.agents@{DOMAIN}>"
    threading_header = {
        "alert-message-id": ("In-Reply-To", alert.message_id),
        "agents-thread-id": ("References", agents_thread),
        # Far back in a long conversation among agents, past the ids looked up.
        "long-chain": ("References", " ".join([agents_thread, *(f"<chat-{n}@example.org>" for n in range(120))])),
    }[threading]

    message = receive(
        compose(
            sender=f"Theo <{tier2.email}>",
            subject=f"Re: {alert.subject}",
            body="The index on orders is missing; I am on it.\n\nOn Monday the help desk wrote:\n> old\n",
            # The receiving server confirmed the sender: mail from an agent is taken only then.
            headers=[threading_header, ("Authentication-Results", "mx.test; dmarc=pass header.from=example.org")],
        )
    )

    assert (message.status, message.outcome, message.ticket) == ("processed", "noted", ticket)
    note = comments(ticket).get()
    assert (note.actor, note.kind, note.visibility) == (tier2, "note", "internal")
    assert note.body == "The index on orders is missing; I am on it."
    assert Notification.objects.filter(to_email=customer.email).count() == to_customer


def test_it_holds_a_customers_reply_to_an_alert_meant_for_agents(receive, escalated, customer):
    ticket, alert = escalated

    message = receive(
        compose(
            subject=f"Re: {alert.subject}",
            headers=[("In-Reply-To", alert.message_id), ("References", f"<ticket.{ticket.reference}.agents@{DOMAIN}>")],
        )
    )

    assert (message.status, message.ticket) == ("held", ticket)
    assert "alert meant for the agents" in message.reason
    assert not comments(ticket).exists()


# --- 3. The reference in the subject -------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    ["Re: [{first}] Printer like [{second}]", "RE: AW: Fwd: [{first}] [{second}] again", "[EXTERNAL] RV: [{first}] x"],
)
def test_it_threads_by_the_reference_at_the_start_of_the_subject(receive, customer, subject, submit):
    first, second = submit(customer, summary="First"), submit(customer, summary="Second")

    receive(compose(subject=subject.format(first=first.reference, second=second.reference), body="More."))

    assert comments(first).get().body == "More."
    assert not comments(second).exists()


def test_it_opens_a_new_request_for_a_reference_only_in_the_summary(receive, customer, submit):
    earlier = submit(customer, summary="Earlier")

    message = receive(compose(subject=f"Printer broke again, like in [{earlier.reference}]"))

    assert message.outcome == "created"
    assert message.ticket != earlier and not comments(earlier).exists()


# --- 4. What a new request may be ----------------------------------------------------------------


def test_it_holds_new_mail_while_the_desk_or_the_type_is_inactive(receive, mailbox, customer):
    ServiceDesk.objects.filter(pk=mailbox.desk_id).update(is_active=False)
    desk_closed = receive(compose(message_id="<closed-desk@example.org>"))
    ServiceDesk.objects.filter(pk=mailbox.desk_id).update(is_active=True)
    RequestType.objects.filter(pk=mailbox.default_request_type_id).update(is_active=False)
    type_closed = receive(compose(message_id="<closed-type@example.org>"))

    assert (desk_closed.status, type_closed.status) == ("held", "held")
    assert "desk CSD is not active" in desk_closed.reason
    assert "is not active on CSD" in type_closed.reason
    assert not Ticket.objects.exists()


def test_it_holds_new_mail_from_someone_the_type_is_not_for(receive, mailbox, customer):
    RequestType.objects.filter(pk=mailbox.default_request_type_id).update(audience=RequestType.Audience.PAYERS)

    message = receive(compose())

    assert message.status == "held"
    assert "is not offered to customer@example.org in the portal" in message.reason
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("change", [{"audience": "members"}, {"audience": "everyone", "needs_approval": True}])
def test_it_opens_nothing_for_an_unknown_sender_the_type_is_not_for(receive, mailbox, change):
    RequestType.objects.filter(pk=mailbox.default_request_type_id).update(**change)

    message = receive(compose(sender="Nadia <nadia@newcare.example>"))

    assert message.status == "held"
    assert ("approval" if "needs_approval" in change else "not offered") in message.reason
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="nadia@newcare.example").exists()


# --- 5. New contacts -----------------------------------------------------------------------------


@pytest.fixture
def open_to_everyone(mailbox):
    RequestType.objects.filter(pk=mailbox.default_request_type_id).update(audience=RequestType.Audience.EVERYONE)


def test_it_opens_no_contact_account_for_a_no_reply_sender(receive, open_to_everyone):
    message = receive(compose(sender="Portal <no-reply@vendor.example>"))

    assert message.status == "ignored"
    assert "no-reply" in message.reason
    assert not User.objects.filter(email="no-reply@vendor.example").exists()
    assert not Ticket.objects.exists()


def test_it_opens_one_request_a_day_for_an_address_nobody_confirmed(receive, open_to_everyone):
    first = receive(compose(sender="Nadia <nadia@newcare.example>", subject="One"))
    second = receive(compose(sender="Nadia <nadia@newcare.example>", subject="Two"))

    assert (first.outcome, second.status) == ("created_for_contact", "held")
    assert "in the last 24 hours" in second.reason
    assert Ticket.objects.count() == 1
    assert Notification.objects.filter(kind="request_received", to_email="nadia@newcare.example").count() == 1

    # An admin who processes it again vouches for the sender.
    assert inbound_reprocess(message_ids=[second.pk]) == {"processed": 1}
    assert Ticket.objects.count() == 2


def test_it_greets_an_invited_sender_without_their_from_name(receive, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(unknown_senders=Mailbox.UnknownSenders.INVITE)

    message = receive(compose(sender="Cheap watches at spam.example <nadia@newcare.example>"))
    assert message.outcome == "invited", message.reason

    invitation = Notification.objects.get(kind="mailin_signup_invitation")
    assert "spam.example" not in invitation.body_text + invitation.body_html + invitation.subject
    assert invitation.body_text.startswith("Hello,\n")


# --- 6. Which organisation -----------------------------------------------------------------------


def test_it_leaves_the_organisation_to_agents_when_the_sender_has_several(receive, customer, other_provider):
    Membership.objects.create(user=customer, organization=other_provider, role="staff")

    message = receive(compose())

    assert (message.ticket.organization, message.ticket.site) == (None, None)


def test_it_takes_the_only_organisation_even_when_it_has_several_sites(receive, customer, provider):
    Site.objects.create(organization=provider, name="Annex")

    message = receive(compose())

    assert (message.ticket.organization, message.ticket.site) == (provider, None)


# --- 7. Reused Message-IDs and trace headers ------------------------------------------------------


def test_it_keeps_a_different_mail_that_reuses_a_message_id(receive, customer):
    receive(compose(subject="Scanner job 1", body="page one", message_id="<scan@printer.example>"))
    receive(compose(subject="Scanner job 2", body="page two", message_id="<scan@printer.example>"))

    assert InboundMessage.objects.filter(message_id="<scan@printer.example>").count() == 2
    assert sorted(Ticket.objects.values_list("summary", flat=True)) == ["Scanner job 1", "Scanner job 2"]


TRACE_A = (
    b"Return-Path: <customer@example.org>\r\nDelivered-To: support@csd.example\r\n"
    b"Received: from mx1.example.org by mail.csd.example; Mon, 1 Jan 2024 09:00:00 +0000\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; b=AAAA\r\n\tBBBB\r\n"
)
TRACE_B = (
    b"Return-Path: <customer@example.org>\r\nX-Original-To: help@csd.example\r\nDelivered-To: help@csd.example\r\n"
    b"Received: from mx2.example.org by mail.csd.example; Mon, 1 Jan 2024 09:00:05 +0000\r\n"
    b"Authentication-Results: mail.csd.example; dkim=pass\r\n"
    b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; b=CCCC\r\n"
)


@pytest.mark.parametrize("message_id", ["<twice@example.org>", None], ids=["with-message-id", "without"])
def test_it_keeps_one_row_for_the_same_mail_delivered_twice(mailbox, customer, message_id):
    head = f"Message-ID: {message_id}\r\n".encode() if message_id else b""
    mail = head + b"From: customer@example.org\r\nSubject: Printer\r\n\r\nIt jams.\r\n"

    first, created = inbound_receive(mailbox=mailbox, raw=TRACE_A + mail)
    again, created_again = inbound_receive(mailbox=mailbox, raw=TRACE_B + mail.replace(b"\r\n", b"\n"))

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert InboundMessage.objects.count() == 1


# --- 9. The task's time limit --------------------------------------------------------------------


def test_it_lets_the_soft_time_limit_through_and_leaves_the_mail_for_later(mailbox, customer, monkeypatch):
    def out_of_time(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("mailin.services.ticket_submit", out_of_time)
    message, _created = inbound_receive(mailbox=mailbox, raw=compose())

    with pytest.raises(SoftTimeLimitExceeded):
        inbound_process(message=message)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.reason) == ("received", 0, "")


def test_it_stops_processing_waiting_mail_when_its_time_is_up(mailbox, customer):
    for n in range(3):
        inbound_receive(mailbox=mailbox, raw=compose(subject=f"Request {n}"))

    assert inbound_process_pending(mailbox=mailbox, time_budget=0) == 1
    assert InboundMessage.objects.filter(status="received").count() == 2
    assert inbound_process_pending(mailbox=mailbox) == 2


# --- 10. Attached mail, named text parts, long References ------------------------------------------


def test_it_keeps_an_attached_mail_out_of_the_request_text_and_files(receive, customer):
    forwarded = (
        b"From: boss@example.org\r\nSubject: Old thread\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="in"\r\n\r\n'
        b"--in\r\nContent-Type: text/plain\r\n\r\nThe inner secret text.\r\n"
        b'--in\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="inner.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAAA\r\n--in--\r\n"
    )
    mail = (
        b"From: customer@example.org\r\nSubject: See the mail below\r\nMessage-ID: <fwd-1@example.org>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="out"\r\n\r\n'
        b"--out\r\nContent-Type: text/plain\r\n\r\nThe mail I got is attached.\r\n"
        b"--out\r\nContent-Type: message/rfc822\r\n\r\n" + forwarded + b"\r\n--out--\r\n"
    )

    ticket = receive(mail).ticket

    assert "inner secret" not in ticket.description
    assert ticket.description.startswith("The mail I got is attached.")
    assert "The attachment “forwarded.eml” was not added" in ticket.description
    assert not ticket.attachments.exists()


def test_it_finds_the_request_among_thousands_of_references_in_a_few_queries(
    receive, customer, django_assert_max_num_queries, submit
):
    from mailin.parsing import parse_mail
    from mailin.threads import thread_ticket

    ticket = submit(customer)
    noise = " ".join(f"<ticket.CSD-{900000 + n}@{DOMAIN}>" for n in range(3000))
    mail = compose(
        subject="Re: x", body="Noted.", headers=[("References", f"{noise} <ticket.{ticket.reference}@{DOMAIN}>")]
    )

    with django_assert_max_num_queries(3):
        assert thread_ticket(parsed=parse_mail(mail)).ticket == ticket
    receive(mail)
    assert comments(ticket).get().body == "Noted."


# --- 11. Notes in the sender's language ------------------------------------------------------------


def test_it_writes_notes_about_refused_files_in_the_senders_language(receive, customer):
    User.objects.filter(pk=customer.pk).update(language="es")

    ticket = receive(
        compose(attachments=[("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/octet-stream")])
    ).ticket

    assert "El archivo adjunto «tool.exe» no se agregó" in ticket.description
    assert "was not added" not in ticket.description
