"""The request pages and My requests make a fixed number of queries, whatever the number of
activities, participants or rows (measured at 1M: bench/README.md)."""

import pytest
from django.urls import reverse

from tickets.services import ticket_comment


def _queries(client, url, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_request_pages_queries_do_not_grow_with_activities(client, submit, customer, tier1,
                                                           django_assert_max_num_queries):  # fmt: skip
    ticket = submit(customer)
    agent_url = reverse("agent:ticket_detail", args=[ticket.reference])
    customer_url = reverse("portal:request_detail", args=[ticket.reference])
    client.force_login(tier1)
    agent_few = _queries(client, agent_url, django_assert_max_num_queries, AGENT_PAGE)
    client.force_login(customer)
    customer_few = _queries(client, customer_url, django_assert_max_num_queries, CUSTOMER_PAGE)
    for i in range(12):
        ticket_comment(ticket=ticket, author=customer if i % 2 else tier1, body=f"Reply {i}", internal=i % 6 == 0)
    ticket.refresh_from_db()
    client.force_login(tier1)
    assert _queries(client, agent_url, django_assert_max_num_queries, agent_few) <= agent_few
    client.force_login(customer)
    assert _queries(client, customer_url, django_assert_max_num_queries, customer_few) <= customer_few


@pytest.mark.django_db
def test_my_requests_queries_do_not_grow_with_rows(client, submit, customer, django_assert_max_num_queries):
    client.force_login(customer)
    submit(customer)
    url = reverse("portal:request_list") + "?scope=created"
    few = _queries(client, url, django_assert_max_num_queries, MY_REQUESTS)
    for i in range(20):
        submit(customer, summary=f"Row {i}")
    assert _queries(client, url, django_assert_max_num_queries, few) <= few


@pytest.mark.django_db
def test_queue_page_queries_stay_within_budget(client, submit, customer, tier1, django_assert_max_num_queries):
    client.force_login(tier1)
    for i in range(5):
        submit(customer, summary=f"Row {i}")
    _queries(client, reverse("agent:queue", args=["unassigned"]), django_assert_max_num_queries, QUEUE_PAGE)


# Today's counts (the queue counts ten queues: uncached in tests), a query or so to spare.
AGENT_PAGE, CUSTOMER_PAGE, MY_REQUESTS, QUEUE_PAGE = 26, 16, 11, 40
