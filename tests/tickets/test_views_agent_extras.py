"""Collisions (presence, stale versions, two agents at once) and requests filed for callers."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import User
from tickets.models import Activity, RequestType, Ticket
from tickets.services import StaleVersion, ticket_assign


@pytest.mark.django_db
def test_the_second_agent_sees_who_else_is_viewing_or_replying(client, customer, tier1, tier2, submit):
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
def test_two_agents_assigning_at_once_one_wins_and_the_other_is_told(catalogue, customer, tier1, tier2, submit):
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


@pytest.mark.django_db
def test_a_canned_response_is_inserted_with_its_placeholders_as_plain_text(client, customer, tier1, submit):
    from tickets.models import CannedResponse

    ticket = submit(customer)
    canned = CannedResponse.objects.create(
        name="Cache",
        body="Hello {requester_name}, about {reference}: clear the cache. {{ 7|add:1 }} — {agent_name}",
        body_es="Hola {requester_name}",
    )
    client.force_login(tier1)
    response = client.post(
        reverse("agent:ticket_reply", args=[ticket.reference]),
        {"canned": canned.pk, "insert": "1", "body": "", "version": 1},
    )
    assert response.status_code == 200
    page = response.content.decode()
    expected = (
        f"Hello {customer.full_name}, about {ticket.reference}: clear the cache. {{{{ 7|add:1 }}}} — {tier1.full_name}"
    )
    assert expected in page
    assert not Activity.objects.filter(kind="comment").exists()  # inserting sends nothing


@pytest.mark.django_db
def test_a_duplicate_is_merged_into_the_original(client, customer, colleague, tier1, submit):
    original, duplicate = (
        submit(customer),
        submit(colleague, summary="Same problem"),
    )
    client.force_login(tier1)
    url = reverse("agent:ticket_merge", args=[duplicate.reference])
    assert client.post(url, {"merge-reference": "CSD-999", "merge-version": 1}).status_code == 400
    assert client.post(url, {"merge-reference": duplicate.reference, "merge-version": 1}).status_code == 400
    # The colleague cannot see the original: the merge asks before anyone gains access.
    response = client.post(url, {"merge-reference": original.reference.lower(), "merge-version": 1})
    assert response.status_code == 200
    assert colleague.email.encode() in response.content
    duplicate.refresh_from_db()
    assert duplicate.status != "closed"
    response = client.post(url, {"merge-reference": original.reference, "merge-version": 1, "merge-confirm": "1"})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("closed", original)
    assert not original.participants.filter(user=colleague).exists()
    assert Activity.objects.filter(ticket=original, kind="merge", old_value=duplicate.reference).exists()
    client.force_login(colleague)
    assert client.get(reverse("portal:request_detail", args=[original.reference])).status_code == 404


@pytest.mark.django_db
def test_a_merge_shares_the_original_only_with_the_people_the_agent_ticks(client, customer, colleague, tier1, submit):
    original = submit(customer)
    duplicate = submit(colleague, summary="Same problem")
    client.force_login(tier1)
    url = reverse("agent:ticket_merge", args=[duplicate.reference])
    data = {"merge-reference": original.reference, "merge-version": 1, "merge-confirm": "1"}
    response = client.post(url, {**data, "merge-share": [str(colleague.pk), str(customer.pk), "x"]})
    assert response.status_code == 302
    assert original.participants.filter(user=colleague).exists()
    share = Activity.objects.get(ticket=original, kind="share")
    assert (share.actor, share.data) == (tier1, {"user": colleague.pk})
    client.force_login(colleague)
    assert client.get(reverse("portal:request_detail", args=[original.reference])).status_code == 200


@pytest.mark.django_db
def test_related_requests_are_linked_both_ways(client, customer, tier1, submit):
    one, two = submit(customer), submit(customer)
    client.force_login(tier1)
    response = client.post(reverse("agent:ticket_link", args=[one.reference]), {"link-reference": two.reference})
    assert response.status_code == 302
    assert list(two.related.all()) == [one]
    response = client.post(reverse("agent:ticket_link", args=[one.reference]), {"link-reference": two.reference})
    assert response.status_code == 400
    assert b"already linked" in response.content


@pytest.mark.django_db
def test_the_request_type_changes_within_the_desk_only(client, customer, tier1, submit):
    ticket = submit(customer)
    client.force_login(tier1)
    other_desk = RequestType.objects.get(desk__key="EDI", key="provider-request")
    same_desk = RequestType.objects.filter(desk__key="CSD").exclude(pk=ticket.request_type_id).first()
    url = reverse("agent:ticket_type", args=[ticket.reference])
    assert client.post(url, {"request_type": other_desk.pk, "version": 1}).status_code == 400
    assert client.post(url, {"request_type": same_desk.pk, "version": 1}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.request_type == same_desk
    assert Activity.objects.filter(ticket=ticket, kind="request_type").count() == 1
