"""Reads: which mailboxes have stopped polling, which mail waits for an admin."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import InboundMessage, Mailbox


class Health:
    DISABLED = "disabled"
    OK = "ok"
    FAILING = "failing"  # the last poll failed, but one succeeded recently
    STALLED = "stalled"  # no successful poll for MAILIN_ALERT_AFTER_MINUTES
    NEW = "new"  # enabled recently, not polled yet

    LABELS = {
        DISABLED: _("Disabled"),
        OK: _("OK"),
        FAILING: _("Last poll failed"),
        STALLED: _("Stopped: no successful poll"),
        NEW: _("Not polled yet"),
    }


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.MAILIN_ALERT_AFTER_MINUTES)


def mailbox_health(*, mailbox: Mailbox, now: datetime | None = None) -> str:
    """One of Health's values: the admin list shows it, monitoring reads mailboxes_stalled."""
    now = now or timezone.now()
    if not mailbox.enabled:
        return Health.DISABLED
    stale_before = _stale_before(now)
    if mailbox.last_success_at is None:
        return Health.STALLED if mailbox.created_at and mailbox.created_at < stale_before else Health.NEW
    if mailbox.last_success_at < stale_before:
        return Health.STALLED
    if mailbox.last_error_at and mailbox.last_error_at > mailbox.last_success_at:
        return Health.FAILING
    return Health.OK


def mailboxes_stalled(*, now: datetime | None = None) -> QuerySet[Mailbox]:
    """Enabled mailboxes with no successful poll for settings.MAILIN_ALERT_AFTER_MINUTES (beat
    or the workers stopped, or the server refuses us): the alert."""
    stale_before = _stale_before(now or timezone.now())
    return (
        Mailbox.objects.filter(enabled=True)
        .filter(Q(last_success_at__lt=stale_before) | Q(last_success_at__isnull=True, created_at__lt=stale_before))
        .select_related("desk")
    )


def inbound_waiting_for_admin() -> QuerySet[InboundMessage]:
    """Mail that is kept: refused by the rules (held) or broken in processing (failed)."""
    return InboundMessage.objects.filter(status__in=[InboundMessage.Status.HELD, InboundMessage.Status.FAILED])


def inbound_unprocessed(*, mailbox: Mailbox) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(mailbox=mailbox, status=InboundMessage.Status.RECEIVED).order_by(
        "received_at", "id"
    )
