from uuid import UUID

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from notifications.models import Notification
from tickets.models import ServiceDesk

from .targets import validate_webhook_url

CHANNEL = "webhook"  # the outbox channel (notifications.channels) these deliveries travel on


class Event(models.TextChoices):
    CREATED = "request.created", _("Request created")
    UPDATED = "request.updated", _("Request updated")
    COMMENTED = "request.commented", _("Request commented")
    STATUS_CHANGED = "request.status_changed", _("Status changed")
    RESOLVED = "request.resolved", _("Request resolved")
    ESCALATED = "request.escalated", _("Request escalated")


class Endpoint(models.Model):
    """A receiver an admin registered: which events it gets, and how much of a request it sees."""

    class Scope(models.TextChoices):
        CUSTOMER = "customer", _("Customer: the request as its requester sees it")
        AGENT = "agent", _("Agent: the request as the desk's agents see it, without sensitive values")

    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(
        _("URL"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("http:// or https:// only; the host must resolve to public addresses."),
    )
    events = models.JSONField(_("events"), default=list)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.CUSTOMER)
    desk = models.ForeignKey(
        ServiceDesk,
        verbose_name=_("service desk"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only requests of this desk (empty: every desk)."),
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only requests of this organisation (empty: every organisation)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Encrypted (webhooks.signing); the admin sees the secret once, when it is made.
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(_("secret starts with"), max_length=16, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class DeliveryAttempt(models.Model):
    """One try at one delivery: the delivery log of an endpoint."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="attempts")
    # The outbox row; its id is the delivery id the receiver sees, the same on every try.
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery log")
        indexes = [models.Index(fields=["endpoint", "-attempted_at"], name="webhook_attempt_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} #{self.attempt}"

    @property
    def delivery_id(self) -> UUID:
        return self.notification_id
