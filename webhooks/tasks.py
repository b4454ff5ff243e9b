"""Deliveries are sent by the outbox's own task (notifications.tasks.send_notification, on the
webhook channel); this app's periodic task keeps the delivery log to a bounded size."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import DeliveryAttempt


@shared_task(ignore_result=True)
def prune_delivery_log() -> int:
    """Forget attempts older than WEBHOOKS_LOG_DAYS."""
    before = timezone.now() - timedelta(days=settings.WEBHOOKS_LOG_DAYS)
    deleted, _ = DeliveryAttempt.objects.filter(attempted_at__lt=before).delete()
    return deleted
