"""What the reports read: one summary row per request (refreshed by beat from the tickets and
their activity log), a daily snapshot of the open backlog, satisfaction surveys and the
knowledge-base deflection events. The dashboard aggregates these, never the live ticket rows,
so it costs the same at a million requests as at a thousand."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket
from tickets.workflow import OPEN_STATUSES


def _ref(model: str | type[models.Model], **kwargs: Any) -> models.ForeignKey[Any, Any]:
    # Summary rows point at their dimensions without holding them: a desk, type or person
    # deleted in the admin must never be blocked by (or cascade into) the report tables.
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **kwargs)


class TicketFact(models.Model):
    """One request as the reports see it, with its times in business minutes on its desk's
    calendar and its SLA outcome, computed once when the request changes."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+")
    desk = _ref("tickets.ServiceDesk")
    request_type = _ref("tickets.RequestType")
    organization = _ref("accounts.Organization", null=True, blank=True)
    site = _ref("accounts.Site", null=True, blank=True)
    team = _ref("tickets.Team", null=True, blank=True)
    assignee = _ref(settings.AUTH_USER_MODEL, null=True, blank=True)
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=32)
    tier = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Business minutes from submission to the first public answer / to the (latest) resolution.
    first_response_minutes = models.FloatField(null=True, blank=True)
    resolution_minutes = models.FloatField(null=True, blank=True)
    # The type's targets when the row was refreshed, and whether the request met them (None:
    # no target, or not decided yet).
    first_response_target = models.PositiveIntegerField(null=True, blank=True)
    resolution_target = models.PositiveIntegerField(null=True, blank=True)
    first_response_met = models.BooleanField(null=True, blank=True)
    resolution_met = models.BooleanField(null=True, blank=True)
    escalated = models.BooleanField(default=False, help_text=_("Moved from Tier I to Tier II at least once."))
    reopened = models.BooleanField(default=False, help_text=_("Reopened at least once after a resolution."))
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="fact_created_idx"),
            # What the dashboard reads of the facts of a range (the exact percentiles and the
            # organisations), from the index alone.
            models.Index(
                fields=["created_at"],
                name="fact_created_cover_idx",
                include=[
                    "desk",
                    "request_type",
                    "channel",
                    "organization",
                    "site",
                    "first_response_minutes",
                    "resolution_minutes",
                ],
            ),  # fmt: skip
            models.Index(fields=["desk", "created_at"], name="fact_desk_created_idx"),
            models.Index(
                fields=["resolved_at"], name="fact_resolved_idx", condition=models.Q(resolved_at__isnull=False)
            ),
            models.Index(
                fields=["assignee", "team"], name="fact_open_idx", condition=models.Q(status__in=list(OPEN_STATUSES))
            ),
        ]

    def __str__(self) -> str:
        return f"fact {self.ticket_id}"


class DailyRollup(models.Model):
    """The requests' counts per local day, desk, request type and channel, summed from the
    TicketFact rows (reports/rollups.py) whenever they change: the dashboard's count charts read
    a few thousand of these instead of a million facts. Counts of requests created that day,
    except `resolved` (requests whose latest resolution fell on that day)."""

    day = models.DateField()
    desk = _ref("tickets.ServiceDesk")
    request_type = _ref("tickets.RequestType")
    channel = models.CharField(max_length=16)
    created = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    # Created that day and resolved, or reopened after a resolution (the reopen rate's whole).
    resolved_or_reopened = models.PositiveIntegerField(default=0)
    first_response_met = models.PositiveIntegerField(default=0)
    first_response_decided = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_decided = models.PositiveIntegerField(default=0)
    first_response_target = models.PositiveIntegerField(null=True, blank=True)
    resolution_target = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "desk", "request_type", "channel"], name="rollup_one_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.request_type_id} {self.channel}: {self.created}"


class BacklogSnapshot(models.Model):
    """The open requests at the end of one day, counted per desk, type, organisation, channel,
    status, tier, team and assignee (the backlog "over time" is the series of these; the latest
    one is the agents' workload now)."""

    day = models.DateField()
    desk = _ref("tickets.ServiceDesk")
    request_type = _ref("tickets.RequestType")
    organization = _ref("accounts.Organization", null=True, blank=True)
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=32)
    tier = models.PositiveSmallIntegerField()
    team = _ref("tickets.Team", null=True, blank=True)
    assignee = _ref(settings.AUTH_USER_MODEL, null=True, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "desk"], name="backlog_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.status}: {self.count}"


class ReportRefresh(models.Model):
    """When the summary tables were last brought up to date, and from which point the next
    refresh reads the changes."""

    name = models.CharField(max_length=32, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    tickets = models.PositiveIntegerField(default=0, help_text=_("Requests refreshed by the last run."))
    # A first (or full) build walks every request by id over several runs, each within its time
    # budget: where it got to, and when it began (the watermark once it is done).
    build_cursor = models.BigIntegerField(default=0)
    build_started_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every write to the summary tables: the dashboard's cached figures are keyed by it.
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.finished_at}"


class SatisfactionSurvey(models.Model):
    """The question "how did we do?" asked once per resolution of a request: reopening and
    resolving it again asks anew. Answered once, by any of the request's people."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    # The resolution it asks about (the ticket's resolved_at when it was asked).
    resolved_at = models.DateTimeField()
    asked_at = models.DateTimeField(auto_now_add=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Denormalised for the dashboard's filters.
    desk = _ref("tickets.ServiceDesk")

    class Meta:
        ordering = ["-asked_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "resolved_at"], name="survey_one_per_resolution"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5), name="survey_score_1_5"
            ),
        ]
        indexes = [models.Index(fields=["asked_at"], name="survey_asked_idx")]

    def __str__(self) -> str:
        return f"survey {self.ticket_id} {self.resolved_at:%Y-%m-%d}"


class DeflectionEvent(models.Model):
    """One step of a customer's visit to a request form: articles suggested, one opened, the
    form submitted. A visit (`session`) with an opened article and no submission was deflected
    or abandoned; one that was submitted after opening was not."""

    class Kind(models.TextChoices):
        SHOWN = "shown", _("Articles suggested")
        OPENED = "opened", _("Article opened")
        SUBMITTED = "submitted", _("Request submitted")

    session = models.UUIDField(default=uuid.uuid4)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    desk = _ref("tickets.ServiceDesk", null=True, blank=True)
    user = _ref(settings.AUTH_USER_MODEL)
    article_id = models.PositiveIntegerField(null=True, blank=True)
    ticket = _ref(Ticket, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A visit counts each article once per kind, however often the suggestions refresh.
            models.UniqueConstraint(fields=["session", "kind", "article_id"], name="deflection_once"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="deflection_created_idx"),
            models.Index(fields=["session"], name="deflection_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session} {self.kind}"
