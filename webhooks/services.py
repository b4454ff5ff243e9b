"""Writes of the webhooks app: endpoints and their secrets, and redelivery."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import User
from notifications.services import notification_retry_failed

from .models import CHANNEL, Endpoint
from .signing import secret_encrypt, secret_generate

HINT_LENGTH = 10


def _set_secret(endpoint: Endpoint) -> str:
    secret = secret_generate()
    endpoint.secret_encrypted = secret_encrypt(secret)
    endpoint.secret_hint = secret[:HINT_LENGTH]
    return secret


@transaction.atomic
def endpoint_save(*, endpoint: Endpoint, actor: User) -> str | None:
    """Save an endpoint (validated by its form or full_clean); a new one gets its secret, which
    is returned this once (None for an existing endpoint)."""
    secret = None
    if endpoint.pk is None:
        secret = _set_secret(endpoint)
        endpoint.created_by = actor
    endpoint.save()
    return secret


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> str:
    """A new secret, returned this once; deliveries from now on are signed with it."""
    secret = _set_secret(endpoint)
    Endpoint.objects.filter(pk=endpoint.pk).update(
        secret_encrypted=endpoint.secret_encrypted, secret_hint=endpoint.secret_hint
    )
    return secret


@transaction.atomic
def webhook_redeliver(*, delivery_ids: Iterable[Any]) -> int:
    """Send these deliveries again, with the same delivery id and body, through the outbox (a
    fresh set of attempts); those still waiting or being sent are left as they are."""
    from notifications.models import Notification

    ids = Notification.objects.filter(pk__in=list(delivery_ids), channel=CHANNEL).values_list("pk", flat=True)
    return notification_retry_failed(notification_ids=list(ids), include_sent=True)
