"""Who else has a request open, and whether they are replying. Best effort, in the cache: a
lost update or a cache outage only hides a name for a few seconds, it never blocks a page."""

import logging
import time

from django.core.cache import cache

from accounts.resilience import cache_failed, cache_usable

logger = logging.getLogger(__name__)
TTL_SECONDS = 45


def presence_touch(*, ticket_id: int, user, state: str = "viewing") -> list[dict]:
    """Record that this user is here (viewing or replying); return the others present."""
    key = f"presence:{ticket_id}"
    now = time.time()
    if not cache_usable():
        return []
    try:
        entries = cache.get(key) or {}
        entries = {uid: e for uid, e in entries.items() if now - e["at"] < TTL_SECONDS}
        entries[str(user.pk)] = {"name": user.full_name or user.email, "state": state, "at": now}
        cache.set(key, entries, TTL_SECONDS + 15)
    except Exception:  # noqa: BLE001 - presence is a nicety; the page goes on without it
        cache_failed("presence")
        return []
    return [
        {"name": e["name"], "state": e["state"]}
        for uid, e in sorted(entries.items(), key=lambda item: item[1]["name"])
        if uid != str(user.pk)
    ]
