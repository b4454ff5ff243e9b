"""Collisions (presence, stale versions, two agents at once) and requests filed for callers."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import User
from tickets.models import Activity, RequestType, Ticket
from tickets.services import StaleVersion, ticket_assign, ticket_submit
from tickets.values import SubmittedValues


def submit(customer):
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="Collide", description="", fields={}, files={}),
    )


@pytest.mark.django_db
def test_the_second_agent_sees_who_else_is_viewing_or_replying(client, customer, tier1, tier2):
    ticket = submit(customer)
    url = reverse("agent:ticket_detail", args=[ticket.reference])
    client.force_login(tier1)
    client.get(url)
    client.force_login(tier2)
    assert f"{tier1.full_name} is also viewing this request." in client.get(url).content.decode()
    client.force_login(tier1)
    presence = client.post(reverse("agent:ticket_presence", args=[ticket.reference]), {"state": "replying"}).json()
    assert presence["others"] == [{"name": tier2.full_name, "state": "viewing"}]
    assert presence["version"] == 1
    client.force_login(tier2)
    assert f"{tier1.full_name} is replying to this request." in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_agents_assigning_at_once_one_wins_and_the_other_is_told(catalogue, customer, tier1, tier2):
    ticket = submit(customer)
    barrier = threading.Barrier(2)
    outcomes = {}

    def assign(agent):
        try:
            barrier.wait(timeout=10)
            ticket_assign(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, assignee=agent, expected_version=1)
            outcomes[agent.pk] = "assigned"
        except StaleVersion:
            outcomes[agent.pk] = "stale"
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(agent,)) for agent in (tier1, tier2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["assigned", "stale"]
    winner = next(pk for pk, outcome in outcomes.items() if outcome == "assigned")
    ticket.refresh_from_db()
    assert ticket.assignee_id == winner and ticket.version == 2
    assert Activity.objects.filter(ticket=ticket, kind="assignment").count() == 1


@pytest.mark.django_db
def test_an_agent_files_a_request_for_a_caller_without_an_account(client, catalogue, provider, tier1):
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    client.force_login(tier1)
    assert b"General Request" in client.get(reverse("agent:ticket_create")).content
    url = reverse("agent:ticket_create") + f"?type={request_type.pk}"
    data = {
        "requester_email": "Caller@Example.org",
        "organization": provider.pk,
        "channel": "phone",
        "summary": "Called about a locked account",
        "description": "Locked after three tries.",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert b"enter their full name" in response.content
    response = client.post(url, {**data, "requester_name": "Cal Caller"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    caller = User.objects.get(email="caller@example.org")
    assert (ticket.requester, ticket.created_by, ticket.channel, ticket.organization) == (
        caller,
        tier1,
        "phone",
        provider,
    )
    assert not caller.has_usable_password()
    response = client.post(url, {**data, "requester_email": caller.email})
    assert response.status_code == 302
    assert Ticket.objects.filter(requester=caller).count() == 2


@pytest.mark.django_db
def test_customers_cannot_file_for_others(client, catalogue, customer):
    client.force_login(customer)
    assert client.get(reverse("agent:ticket_create")).status_code == 404
