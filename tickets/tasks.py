from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .attachments import attachment_sweep_unclaimed
from .clocks import lifecycle_clocks_run, sla_check


@shared_task
def sweep_unclaimed_attachments() -> int:
    older_than = timezone.now() - timedelta(hours=settings.ATTACHMENT_STAGING_HOURS)
    return attachment_sweep_unclaimed(older_than=older_than)


@shared_task
def check_slas() -> dict:
    return sla_check()


@shared_task
def run_lifecycle_clocks() -> dict:
    return lifecycle_clocks_run()
