"""The outbox: messages are stored with the change that owes them and sent after commit.

This module knows nothing of tickets or accounts; callers decide who gets what.
"""

import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .links import site_url
from .models import Notification

logger = logging.getLogger(__name__)


def _render_message(*, template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    context = {"site_url": site_url(), **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}_body.txt", context)
        html: str
        try:
            html = render_to_string(f"emails/{template}_body.html", context)
        except TemplateDoesNotExist:
            html = ""
    return " ".join(subject.split())[:255], text.strip() + "\n", html


def notification_create(
    *,
    kind: str,
    to_email: str,
    template: str,
    context: dict[str, Any],
    language: str = "en",
    reply_to: str = "",
    headers: dict[str, str] | None = None,
    confidential: bool = False,
) -> Notification:
    """Store one message and queue its sending for after the surrounding transaction commits.
    confidential: the body carries a link that signs someone in (never shown in the admin)."""
    subject, text, html = _render_message(template=template, context=context, language=language)
    notification = Notification.objects.create(
        kind=kind,
        to_email=to_email,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        message_id=make_msgid(idstring=kind.replace("_", "-"), domain=settings.EMAIL_MESSAGE_ID_DOMAIN),
        reply_to=reply_to,
        headers=headers or {},
        confidential=confidential,
    )
    notification_id = str(notification.pk)
    transaction.on_commit(lambda: notification_publish(notification_id=notification_id))
    return notification


# Per process: after a failed publish, later ones skip the broker for a few seconds instead of
# each waiting for it again (a hung Redis costs one timeout, not one per message).
_publish_paused_until = 0.0


def _publish_task(notification_id: str) -> bool:
    """Send the task to the broker once, quickly; False (and a short pause) when it is unreachable."""
    global _publish_paused_until
    from .tasks import send_notification

    if time.monotonic() < _publish_paused_until:
        return False
    try:
        # No retries here: the connect and socket timeouts in CELERY_BROKER_TRANSPORT_OPTIONS
        # bound this call, and a message that did not make it is the sweep's.
        send_notification.apply_async(args=[notification_id], retry=False)
    except Exception:  # noqa: BLE001 - the broker being down must not break the page
        _publish_paused_until = time.monotonic() + settings.NOTIFICATION_PUBLISH_PAUSE_SECONDS
        logger.warning("could not publish notification %s; the sweep will", notification_id, exc_info=True)
        return False
    return True


def notification_publish(*, notification_id: str) -> bool:
    """Hand the message to the broker; on failure leave the row to the sweep, never raise."""
    queued_at = timezone.now()  # taken in the on_commit callback: the commit has just happened
    if not _publish_task(notification_id):
        return False
    try:
        Notification.objects.filter(pk=notification_id).update(queued_at=queued_at)
    except DatabaseError:
        # Only the sweep's bookkeeping is lost: at worst it queues the message once more.
        logger.warning("could not note that notification %s was queued", notification_id, exc_info=True)
    return True


@dataclass(frozen=True)
class DeliveryOutcome:
    sent: bool
    retry_in: float | None = None


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter, capped."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return float(min(settings.NOTIFICATION_RETRY_MAX_SECONDS, base) * random.uniform(0.5, 1.0))


def _claimable() -> Q:
    stale = timezone.now() - timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS)
    return Q(status=Notification.Status.PENDING) | Q(status=Notification.Status.SENDING, claimed_at__lt=stale)


def notification_deliver(*, notification_id: str) -> DeliveryOutcome:
    """Claim the row with a conditional update, send it, mark it sent. Safe to run twice.

    A database error before the send propagates (nothing was sent; the task retries). Once the
    server has accepted the message, marking it sent is retried for a few seconds: a crash in
    between is the one way a message goes out twice, with the same Message-ID.
    """
    claimed_at = timezone.now()
    claimed = (
        Notification.objects.filter(_claimable(), pk=notification_id)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=claimed_at))
        .update(status=Notification.Status.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1)
    )
    if not claimed:
        return DeliveryOutcome(sent=False)
    notification = Notification.objects.get(pk=notification_id)
    try:
        _send(notification)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        logger.warning("sending notification %s failed: %s", notification_id, exc)
        if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            Notification.objects.filter(pk=notification_id, claimed_at=claimed_at).update(
                status=Notification.Status.FAILED, last_error=repr(exc)[:2000]
            )
            return DeliveryOutcome(sent=False)
        delay = retry_delay(notification.attempts)
        Notification.objects.filter(pk=notification_id, claimed_at=claimed_at).update(
            status=Notification.Status.PENDING,
            last_error=repr(exc)[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        return DeliveryOutcome(sent=False, retry_in=delay)
    _mark_sent(notification_id=notification_id, claimed_at=claimed_at)
    return DeliveryOutcome(sent=True)


# Pauses between tries at marking an accepted message sent (about 3 s in all, within the
# soft time limit): enough to ride out a database restart or a short failover.
MARK_SENT_PAUSES = (0.1, 0.2, 0.4, 0.8, 1.6)


def _mark_sent(*, notification_id: str, claimed_at: datetime | None) -> None:
    for pause in (*MARK_SENT_PAUSES, None):
        try:
            Notification.objects.filter(pk=notification_id, claimed_at=claimed_at).update(
                status=Notification.Status.SENT, sent_at=timezone.now(), last_error=""
            )
            return
        except DatabaseError:
            if pause is None or connection.in_atomic_block:
                raise
            logger.warning("notification %s was accepted but not yet marked sent; trying again", notification_id)
            # The failed connection is unusable; the next query opens a new one.
            connection.close_if_unusable_or_obsolete()
            time.sleep(pause)


def _send(notification: Notification) -> None:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        reply_to=[notification.reply_to] if notification.reply_to else None,
        # Auto-Submitted (RFC 3834): out-of-office robots must not answer us, and our own
        # mailbox poller recognises a loop.
        headers={"Message-ID": notification.message_id, "Auto-Submitted": "auto-generated", **notification.headers},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    message.send(fail_silently=False)


def notification_sweep(*, limit: int = 500, budget_seconds: float | None = None) -> int:
    """Re-queue messages whose publish was lost or whose sender died; returns how many.

    Works in batches of `limit` until nothing is left, the broker refuses, or the time budget
    is spent; a row queued less than NOTIFICATION_SWEEP_AFTER_SECONDS ago is left alone.
    """
    started = time.monotonic()
    if budget_seconds is None:
        budget_seconds = settings.NOTIFICATION_SWEEP_LOCK_SECONDS / 2
    total = 0
    while True:
        now = timezone.now()
        older_than = now - timedelta(seconds=settings.NOTIFICATION_SWEEP_AFTER_SECONDS)
        ids = [
            str(pk)
            for pk in Notification.objects.filter(_claimable(), created_at__lt=older_than)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=older_than))
            .order_by("created_at")
            .values_list("pk", flat=True)[:limit]
        ]
        queued = []
        for notification_id in ids:
            if not _publish_task(notification_id):
                break
            queued.append(notification_id)
        if queued:
            Notification.objects.filter(pk__in=queued).update(queued_at=now)
        total += len(queued)
        if len(queued) < limit or time.monotonic() - started > budget_seconds:
            return total


def notification_retry_failed(*, notification_ids: Iterable[UUID | str]) -> int:
    """Admin action: give failed messages a fresh set of attempts."""
    ids = list(
        Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.FAILED).values_list(
            "pk", flat=True
        )
    )
    Notification.objects.filter(pk__in=ids).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=None, last_error=""
    )
    for notification_id in ids:
        _publish_on_commit(str(notification_id))
    return len(ids)


def _publish_on_commit(notification_id: str) -> None:
    transaction.on_commit(lambda: notification_publish(notification_id=notification_id))
