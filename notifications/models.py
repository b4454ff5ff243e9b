import uuid

from django.db import models


class Notification(models.Model):
    """One outgoing message, stored in the same transaction as the change that owes it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64, help_text="Event name, e.g. signup_verification.")
    to_email = models.EmailField()
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Stable across retries, so a re-send after a crash is recognisable as the same message.
    message_id = models.CharField(max_length=255, unique=True)
    reply_to = models.CharField(max_length=255, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # The body carries a link that signs someone in (reset, sign-up, "set your password"): whoever
    # reads it can take the account, so the admin never shows it.
    confidential = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the message was last handed to the broker; the first time, just after the commit.
    # The sweep leaves recently queued rows alone, so a backlog in the queue is not queued again.
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep reads unsent rows by age; sent rows are the vast majority and stay out.
            models.Index(
                fields=["status", "created_at"],
                name="notification_unsent_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["to_email", "-created_at"], name="notification_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email} ({self.status})"
