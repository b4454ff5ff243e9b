from celery import shared_task

from .services import notification_deliver, notification_sweep


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_notification(self, notification_id: str) -> bool:
    outcome = notification_deliver(notification_id=notification_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.sent


@shared_task
def sweep_unsent() -> int:
    return notification_sweep()
