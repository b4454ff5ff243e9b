"""The counts beside queue and list names: cached per person for LIST_COUNT_CACHE_SECONDS, so a
queue page does not count ten queues on every view; counted fresh with the cache off or down."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.counts import agent_queue_counts, customer_list_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.LIST_COUNT_CACHE_SECONDS = 30


def test_it_counts_once_then_reads_the_cache(cached, customer, tier1, submit):
    submit(customer)
    first = agent_queue_counts(user=tier1, desk=None, saved=[])
    assert first["named"]["unassigned"] == 1
    submit(customer)
    with CaptureQueriesContext(connection) as queries:
        again = agent_queue_counts(user=tier1, desk=None, saved=[])
    assert again == first and len(queries.captured_queries) == 0  # stale for at most 30 s
    assert customer_list_counts(user=customer, scopes=["created"]) == {"created": 2}


def test_it_counts_every_time_with_the_cache_off(customer, tier1, submit):
    submit(customer)
    assert agent_queue_counts(user=tier1, desk=None, saved=[])["named"]["unassigned"] == 1
    submit(customer)
    assert agent_queue_counts(user=tier1, desk=None, saved=[])["named"]["unassigned"] == 2


def test_it_counts_when_the_cache_fails(cached, customer, submit, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get", broken)
    submit(customer)
    assert customer_list_counts(user=customer, scopes=["created"]) == {"created": 1}


def test_a_queue_page_costs_the_same_queries_with_more_tickets(cached, client, customer, tier1, submit):
    client.force_login(tier1)
    submit(customer)
    client.get("/agent/queues/unassigned/")  # fills the counts
    with CaptureQueriesContext(connection) as few:
        assert client.get("/agent/queues/unassigned/").status_code == 200
    for n in range(20):
        submit(customer, summary=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/agent/queues/unassigned/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 14
