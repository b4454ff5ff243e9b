import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from tickets.models import RequestType, ServiceDesk, Ticket


class Mailbox(models.Model):
    """A desk's IMAP mailbox, polled by a scheduled job; every mail in it becomes a request or
    a comment, or is kept here with the reason."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS (IMAPS, usually port 993)")
        STARTTLS = "starttls", _("STARTTLS (usually port 143)")
        PLAIN = "plain", _("None (plain text; only on a trusted network)")

    class UnknownSenders(models.TextChoices):
        CONTACT = "contact", _("Open a request for a new contact account (agents triage it)")
        INVITE = "invite", _("Reply inviting them to sign up (no request)")

    desk = models.ForeignKey(ServiceDesk, on_delete=models.PROTECT, related_name="mailboxes")
    email_address = models.EmailField(
        _("e-mail address"), help_text=_("The address customers write to; mail from it is never turned into a request.")
    )
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=16, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=255)
    # Kept in the database as entered: the IMAP login needs it back. The admin never shows it.
    password = models.CharField(_("password"), max_length=255)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    enabled = models.BooleanField(_("enabled"), default=True)
    default_request_type = models.ForeignKey(
        RequestType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("default request type"),
        help_text=_("New requests by e-mail get this type; agents can change it."),
    )
    unknown_senders = models.CharField(
        _("mail from unknown senders"), max_length=16, choices=UnknownSenders.choices, default=UnknownSenders.CONTACT
    )
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    # A poll holds this lease so a second poller (a slow run overlapping the next beat) skips the
    # mailbox instead of fetching the same mail; an expired lease belongs to a dead poller.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["desk", "email_address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.email_address} ({self.desk.key})"

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        request_type = self.default_request_type if self.default_request_type_id else None
        if request_type and self.desk_id and request_type.desk_id != self.desk_id:
            errors["default_request_type"] = _("Choose a request type of the same desk.")
        elif request_type and request_type.needs_approval and self.unknown_senders == self.UnknownSenders.CONTACT:
            # A new contact has no organisation, so nobody could ever approve their request.
            errors["default_request_type"] = _(
                "Mail from unknown senders would wait for an approval nobody can give: choose a type "
                "that needs no approval, or invite unknown senders to sign up."
            )
        if errors:
            raise ValidationError(errors)


def raw_mail_path(instance: "InboundMessage", filename: str) -> str:
    return f"mailin/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundMessage(models.Model):
    """One fetched mail, stored (raw bytes included) before the server is told we have it, so
    nothing is lost: what could not become a request or comment stays here with the reason."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, not yet processed")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        HELD = "held", _("Held for an admin")
        FAILED = "failed", _("Failed")

    class Outcome(models.TextChoices):
        NONE = "", _("None")
        CREATED = "created", _("Request created")
        CREATED_FOR_CONTACT = "created_for_contact", _("Request created for a new contact")
        COMMENTED = "commented", _("Comment added")
        NOTED = "noted", _("Internal note added")
        INVITED = "invited", _("Invited to sign up")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    message_id = models.CharField(_("Message-ID"), max_length=255)
    # Unique with the Message-ID: a mail seen twice (re-fetched after a crash, delivered twice,
    # or by two pollers at once) is one row, but a different mail reusing a Message-ID (scanners
    # and web forms do) is a row of its own. Hash of the raw bytes without trace headers; empty
    # on rows kept before it existed.
    content_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    raw = models.FileField(upload_to=raw_mail_path, max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    # Over settings.MAILIN_MAX_MESSAGE_BYTES: only the headers were fetched and kept.
    headers_only = models.BooleanField(_("headers only"), default=False, editable=False)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(max_length=150, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices, blank=True, default="")
    reason = models.TextField(_("reason"), blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        constraints = [
            models.UniqueConstraint(fields=["message_id", "content_hash"], name="inbound_message_content_unique"),
        ]
        indexes = [
            models.Index(
                fields=["mailbox", "received_at"],
                name="inbound_unprocessed_idx",
                condition=models.Q(status="received"),
            ),
            models.Index(fields=["status", "-received_at"], name="inbound_status_idx"),
            models.Index(fields=["ticket"], name="inbound_ticket_idx", condition=models.Q(ticket__isnull=False)),
            # The per-address rate limit on requests by new contacts.
            models.Index(fields=["from_email", "-received_at"], name="inbound_from_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"[:120]
