"""Reads of the outbox for other apps (the inbound mail poller): which messages are ours, what
we sent with them, and whether someone was written to lately."""

from collections.abc import Iterable
from datetime import datetime

from .models import Notification


def notification_message_ids_exist(message_ids: Iterable[str]) -> set[str]:
    """Those of these Message-IDs that belong to messages in our outbox."""
    ids = list(message_ids)
    if not ids:
        return set()
    return set(Notification.objects.filter(message_id__in=ids).values_list("message_id", flat=True))


def notification_headers_for(message_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Message-ID -> the headers we sent with that message (names lower-cased, Subject
    included), for the ones in our outbox; one query."""
    ids = list(message_ids)
    if not ids:
        return {}
    found = {}
    for message_id, subject, headers in Notification.objects.filter(message_id__in=ids).values_list(
        "message_id", "subject", "headers"
    ):
        sent = {str(name).lower(): str(value) for name, value in (headers or {}).items()}
        sent.setdefault("subject", subject)
        found[message_id] = sent
    return found


def notification_sent_recently(*, kind: str, to_email: str, since: datetime) -> bool:
    """Whether a message of this kind was stored for this address since then (rate limits). The
    address is compared as given: pass it normalised, as it was stored."""
    return Notification.objects.filter(kind=kind, to_email=to_email, created_at__gte=since).exists()
