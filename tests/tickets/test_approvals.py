"""What waits for a vouching role's approval, and the answer the requester gets."""

import pytest

from notifications.models import Notification
from tickets.approvals import tickets_waiting_for_my_approval
from tickets.services import ticket_transition


@pytest.fixture
def waiting(submit, colleague):
    ticket = submit(colleague, desk="CCP", key="new-employee-access", summary="Access for the cook",
                    provider_id="CC-1", employee_full_name="Sam Cook", employee_email="sam@example.org")  # fmt: skip
    assert ticket.status == "waiting_for_approval"
    return ticket


def test_it_lists_what_waits_for_a_vouching_role(waiting, voucher, customer, outsider, tier1):
    assert list(tickets_waiting_for_my_approval(user=voucher)) == [waiting]
    for nobody in (customer, outsider, tier1):
        assert list(tickets_waiting_for_my_approval(user=nobody)) == []


def test_it_forgets_a_request_once_answered(waiting, voucher):
    ticket_transition(ticket=waiting, action="approve", actor=voucher)
    assert list(tickets_waiting_for_my_approval(user=voucher)) == []


@pytest.mark.parametrize(("action", "kind", "words"), [
    ("approve", "request_approved", "was approved by your organisation"),
    ("decline", "request_declined", "was declined by your organisation"),
])  # fmt: skip
def test_it_tells_the_requester_the_answer(waiting, voucher, colleague, action, kind, words):
    Notification.objects.all().delete()
    ticket_transition(ticket=waiting, action=action, actor=voucher, note="Talked to Sam.")
    [mail] = Notification.objects.filter(to_email=colleague.email)
    assert mail.kind == kind and words in mail.body_text and "Talked to Sam." in mail.body_text
    assert waiting.reference in mail.subject


def test_the_request_page_says_who_approved(client, waiting, voucher, colleague):
    ticket_transition(ticket=waiting, action="approve", actor=voucher)
    client.force_login(colleague)
    page = client.get(f"/requests/{waiting.reference}/").content.decode()
    assert "Approved this request." in page and "Vera Voucher" in page
