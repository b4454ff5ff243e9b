"""Parallel identical requests have one effect: the services read every condition from the ticket
row they lock (tickets/services.py `_lock`), so the later requests see the first one's change.

Each test fires 8 requests at once from 8 threads, each with its own client and database
connection, with no version (so only the lock can keep them apart), and counts what came out:
one change, one activity, one round of e-mail."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from tickets.models import Activity, Ticket

PARALLEL = 8


def fire(user, method: str, url: str, data: dict, *, json: bool = False) -> list[int]:
    """The same request from PARALLEL threads at once; their status codes."""
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run():
        client = Client()
        client.force_login(user)
        try:
            barrier.wait(timeout=30)
            kwargs = {"content_type": "application/json"} if json else {}
            response = getattr(client, method)(url, data, **kwargs)
            statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(statuses) == PARALLEL
    assert all(status < 500 for status in statuses), statuses
    return statuses


def mails(kind: str) -> int:
    return Notification.objects.filter(kind=kind).count()


@pytest.mark.django_db(transaction=True)
def test_it_records_one_customer_escalation_request(submit, customer, tier1):
    ticket = submit(customer)
    url = reverse("api:request_escalation", args=[ticket.reference])
    fire(customer, "post", url, {"reason": "Payroll is due today"}, json=True)
    ticket.refresh_from_db()
    assert ticket.escalation_requested and ticket.priority == 3
    assert Activity.objects.filter(ticket=ticket, kind="escalation_request").count() == 1
    assert mails("escalation_requested") == ticket.team.members.count()


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_tier_once(submit, customer, tier1, tier2):
    ticket = submit(customer)
    fire(tier1, "post", reverse("agent:ticket_tier", args=[ticket.reference]), {"reason": "Needs the SFTP logs"})
    ticket.refresh_from_db()
    assert ticket.tier == 2
    assert Activity.objects.filter(ticket=ticket, kind="tier").count() == 1
    assert mails("tier_escalation") == ticket.team.members.exclude(pk=tier1.pk).count()
    assert mails("request_escalated") == 1


@pytest.mark.django_db(transaction=True)
def test_it_approves_once(submit, provider, voucher, colleague, catalogue):
    ticket = submit(colleague, desk="CCP", key="new-employee-access", summary="Access for me",
                    description="I started on Monday.", provider_id="CC-1")  # fmt: skip
    assert ticket.status == "waiting_for_approval"
    url = reverse("portal:request_transition", args=[ticket.reference])
    fire(voucher, "post", url, {"action": "approve", "note": ""})
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"
    assert Activity.objects.filter(ticket=ticket, kind="status", new_value="waiting_for_support").count() == 1
    assert mails("request_approved") == 1


@pytest.mark.django_db(transaction=True)
def test_it_merges_once(submit, customer, tier1):
    original, duplicate = submit(customer), submit(customer, summary="Same again")
    url = reverse("agent:ticket_merge", args=[duplicate.reference])
    statuses = fire(tier1, "post", url, {"merge-reference": original.reference, "merge-confirm": "1"})
    assert statuses.count(302) == 1, statuses
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("closed", original.pk)
    assert Activity.objects.filter(ticket=original, kind="merge").count() == 1
    assert Activity.objects.filter(ticket=duplicate, kind="status", new_value="closed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_merges_in_opposite_directions_never_deadlock(submit, customer, tier1):
    one, two = submit(customer), submit(customer)
    barrier = threading.Barrier(2)
    statuses = []

    def run(ticket, into):
        client = Client()
        client.force_login(tier1)
        try:
            barrier.wait(timeout=30)
            url = reverse("agent:ticket_merge", args=[ticket.reference])
            statuses.append(client.post(url, {"merge-reference": into.reference, "merge-confirm": "1"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in ((one, two), (two, one))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [302, 400], statuses
    assert Ticket.objects.filter(status="closed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_assigns_once(submit, customer, tier1):
    ticket = submit(customer)
    fire(tier1, "post", reverse("agent:ticket_assign", args=[ticket.reference]), {"assign_to_me": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee == tier1
    assert Activity.objects.filter(ticket=ticket, kind="assignment").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["resolve", "cancel", "start_progress"])
def test_it_makes_each_transition_once(submit, customer, tier1, action):
    ticket = submit(customer)
    url = reverse("api:request_transition", args=[ticket.reference])
    statuses = fire(tier1, "post", url, {"action": action}, json=True)
    assert statuses.count(200) == 1, statuses
    assert Activity.objects.filter(ticket=ticket, kind="status").count() == 1
    sent = Notification.objects.filter(to_email=customer.email).exclude(kind="request_received").count()
    assert sent == 1
