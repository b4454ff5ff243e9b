import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .locks import broker_lock
from .services import notification_deliver, notification_sweep, retry_delay

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True, ignore_result=True)
def send_notification(self: Task, notification_id: str) -> bool:
    try:
        outcome = notification_deliver(notification_id=notification_id)
    except (OperationalError, InterfaceError) as exc:
        # The database is unreachable: come back later (the sweep would too, only later).
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries + 1))
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.sent


@shared_task(ignore_result=True)
def sweep_unsent() -> int | None:
    """The periodic sweep; None when another sweep holds the lock (or Redis cannot say)."""
    with broker_lock("notifications-sweep", ttl_seconds=settings.NOTIFICATION_SWEEP_LOCK_SECONDS) as held:
        if not held:
            logger.info("notification sweep skipped: another one is running")
            return None
        return notification_sweep()
