"""Our e-mail and the customer's answer to it, end to end: the outbox sends through a real SMTP
server, the customer replies to exactly what arrived, the reply lands in a private Dovecot, the
poller threads it into the request as their comment and the lifecycle hands it back to support."""

import pytest

from mailin.models import InboundMessage
from mailin.services import mailbox_poll
from tests import imap_server
from tests.imap_server import compose
from tickets.models import Activity, ServiceDesk
from tickets.services import ticket_submit, ticket_transition
from tickets.values import SubmittedValues

dovecot = imap_server.dovecot
imap_account = imap_server.imap_account
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mailbox(imap_account, catalogue):
    ServiceDesk.objects.filter(key="CSD").update(email_address="support@csd.example")
    return imap_server.mailbox_for(imap_account)


def test_it_threads_the_customers_answer_to_our_question_back_into_the_request(
    mailbox, imap_account, customer, tier1, smtp
):
    ticket = ticket_submit(
        request_type=mailbox.default_request_type,
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="Printer offline", description="It says offline.", fields={}, files={}),
    )
    ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="Which printer model is it?")
    question = next(m for m in smtp.wait_for(2, timeout=10) if "details" in m["Subject"])
    assert question["Reply-To"] == "support@csd.example"

    # The customer's mail program answers what it received: subject, threading headers, quote.
    reply = compose(
        sender=f"Carla Customer <{customer.email}>",
        subject=f"RE: {question['Subject']}",
        body="It is the HP LaserJet 4000.\n\nOn Tuesday the help desk wrote:\n> Which printer model is it?\n",
        headers=[
            ("In-Reply-To", question["Message-ID"].strip()),
            ("References", f"{question['References'].strip()} {question['Message-ID'].strip()}"),
        ],
    )
    # And an out-of-office robot answers it too: that one must be ignored.
    robot = compose(
        sender=f"Carla Customer <{customer.email}>",
        subject=f"Automatic reply: {question['Subject']}",
        body="I am out of the office until Monday.",
        headers=[("Auto-Submitted", "auto-replied"), ("In-Reply-To", question["Message-ID"].strip())],
    )
    imap_account.append(reply)
    imap_account.append(robot)
    result = mailbox_poll(mailbox=mailbox)

    assert (result.fetched, result.error) == (2, "")
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"
    comment = Activity.objects.get(ticket=ticket, kind="comment")
    assert (comment.actor, comment.body, comment.visibility) == (customer, "It is the HP LaserJet 4000.", "public")
    outcomes = dict(InboundMessage.objects.values_list("subject", "status"))
    assert outcomes[f"Automatic reply: {question['Subject']}"] == "ignored"
    assert Activity.objects.filter(ticket=ticket, kind="comment").count() == 1
    assert imap_account.unseen() == []
