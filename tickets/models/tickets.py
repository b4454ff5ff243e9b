"""Requests and what hangs from them: participants, sensitive values, the activity log, seen marks,
attachments, work items; the agents' canned responses and saved queues."""

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Site

from ..workflow import OPEN_STATUSES, Status
from .catalogue import Localized, RequestField, RequestType, ServiceDesk, Team

if TYPE_CHECKING:
    from ..sla_clock import Clock


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


_OPEN = models.Q(status__in=list(OPEN_STATUSES))


class Ticket(models.Model):
    """A request (a case). Status changes only through tickets.workflow."""

    # Set on a page's tickets by tickets.sla_clock.clocks_attach, for the templates.
    first_response_clock: "Clock"
    resolution_clock: "Clock"

    desk = models.ForeignKey(ServiceDesk, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(editable=False)
    reference = models.CharField(max_length=24, unique=True, editable=False)
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="tickets")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Differs from the requester when an agent files on someone's behalf."),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    # The number to call back, when an agent took the request by phone (tickets.intake).
    contact_phone = models.CharField(_("phone number"), max_length=32, blank=True, default="")
    summary = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    # Non-sensitive field values keyed by field key: {"key": {"field": <RequestField id>, "label":
    # "...", "value": ..., ["display": "..."]}} (tickets/fields.py). Values are read through the
    # field they were given in, whatever the ticket's type is now. Sensitive values live in
    # SensitiveValue, which only the reveal service reads.
    field_values = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.WAITING_FOR_SUPPORT)
    tier = models.PositiveSmallIntegerField(choices=Team.Tier.choices, default=Team.Tier.TIER_1)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets")
    # PROTECT: deleting an agent would unassign their requests with no Activity row.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_tickets"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    escalation_requested = models.BooleanField(default=False)
    escalation_reason = models.TextField(blank=True)
    escalation_requested_at = models.DateTimeField(null=True, blank=True)
    # SLA clocks; due times move forward while the clock is paused (waiting for the customer).
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_at_risk_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    # When a customer last wrote and no agent has answered since (the "Customer replied" queue).
    customer_replied_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged")
    related = models.ManyToManyField("self", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The time of the last Activity (see Activity.save): what "updated" means in queues.
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every change bumps it; a change made on a stale version is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["desk", "number"], name="ticket_unique_number")]
        indexes = [
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            models.Index(fields=["organization", "-created_at"], name="ticket_org_idx"),
            models.Index(fields=["desk", "status", "-created_at"], name="ticket_desk_status_idx"),
            # Queues sort open requests by SLA due time, then id (keyset pagination): these let
            # PostgreSQL walk them in that order, across desks, per desk, per team, per assignee.
            models.Index(fields=["resolution_due_at", "id"], name="ticket_open_due_idx", condition=_OPEN),
            models.Index(fields=["desk", "resolution_due_at", "id"], name="ticket_desk_open_due_idx", condition=_OPEN),
            models.Index(fields=["team", "resolution_due_at", "id"], name="ticket_team_due_idx", condition=_OPEN),
            models.Index(fields=["assignee", "resolution_due_at", "id"], name="ticket_assignee_idx", condition=_OPEN),
            models.Index(
                F("resolved_at").desc(),
                F("id").desc(),
                name="ticket_resolved_idx",
                condition=models.Q(status=Status.RESOLVED),
            ),  # fmt: skip
            models.Index(
                fields=["desk", "resolution_due_at", "id"],
                name="ticket_unassigned_idx",
                condition=models.Q(assignee__isnull=True, status__in=list(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["desk", "-escalation_requested_at"],
                name="ticket_escalation_idx",
                condition=models.Q(escalation_requested=True),
            ),
            models.Index(fields=["status", "status_changed_at"], name="ticket_status_clock_idx"),
            # "Waiting for my approval" on the Help Center's home: an organisation's few waiting
            # requests, oldest first, without intersecting the organisation's and the status's.
            models.Index(
                fields=["organization", "created_at", "id"],
                name="ticket_org_approval_idx",
                condition=models.Q(status=Status.WAITING_FOR_APPROVAL),
            ),
            # The capped counts beside the queue names (tickets/counts.py), read from this index
            # alone: every named queue is a condition on these columns of an open request.
            models.Index(
                fields=["desk", "status", "tier", "assignee"],
                name="ticket_open_count_idx",
                condition=_OPEN,
                include=["id", "escalation_requested", "sla_at_risk_at", "sla_breached_at"],
            ),
            # Newest first across desks: the search's candidates for a common word (tickets/search.py).
            models.Index(F("created_at").desc(), F("id").desc(), name="ticket_created_idx"),
            models.Index(
                fields=["resolution_due_at", "id"],
                name="ticket_customer_replied_idx",
                condition=models.Q(customer_replied_at__isnull=False, status__in=list(OPEN_STATUSES)),
            ),
            # Agents sort queues by any date column, keyset-paged on (column, id) both ways.
            *[
                index
                for column, short in (
                    ("first_response_due_at", "frdue"),
                    ("created_at", "created"),
                    ("updated_at", "updated"),
                )
                for index in (
                    models.Index(fields=[column, "id"], name=f"ticket_open_{short}_idx", condition=_OPEN),
                    models.Index(fields=["desk", column, "id"], name=f"ticket_desk_{short}_idx", condition=_OPEN),
                )
            ],
        ]

    def __str__(self):
        return f"{self.reference} {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Participant(models.Model):
    """Someone the request is shared with (the requester too), with their own notify flag."""

    removable: bool  # set by the API's list of a request's people, for its serializer

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    # PROTECT: who a request was shared with is part of its history.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations")
    notify = models.BooleanField(default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="participant_unique")]
        indexes = [models.Index(fields=["user", "ticket"], name="participant_user_idx")]

    def __str__(self):
        return f"{self.user} on {self.ticket.reference}"


class SensitiveValue(models.Model):
    """A value of a field marked sensitive; read only by the reveal service. `field` is the field
    it was given in (None for a value whose field was unknown when it was moved here: it stays
    sensitive for good); `display` keeps a choice's label so unmarking restores the value whole."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sensitive_values")
    field = models.ForeignKey(
        RequestField, on_delete=models.PROTECT, null=True, blank=True, related_name="sensitive_values"
    )
    field_key = models.SlugField(max_length=64)
    label = models.CharField(max_length=160)
    value = models.TextField()
    display = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "field_key"], name="sensitive_unique")]

    def __str__(self):
        return f"{self.ticket.reference} / {self.field_key} (sensitive)"


class Activity(models.Model):
    """Append-only log of everything that happened to a ticket."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        COMMENT = "comment", _("Comment")
        NOTE = "note", _("Internal note")
        STATUS = "status", _("Status changed")
        TIER = "tier", _("Tier changed")
        ASSIGNMENT = "assignment", _("Assigned")
        PRIORITY = "priority", _("Priority changed")
        REQUEST_TYPE = "request_type", _("Request type changed")
        SHARE = "share", _("Shared")
        UNSHARE = "unshare", _("No longer shared")
        NOTIFY = "notify", _("Notifications changed")
        ESCALATION_REQUEST = "escalation_request", _("Escalation requested")
        ATTACHMENT = "attachment", _("Attachment added")
        LINK = "link", _("Linked")
        MERGE = "merge", _("Merged")
        APPROVAL = "approval", _("Approval")
        REVEAL = "reveal", _("Sensitive value revealed")
        WORK_ITEM = "work_item", _("Work item")
        SLA = "sla", _("SLA")
        REMINDER = "reminder", _("Reminder sent")
        FIELD_SENSITIVITY = "field_sensitivity", _("Field sensitivity changed")
        MEMBER_DEACTIVATED = "member_deactivated", _("Member deactivated")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="activities")
    # PROTECT: deleting a person must not blank out who did what (None is the system).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    body = models.TextField(blank=True)
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="activity_ticket_idx"),
            models.Index(fields=["kind", "created_at"], name="activity_kind_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.kind}"

    # Audit rows that change nothing on the request: they do not make it "updated".
    NOT_AN_UPDATE = (Kind.REVEAL, Kind.REMINDER)

    def save(self, *args, **kwargs):
        """A new row is the ticket's latest update, and its actor has seen it (so an agent's own
        change never marks the request "updated since you last looked" for them)."""
        created = self._state.adding
        super().save(*args, **kwargs)
        if created and self.kind not in self.NOT_AN_UPDATE:
            Ticket.objects.filter(pk=self.ticket_id, updated_at__lt=self.created_at).update(updated_at=self.created_at)
            if self.actor_id:
                ticket_seen_record(ticket_id=self.ticket_id, user_id=self.actor_id, at=self.created_at)


class TicketSeen(models.Model):
    """When a person last opened a request (or acted on it): queues mark what changed since."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="ticket_seen_unique")]

    def __str__(self):
        return f"{self.user_id} saw {self.ticket_id} at {self.seen_at}"


def ticket_seen_record(*, ticket_id: int, user_id: int, at=None) -> None:
    """Upsert in one statement (a parallel open of the same request cannot fail on the key)."""
    TicketSeen.objects.bulk_create(
        [TicketSeen(ticket_id=ticket_id, user_id=user_id, seen_at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "ticket"],
        update_fields=["seen_at"],
    )


def attachment_path(instance, filename):
    # The stored name never comes from the user; the original name is kept on the row.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file uploaded first (staged, owned by its uploader), then claimed by a ticket or comment."""

    # PROTECT: deleting the uploader must not delete the files of the requests they wrote on.
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    field_key = models.SlugField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["uploaded_by", "created_at"],
                name="attachment_staged_idx",
                condition=models.Q(ticket__isnull=True),
            ),
        ]

    def __str__(self):
        return self.original_name


class WorkItem(models.Model):
    """An internal engineering ticket (bug or feature request) linked to one or more requests."""

    # Set by the API for its serializer: what this caller may see and do of the item.
    visible_references: list[str]
    hidden_count: int
    changeable: bool

    class Kind(models.TextChoices):
        BUG = "bug", _("Bug")
        FEATURE = "feature", _("Feature request")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        WONT_DO = "wont_do", _("Won't do")

    title = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BUG)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    description = models.TextField(blank=True)
    external_url = models.URLField(blank=True)
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="work_items")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="workitem_status_idx")]

    def __str__(self):
        return self.title


class CannedResponse(Localized):
    """A ready answer agents insert into a reply. Placeholders in braces are replaced as plain
    text (never rendered as a template): {requester_name}, {reference}, {summary}, {agent_name}."""

    PLACEHOLDERS = ("requester_name", "reference", "summary", "agent_name")

    desk = models.ForeignKey(
        ServiceDesk, on_delete=models.CASCADE, null=True, blank=True, related_name="canned_responses",
        help_text=_("Empty: offered on every desk."),
    )  # fmt: skip
    name = models.CharField(_("title"), max_length=120)
    name_es = models.CharField(_("title (Spanish)"), max_length=120, blank=True)
    body = models.TextField(
        help_text=_(
            "Placeholders, replaced as plain text when an agent inserts it: {requester_name}, {reference}, "
            "{summary}, {agent_name}."
        )
    )
    body_es = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def render(self, *, ticket: Ticket, agent, language: str) -> str:
        text = (self.body_es if language.startswith("es") and self.body_es else self.body) or ""
        values = {
            "requester_name": ticket.requester.full_name,
            "reference": ticket.reference,
            "summary": ticket.summary,
            "agent_name": agent.full_name,
        }
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return text


class SavedQueue(Localized):
    """An admin-defined queue: a named filter over tickets, shown to agents beside the built-in ones."""

    class Assignment(models.TextChoices):
        ANY = "any", _("Assigned or not")
        UNASSIGNED = "unassigned", _("Unassigned only")
        ASSIGNED = "assigned", _("Assigned only")

    class Sla(models.TextChoices):
        ANY = "any", _("Any")
        AT_RISK = "at_risk", _("At risk or breached")
        BREACHED = "breached", _("Breached")

    name = models.CharField(_("name"), max_length=120)
    name_es = models.CharField(_("name (Spanish)"), max_length=120, blank=True)
    slug = models.SlugField(unique=True, help_text=_("Used in the queue's address."))
    desk = models.ForeignKey(
        ServiceDesk, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_queues",
        help_text=_("Empty: every desk the agent works."),
    )  # fmt: skip
    statuses = models.JSONField(
        default=list, blank=True, help_text=_("Statuses to show; empty: every status still with support.")
    )
    tier = models.PositiveSmallIntegerField(choices=Team.Tier.choices, null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    request_type = models.ForeignKey(RequestType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    priority_at_least = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    assignment = models.CharField(max_length=16, choices=Assignment.choices, default=Assignment.ANY)
    sla = models.CharField(_("SLA"), max_length=16, choices=Sla.choices, default=Sla.ANY)
    escalation_requested_only = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        unknown = [s for s in self.statuses or [] if s not in Status.values]
        if not isinstance(self.statuses, list) or unknown:
            raise ValidationError({"statuses": _("Unknown status: %(s)s") % {"s": ", ".join(map(str, unknown))}})
        for related in (self.team, self.request_type):
            if self.desk_id and related is not None and related.desk_id != self.desk_id:
                raise ValidationError(_("The team and request type must belong to the chosen desk."))
