from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.conf import settings

from .models import Mailbox
from .services import mailbox_poll


@shared_task
def poll_mailboxes() -> int:
    """Beat's entry: one task per enabled mailbox, so a slow or unreachable server delays no other."""
    ids = list(Mailbox.objects.filter(enabled=True).values_list("pk", flat=True))
    for mailbox_id in ids:
        # A poll still queued when the next one is due is dropped: no backlog after an outage.
        poll_mailbox.apply_async(args=[mailbox_id], expires=settings.MAILIN_POLL_SECONDS)
    return len(ids)


@shared_task
def poll_mailbox(mailbox_id: int) -> dict[str, Any]:
    mailbox = Mailbox.objects.filter(pk=mailbox_id, enabled=True).select_related("desk").first()
    if mailbox is None:
        return {}
    return asdict(mailbox_poll(mailbox=mailbox))
