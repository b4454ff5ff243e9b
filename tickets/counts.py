"""The counts beside the queue and list names, kept for a few seconds in the cache.

Each count is capped (selectors.capped_count) and costs a query; a queue page shows ten or more,
so counting them on every page view was most of its SQL time. They are recomputed at most every
LIST_COUNT_CACHE_SECONDS per person (and desk filter): a count may lag a change by that long,
while the lists themselves are always read fresh. With the cache down, they are counted each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from accounts.resilience import cache_failed, cache_usable
from helpdesk.db_router import stale_reads

from .models import SavedQueue, ServiceDesk


def _cached(key: str, count: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        with stale_reads():  # counts may be seconds old anyway: the replica's will do
            return count()

    if settings.LIST_COUNT_CACHE_SECONDS <= 0 or not cache_usable():
        return compute()
    try:
        value: dict[str, Any] | None = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is a nicety: count instead
        cache_failed("list counts")
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, settings.LIST_COUNT_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            cache_failed("list counts")
    return value


def agent_queue_counts(*, user: User, desk: ServiceDesk | None, saved: list[SavedQueue]) -> dict[str, Any]:
    """{"named": {queue key: count}, "saved": {saved queue id: count}} for this agent."""
    from .selectors import AGENT_QUEUES, agent_queue, capped_count

    def compute() -> dict[str, Any]:
        return {
            "named": {key: capped_count(agent_queue(queue=key, user=user, desk=desk)) for key in AGENT_QUEUES},
            "saved": {item.pk: capped_count(agent_queue(queue=item, user=user, desk=desk)) for item in saved},
        }

    # The saved queues offered are in the key: a queue added or removed is counted at once.
    stamp = ",".join(f"{item.pk}" for item in saved)
    return _cached(f"counts:agent:{user.pk}:{desk.pk if desk else 0}:{stamp}", compute)


def customer_list_counts(*, user: User, scopes: list[str]) -> dict[str, int]:
    """{scope: count} of a customer's request lists (created, shared, organisation)."""
    from .selectors import capped_count, ticket_list_for_customer

    def compute() -> dict[str, Any]:
        return {key: capped_count(ticket_list_for_customer(user=user, scope=key)) for key in scopes}

    return _cached(f"counts:customer:{user.pk}:{','.join(scopes)}", compute)
