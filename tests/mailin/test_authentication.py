"""Mail is only as trusted as its sender was verified (mailin/authentication.py): the receiving
server's Authentication-Results under an authserv-id we trust (tests/settings.py: mx.test)."""

import pytest

from mailin.authentication import FAIL, PASS, UNKNOWN, sender_authentication
from notifications.models import Notification
from tests.imap_server import compose
from tickets.models import Activity
from tickets.services import ticket_escalate_tier, ticket_transition

VERIFIED = ("Authentication-Results", "mx.test; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], UNKNOWN),
        (["mx.test; dmarc=pass header.from=example.org"], PASS),
        (["mx.test 1; dmarc=pass (p=reject) header.from=example.org"], PASS),
        (["mx.test; dmarc=fail header.from=example.org"], FAIL),
        (["mx.test; dmarc=none; dkim=pass header.d=example.org header.s=s1"], PASS),
        (["mx.test; dkim=pass header.i=@mail.example.org"], UNKNOWN),  # not aligned: a sub-domain signing
        (["mx.test; dkim=pass header.d=evil.example"], UNKNOWN),
        (["mx.test; spf=pass smtp.mailfrom=example.org"], UNKNOWN),  # SPF alone proves nothing of From
        # A header the sender wrote themselves, under another server's name, is ignored.
        (["evil.example; dmarc=pass header.from=example.org"], UNKNOWN),
        (["mx.test; dmarc=fail", "mx.test; dmarc=pass"], FAIL),
    ],
)
def test_it_believes_only_the_trusted_servers_verdict(headers, expected):
    assert sender_authentication(headers=headers, from_email="sam@example.org") == expected


def test_without_a_trusted_server_nobody_is_verified(settings):
    settings.MAILIN_AUTHSERV_IDS = ""
    assert sender_authentication(headers=["mx.test; dmarc=pass"], from_email="sam@example.org") == UNKNOWN


@pytest.mark.django_db
def test_it_holds_mail_from_an_agent_that_nobody_verified(receive, submit, customer, tier1, tier2):
    """The red team's forgeries: a Tier II "note" on the agents' thread, and a public reply
    "from" Tier I that the customer would have received as a phishing mail."""
    ticket = submit(customer)
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Database")
    Notification.objects.all().delete()
    forged_note = receive(compose(
        sender=f"Theo <{tier2.email}>", subject="Re: escalated",
        headers=[("In-Reply-To", f"<ticket.{ticket.reference}.agents@helpdesk.local>"),
                 ("Authentication-Results", "mx.test; dmarc=fail header.from=example.org")],
    ))  # fmt: skip
    forged_reply = receive(compose(
        sender=f"Tina <{tier1.email}>", subject=f"Re: [{ticket.reference}] Need help",
        body="Please confirm your password at http://evil.example",
    ))  # fmt: skip
    assert (forged_note.status, forged_reply.status) == ("held", "held")
    assert "DMARC" in forged_note.reason and "did not confirm" in forged_reply.reason
    assert not Activity.objects.filter(ticket=ticket, kind__in=["comment", "note"]).exists()
    assert not Notification.objects.filter(to_email=customer.email).exists()


@pytest.mark.django_db
def test_it_takes_a_verified_agents_reply(receive, submit, customer, tier1):
    ticket = submit(customer)
    message = receive(compose(
        sender=f"Tina <{tier1.email}>", subject=f"Re: [{ticket.reference}] Need help", body="Fixed it.",
        headers=[VERIFIED],
    ))  # fmt: skip
    assert (message.status, message.outcome) == ("processed", "commented")
    assert Activity.objects.get(ticket=ticket, kind="comment").actor == tier1


@pytest.mark.django_db
def test_a_customer_reply_that_failed_dmarc_changes_nothing(receive, submit, customer, tier1):
    ticket = submit(customer)
    ticket_transition(ticket=ticket, action="resolve", actor=tier1)
    forged = receive(compose(
        subject=f"Re: [{ticket.reference}] Need help", body="Not fixed!",
        headers=[("Authentication-Results", "mx.test; dmarc=fail header.from=example.org")],
    ))  # fmt: skip
    assert forged.status == "held"
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    # Without a verdict a customer's reply is taken, as every help desk does with e-mail.
    reply = receive(compose(subject=f"Re: [{ticket.reference}] Need help", body="Still broken."))
    assert reply.status == "processed"
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"


@pytest.mark.django_db
def test_a_new_request_in_an_agents_name_needs_a_verified_sender(receive, tier1):
    unverified = receive(compose(sender=f"Tina <{tier1.email}>", subject="Outage"))
    assert (unverified.status, "did not confirm" in unverified.reason) == ("held", True)
    verified = receive(compose(sender=f"Tina <{tier1.email}>", subject="Outage", headers=[VERIFIED]))
    # Past the check, the portal's rules decide (the demo's CSD type is for members only).
    assert "did not confirm" not in verified.reason
