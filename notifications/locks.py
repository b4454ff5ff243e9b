"""A short lock on the broker's Redis, so two beats started by mistake do not sweep at once.

Two sweeps at once would be harmless (every send claims its row with a conditional update) but
would queue each unsent message twice; so when the lock is taken, or Redis cannot be asked, the
sweep is skipped: with the broker unreachable it could not queue anything anyway.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

logger = logging.getLogger(__name__)


@contextmanager
def broker_lock(name: str, *, ttl_seconds: float) -> Iterator[bool]:
    """Yield True when this process holds the lock; it expires by itself after ttl_seconds."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        # The embedded setup (memory broker, eager tasks) has a single process.
        yield True
        return
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1)
    lock = client.lock(f"helpdesk:lock:{name}", timeout=ttl_seconds, blocking=False)
    try:
        held = lock.acquire()
    except redis.RedisError as exc:
        logger.warning("lock %s: Redis unavailable (%s); skipping", name, exc)
        held = False
    try:
        yield held
    finally:
        if held:
            try:
                lock.release()  # only our own token: a lock that expired and was re-taken stays
            except redis.RedisError as exc:
                logger.info("lock %s not released (%s); it expires by itself", name, exc)
        client.close()
