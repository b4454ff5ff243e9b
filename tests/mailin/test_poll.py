"""Inbound e-mail end to end: real messages APPENDed to a private Dovecot, polled by the real
service, turned into requests and comments through the real ticket services."""

import base64
import threading
from email.utils import make_msgid

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from mailin.models import InboundMessage, Mailbox
from mailin.services import inbound_receive, inbound_reprocess, mailbox_poll
from mailin.tasks import poll_mailboxes
from notifications.models import Notification
from tests import imap_server
from tests.conftest import body_text
from tests.imap_server import compose
from tickets.models import Activity, RequestType, Ticket
from tickets.selectors import agent_queue
from tickets.services import ticket_share, ticket_transition
from tickets.workflow import Status

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64

# The private Dovecot (one per module) and a fresh IMAP account per test.
dovecot = imap_server.dovecot
imap_account = imap_server.imap_account
mailbox = imap_server.mailbox


@pytest.fixture
def deliver(imap_account, mailbox):
    """APPEND the mails to the desk's INBOX, then poll it once."""

    def deliver(*mails: bytes):
        for mail in mails:
            imap_account.append(mail)
        return mailbox_poll(mailbox=mailbox)

    return deliver


def only_message() -> InboundMessage:
    return InboundMessage.objects.get()


def test_it_opens_a_request_from_a_known_customers_mail(deliver, imap_account, mailbox, customer, provider):
    result = deliver(compose(body="The printer in room 2 says paper jam.\n\nThanks,\nCarla\n-- \nCarla Customer\n"))

    assert (result.fetched, result.processed, result.error) == (1, 1, "")
    ticket = Ticket.objects.get()
    assert ticket.requester == customer
    assert ticket.organization == provider
    assert ticket.site == provider.sites.get()
    assert ticket.channel == "email"
    assert ticket.request_type == mailbox.default_request_type
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    assert ticket.summary == "Printer is jammed"
    assert ticket.description == "The printer in room 2 says paper jam.\n\nThanks,\nCarla"
    assert Notification.objects.filter(kind="request_received", to_email=customer.email).exists()
    message = only_message()
    assert (message.status, message.outcome, message.ticket) == ("processed", "created", ticket)
    assert imap_account.unseen() == []
    mailbox.refresh_from_db()
    assert mailbox.last_success_at is not None and mailbox.last_error == ""


def test_it_keeps_attachments_under_the_portals_rules(deliver, customer):
    deliver(compose(attachments=[("jam.png", PNG, "image/png"), ("manual.pdf", PDF, "application/pdf")]))

    ticket = Ticket.objects.get()
    attachments = {a.original_name: a for a in ticket.attachments.all()}
    assert set(attachments) == {"jam.png", "manual.pdf"}
    assert attachments["jam.png"].content_type == "image/png"
    assert attachments["jam.png"].uploaded_by == customer
    assert attachments["manual.pdf"].file.read() == PDF
    assert {a.field_key for a in attachments.values()} == {"attachments"}


def test_it_notes_oversize_and_forbidden_attachments_and_keeps_the_mail(deliver, customer, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    deliver(
        compose(
            attachments=[
                ("jam.png", PNG, "image/png"),
                ("scan.pdf", PDF + b"0" * 2000, "application/pdf"),
                ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/octet-stream"),
                ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
            ]
        )
    )

    ticket = Ticket.objects.get()
    assert [a.original_name for a in ticket.attachments.all()] == ["jam.png"]
    for name in ("scan.pdf", "tool.exe", "page.html"):
        assert f"The attachment “{name}” was not added" in ticket.description
        assert name in only_message().reason
    assert "at most" in ticket.description  # the portal's own size message


def test_it_reads_a_latin1_quoted_printable_mail_with_an_encoded_subject(deliver, customer):
    raw = (
        b"From: =?iso-8859-1?Q?Carla_Cust=F3mer?= <customer@example.org>\r\n"
        b"To: support@csd.example\r\n"
        b"Subject: =?iso-8859-1?Q?Impresora_atascada_=BFqu=E9_hago=3F?=\r\n"
        b"Message-ID: <latin1-1@mail.example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n"
        b"La impresora del sal=F3n dice =93atasco=94 desde ayer. Se=F1ora Mu=F1oz lo =\r\n"
        b"vio primero.\r\n"
    )
    deliver(raw)

    ticket = Ticket.objects.get()
    assert ticket.summary == "Impresora atascada ¿qué hago?"
    assert ticket.description == "La impresora del salón dice “atasco” desde ayer. Señora Muñoz lo vio primero."


def test_it_converts_an_html_only_windows_1252_mail_to_text(deliver, customer):
    html = "<html><body><p>The \u201cSubmit\u201d button fails.</p><p>Error&nbsp;42</p></body></html>"
    raw = (
        b"From: customer@example.org\r\nTo: support@csd.example\r\nSubject: Portal error\r\n"
        b"Message-ID: <html-1@mail.example.org>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(html.encode("cp1252"))
    )
    deliver(raw)

    assert Ticket.objects.get().description == "The \u201cSubmit\u201d button fails.\n\nError 42"


@pytest.mark.parametrize(
    "header, value",
    [
        ("Auto-Submitted", "auto-replied"),
        ("Auto-Submitted", "auto-generated; owner-email=x@example.org"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
        ("Precedence", "list"),
        ("Precedence", "auto_reply"),
        ("X-Autoreply", "yes"),
        ("X-Autorespond", "Out of office"),
    ],
)
def test_it_ignores_auto_replies(deliver, imap_account, customer, header, value):
    deliver(compose(subject="Out of office", headers=[(header, value)]))

    assert not Ticket.objects.exists()
    message = only_message()
    assert message.status == "ignored"
    assert value.split(";")[0] in message.reason
    assert imap_account.unseen() == []


def test_it_creates_a_request_when_auto_submitted_says_no(deliver, customer):
    deliver(compose(headers=[("Auto-Submitted", "no")]))

    assert Ticket.objects.count() == 1


def _bounce(*, sender="MAILER-DAEMON@mx.example.org", return_path="<>", report=True) -> bytes:
    head = (
        f"Return-Path: {return_path}\r\nFrom: Mail Delivery System <{sender}>\r\n"
        "To: support@csd.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.org')}\r\nMIME-Version: 1.0\r\n"
    )
    if not report:
        return (head + "Content-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n").encode()
    return (
        head + 'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--r--\r\n"
    ).encode()


@pytest.mark.parametrize(
    "raw, reason",
    [
        (_bounce(), "Delivery or read report (delivery-status)"),
        (_bounce(sender="customer@example.org", return_path="<customer@example.org>"), "Delivery or read report"),
        (_bounce(return_path="<mailer-daemon@mx.example.org>", report=False), "Bounce (from mailer-daemon@"),
        (_bounce(sender="postmaster@mx.example.org", return_path="<x@y.z>", report=False), "Bounce (from postmaster"),
        (_bounce(sender="customer@example.org", return_path="<>", report=False), "Bounce (empty Return-Path)"),
    ],
    ids=["classic", "delivery-status-report", "mailer-daemon", "postmaster", "empty-return-path"],
)
def test_it_ignores_bounces(deliver, customer, raw, reason):
    deliver(raw)

    assert not Ticket.objects.exists()
    message = only_message()
    assert message.status == "ignored"
    assert reason in message.reason


def test_it_ignores_its_own_message_ids_coming_back(deliver, customer):
    ours = make_msgid(idstring="public-reply", domain=settings.EMAIL_MESSAGE_ID_DOMAIN)
    deliver(compose(message_id=ours))

    assert not Ticket.objects.exists()
    message = only_message()
    assert (message.status, "Mail loop" in message.reason) == ("ignored", True)


def test_it_ignores_a_message_stored_in_our_outbox(deliver, customer):
    Notification.objects.create(
        kind="public_reply",
        to_email="someone@example.org",
        subject="x",
        body_text="x",
        message_id="<sent-1@relay.example>",
    )
    deliver(compose(message_id="<sent-1@relay.example>"))

    assert not Ticket.objects.exists()
    assert "Mail loop" in only_message().reason


@pytest.mark.parametrize("sender", ["Help Desk <helpdesk@example.com>", "support@csd.example"])
def test_it_ignores_mail_from_our_own_addresses(deliver, sender):
    deliver(compose(sender=sender))

    assert not Ticket.objects.exists()
    assert "own address" in only_message().reason


def test_it_opens_one_request_for_a_mail_seen_twice(deliver, imap_account, mailbox, customer):
    mail = compose(message_id="<twice@mail.example.org>")
    first = deliver(mail, mail)
    second = deliver(mail)

    assert (first.fetched, first.duplicates, second.fetched, second.duplicates) == (1, 1, 0, 1)
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1
    assert imap_account.unseen() == []


def _submit_by_mail(deliver, subject="Printer is jammed") -> Ticket:
    deliver(compose(subject=subject, message_id=make_msgid(domain="mail.example.org")))
    return Ticket.objects.get(summary=subject)


def test_it_threads_a_reply_by_the_reference_in_its_subject(deliver, customer, tier1):
    ticket = _submit_by_mail(deliver)
    ticket = ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="Which printer model?")
    assert ticket.status == Status.WAITING_FOR_CUSTOMER

    deliver(
        compose(
            subject=f"Re: [{ticket.reference}] Printer is jammed",
            body="It is the HP 4250 on the second floor.\n\nOn Mon, 1 Jan 2024 at 09:00, Help Desk "
            "<helpdesk@example.com> wrote:\n> Which printer model?\n",
            attachments=[("label.png", PNG, "image/png")],
        )
    )

    ticket.refresh_from_db()
    comment = ticket.activities.get(kind=Activity.Kind.COMMENT)
    assert (comment.actor, comment.body) == (customer, "It is the HP 4250 on the second floor.")
    assert [a.original_name for a in comment.attachments.all()] == ["label.png"]
    # The customer's answer hands the request back to support, through the lifecycle.
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.filter(outcome="commented", ticket=ticket).count() == 1


def test_it_threads_a_reply_by_in_reply_to_our_message(deliver, customer):
    ticket = _submit_by_mail(deliver)
    confirmation = Notification.objects.get(kind="request_received", to_email=customer.email)

    deliver(
        compose(subject="Re: your mail", body="One more detail: it started Monday.", headers=[
            ("In-Reply-To", confirmation.message_id),
        ])
    )  # fmt: skip

    comment = ticket.activities.get(kind=Activity.Kind.COMMENT)
    assert comment.body == "One more detail: it started Monday."


def test_it_threads_a_reply_by_the_ticket_id_in_references(deliver, customer):
    ticket = _submit_by_mail(deliver)
    domain = settings.EMAIL_MESSAGE_ID_DOMAIN
    notification = Notification.objects.create(
        kind="public_reply", to_email=customer.email, subject="New comment", body_text="x",
        message_id=make_msgid(idstring="public-reply", domain=domain),
        headers={"References": f"<ticket.{ticket.reference}@{domain}>", "X-Helpdesk-Reference": ticket.reference},
    )  # fmt: skip

    deliver(
        compose(subject="Re: New comment", body="Thanks, that fixed it.", headers=[
            ("In-Reply-To", notification.message_id),
            ("References", f"<ticket.{ticket.reference}@{domain}> {notification.message_id}"),
        ])
    )  # fmt: skip

    assert ticket.activities.get(kind=Activity.Kind.COMMENT).body == "Thanks, that fixed it."


def test_it_follows_a_merged_request_to_the_one_it_was_merged_into(deliver, customer, tier1):
    duplicate = _submit_by_mail(deliver, subject="Printer again")
    survivor = _submit_by_mail(deliver, subject="Printer is jammed")
    from tickets.merging import ticket_merge

    ticket_merge(ticket=duplicate, into=survivor, actor=tier1)

    deliver(compose(subject=f"Re: [{duplicate.reference}] Printer again", body="Any news?"))

    assert survivor.activities.filter(kind=Activity.Kind.COMMENT, body="Any news?").exists()


def test_it_keeps_a_strangers_reply_for_an_admin_until_they_may_comment(deliver, customer, colleague):
    ticket = _submit_by_mail(deliver)

    deliver(compose(sender="colleague@example.org", subject=f"Re: [{ticket.reference}] Printer", body="Me too!"))

    held = InboundMessage.objects.get(from_email="colleague@example.org")
    assert (held.status, held.ticket) == ("held", ticket)
    assert "colleague@example.org may not comment on" in held.reason
    assert not ticket.activities.filter(kind=Activity.Kind.COMMENT).exists()

    # Once the request is shared with them, an admin processes the kept mail again.
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    assert inbound_reprocess(message_ids=[held.pk]) == {"processed": 1}
    assert ticket.activities.get(kind=Activity.Kind.COMMENT).actor == colleague


def test_it_keeps_a_reply_from_another_organisation_without_adding_it(deliver, customer, outsider):
    ticket = _submit_by_mail(deliver)
    confirmation = Notification.objects.get(kind="request_received")

    deliver(compose(sender="outsider@example.org", subject="Re: x", headers=[("In-Reply-To", confirmation.message_id)]))

    assert InboundMessage.objects.get(from_email="outsider@example.org").status == "held"
    assert not ticket.activities.filter(kind=Activity.Kind.COMMENT).exists()
    assert Ticket.objects.count() == 1


def test_it_opens_a_triage_request_for_an_unknown_sender(deliver, mailbox, tier1):
    # A new contact belongs to no organisation: the type must be offered to everyone.
    RequestType.objects.filter(pk=mailbox.default_request_type_id).update(audience=RequestType.Audience.EVERYONE)
    deliver(compose(sender="Nadia Newcomer <Nadia@NewCare.example>", subject="Can you help us?"))

    nadia = User.objects.get(email="nadia@newcare.example")
    assert (nadia.full_name, nadia.has_usable_password()) == ("Nadia Newcomer", False)
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.organization, ticket.channel) == (nadia, None, "email")
    assert ticket.request_type == mailbox.default_request_type
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    assert ticket in agent_queue(queue="unassigned", user=tier1)
    assert only_message().outcome == "created_for_contact"


def test_it_invites_an_unknown_sender_to_sign_up_instead(deliver, mailbox, smtp, django_capture_on_commit_callbacks):
    mailbox.unknown_senders = Mailbox.UnknownSenders.INVITE
    mailbox.save()
    mail = compose(sender="Nadia Newcomer <nadia@newcare.example>", message_id="<hello-1@newcare.example>")

    with django_capture_on_commit_callbacks(execute=True):
        deliver(mail)

    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="nadia@newcare.example").exists()
    assert only_message().outcome == "invited"
    sent = smtp.wait_for(1)
    assert [m["To"] for m in sent] == ["nadia@newcare.example"]
    assert sent[0]["In-Reply-To"] == "<hello-1@newcare.example>"
    assert sent[0]["Auto-Submitted"] == "auto-generated"
    assert "http://testserver/accounts/signup/" in body_text(sent[0])

    # A second mail the same day gets no second invitation (a forged sender must not make us spam).
    deliver(compose(sender="nadia@newcare.example", message_id="<hello-2@newcare.example>"))
    assert Notification.objects.filter(kind="mailin_signup_invitation").count() == 1
    assert InboundMessage.objects.get(message_id="<hello-2@newcare.example>").status == "ignored"


def test_it_keeps_a_mail_that_breaks_processing_and_processes_it_again(deliver, imap_account, customer, monkeypatch):
    def broken_submit(**kwargs):
        raise RuntimeError("the request service is down")

    monkeypatch.setattr("mailin.services.ticket_submit", broken_submit)
    mail = compose(message_id="<breaks@mail.example.org>")
    deliver(mail)

    message = only_message()
    assert message.status == "failed"
    assert message.reason == "RuntimeError: the request service is down"
    assert message.raw.open("rb").read() == mail
    assert imap_account.unseen() == []  # kept by us, so the server may forget it
    assert not Ticket.objects.exists()

    monkeypatch.undo()
    assert inbound_reprocess(message_ids=[message.pk]) == {"processed": 1}
    message.refresh_from_db()
    assert (message.status, message.ticket.summary, message.attempts) == ("processed", "Printer is jammed", 2)


def test_it_leaves_the_mail_unseen_until_our_copy_is_committed(deliver, imap_account, mailbox, customer, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(InboundMessage, "save", refuse)
    uid = imap_account.append(compose())
    result = mailbox_poll(mailbox=mailbox)

    assert "disk full" in result.error
    assert imap_account.unseen() == [uid]
    assert not Ticket.objects.exists()
    mailbox.refresh_from_db()
    assert "disk full" in mailbox.last_error

    monkeypatch.undo()
    mailbox_poll(mailbox=mailbox)
    assert imap_account.unseen() == []
    assert Ticket.objects.count() == 1


def test_it_fetches_at_most_a_batch_per_poll_and_the_rest_next_time(deliver, imap_account, customer, settings):
    settings.MAILIN_BATCH_SIZE = 2
    first = deliver(compose(subject="one"), compose(subject="two"), compose(subject="three"))

    assert first.fetched == 2
    assert len(imap_account.unseen()) == 1
    assert deliver().fetched == 1
    assert Ticket.objects.count() == 3


def test_it_keeps_only_the_headers_of_an_oversize_mail_and_tells_the_sender(deliver, imap_account, customer, settings):
    settings.MAILIN_MAX_MESSAGE_BYTES = 2000
    big = [("big.pdf", PDF + b"0" * 5000, "application/pdf")]
    deliver(compose(attachments=big, message_id="<big-1@mail.example.org>"))

    message = only_message()
    assert (message.status, message.headers_only) == ("held", True)
    assert "only its headers were kept" in message.reason
    # What the reason says is what happened: flagged as read, never fetched again.
    assert "flagged as read in the mailbox, so it will not be fetched again" in message.reason
    assert "It is still in the mailbox" not in message.reason
    assert imap_account.unseen() == []
    assert "The sender was told by e-mail" in message.reason
    kept = message.raw.open("rb").read()
    assert b"Subject: Printer is jammed" in kept and b"big.pdf" not in kept
    assert not Ticket.objects.exists()
    assert inbound_reprocess(message_ids=[message.pk]) == {}  # nothing to process from headers alone

    notice = Notification.objects.get(kind="mailin_too_large")
    assert (notice.to_email, notice.language, notice.headers["In-Reply-To"]) == (
        customer.email, customer.language, "<big-1@mail.example.org>",
    )  # fmt: skip
    assert "2.0\xa0KB" in notice.body_text and "http://testserver/" in notice.body_text
    assert "smaller files" in notice.body_text

    # A second one the same day: no second notice (a forged sender must not make us spam).
    deliver(compose(attachments=big, message_id="<big-2@mail.example.org>"))
    second = InboundMessage.objects.get(message_id="<big-2@mail.example.org>")
    assert "already told" in second.reason
    assert Notification.objects.filter(kind="mailin_too_large").count() == 1


def test_it_sends_no_notice_about_an_oversize_auto_reply(deliver, settings):
    settings.MAILIN_MAX_MESSAGE_BYTES = 2000
    deliver(compose(attachments=[("big.pdf", PDF + b"0" * 5000, "application/pdf")], headers=[
        ("Auto-Submitted", "auto-replied"),
    ]))  # fmt: skip

    assert only_message().status == "ignored"
    assert not Notification.objects.filter(kind="mailin_too_large").exists()


def test_it_reads_our_own_addresses_once_per_poll(deliver, customer, monkeypatch):
    from mailin import services

    calls = []
    original = services.mail_own_addresses

    def counting():
        calls.append(1)
        return original()

    monkeypatch.setattr(services, "mail_own_addresses", counting)
    result = deliver(compose(subject="one"), compose(subject="two"), compose(subject="three"))

    assert result.processed == 3
    assert len(calls) == 1


def test_it_skips_a_mailbox_another_poller_holds(deliver, imap_account, mailbox, customer):
    Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=timezone.now() + timezone.timedelta(minutes=1))

    result = deliver(compose())

    assert result.skipped and not Ticket.objects.exists()
    assert len(imap_account.unseen()) == 1


def test_it_polls_every_enabled_mailbox_from_the_beat_task(imap_account, mailbox, customer):
    assert settings.CELERY_BEAT_SCHEDULE["mailin-poll"]["task"] == "mailin.tasks.poll_mailboxes"
    imap_account.append(compose())

    assert poll_mailboxes.delay().get() == 1
    assert Ticket.objects.count() == 1

    Mailbox.objects.filter(pk=mailbox.pk).update(enabled=False)
    assert poll_mailboxes.delay().get() == 0


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_row_when_two_pollers_receive_the_same_mail_at_once(mailbox, customer):
    mail = compose(message_id="<race@mail.example.org>")
    barrier = threading.Barrier(2)
    results = []

    def receive():
        try:
            barrier.wait(timeout=5)
            results.append(inbound_receive(mailbox=Mailbox.objects.get(pk=mailbox.pk), raw=mail)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(results) == [False, True]
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_opens_one_request_when_two_polls_run_at_once(imap_account, mailbox, customer):
    for n in range(3):
        imap_account.append(compose(subject=f"Request {n}"))
    barrier = threading.Barrier(2)

    def poll():
        try:
            barrier.wait(timeout=5)
            mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    mailbox_poll(mailbox=mailbox)  # whatever a skipped poller left

    assert sorted(Ticket.objects.values_list("summary", flat=True)) == ["Request 0", "Request 1", "Request 2"]
    assert imap_account.unseen() == []
