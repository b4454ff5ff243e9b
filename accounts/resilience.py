"""The cache (Redis in production) is a nicety for limits and presence, never a dependency: every
caller fails open. After one failure the cache is skipped for RESILIENCE_CACHE_PAUSE_SECONDS in
this process, so a stopped Redis costs a page one connect timeout, not one per cache call
(a sign-in made five of them: 2.5 s with Redis down)."""

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)
_paused_until = 0.0


def cache_usable() -> bool:
    """False for a few seconds after the cache failed; callers then fail open at once."""
    return time.monotonic() >= _paused_until


def cache_failed(what: str) -> None:
    """Record a cache failure (callers fail open) and leave the cache alone for a while."""
    global _paused_until
    _paused_until = time.monotonic() + settings.RESILIENCE_CACHE_PAUSE_SECONDS
    logger.warning("%s: cache unavailable, failing open for %s s", what, settings.RESILIENCE_CACHE_PAUSE_SECONDS)
