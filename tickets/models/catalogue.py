"""The catalogue: desks and their calendars, teams, request type groups, request types and their
fields."""

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Localized(models.Model):
    """Texts stored per language: `name` (English, required) and `name_es` (optional)."""

    class Meta:
        abstract = True

    def localized(self, field: str) -> str:
        language = (translation.get_language() or "en").split("-")[0]
        if language != "en":
            value = getattr(self, f"{field}_{language}", "")
            if value:
                return value
        return getattr(self, field)

    @property
    def display_name(self) -> str:
        return self.localized("name")


def _weekdays_default():
    return [1, 2, 3, 4, 5]


class SlaCalendar(models.Model):
    """Business hours, working weekdays and holidays that SLA times are counted in. A desk
    without one uses the calendar in the SLA_* settings."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Chicago")
    opens = models.TimeField(_("opens"), default=time(8, 0))
    closes = models.TimeField(_("closes"), default=time(17, 0))
    weekdays = models.JSONField(
        _("working weekdays"), default=_weekdays_default, help_text=_("ISO weekdays: Monday is 1, Sunday 7.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": _("Unknown time zone, e.g. America/Chicago.")}) from None
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})
        days = self.weekdays if isinstance(self.weekdays, list) else []
        if not days or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
            raise ValidationError({"weekdays": _("Choose at least one working weekday.")})


class Holiday(models.Model):
    calendar = models.ForeignKey(SlaCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")]

    def __str__(self):
        return f"{self.date} {self.name}".strip()


class ServiceDesk(Localized):
    """A portal such as "Customer Service Desk"; its key prefixes every reference (CSD-12)."""

    key = models.CharField(
        _("key"),
        max_length=10,
        unique=True,
        help_text=_("Upper-case letters used in references, e.g. CSD."),
        validators=[
            RegexValidator(r"^[A-Z][A-Z0-9]{0,9}$", _("Use upper-case letters and digits, starting with a letter."))
        ],
    )
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_es = models.CharField(_("name (Spanish)"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # The reference counter: locked and bumped inside the ticket's own transaction.
    last_number = models.PositiveIntegerField(default=0, editable=False)
    # The Reply-To of e-mail about the desk's requests: the mailbox mailin polls.
    email_address = models.EmailField(blank=True)
    calendar = models.ForeignKey(
        SlaCalendar, on_delete=models.SET_NULL, null=True, blank=True, related_name="desks",
        help_text=_("Business hours for SLA times; empty: the calendar in the SLA settings."),
    )  # fmt: skip
    csat_enabled = models.BooleanField(
        _("ask for a satisfaction rating"), default=True,
        help_text=_("When a request is resolved, ask the customer to rate it from 1 to 5 (reports/csat.py)."),
    )  # fmt: skip

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def localized_description(self) -> str:
        return self.localized("description")


class Team(models.Model):
    """Agents of one desk at one tier, e.g. "Customer Service — Tier I"."""

    class Tier(models.IntegerChoices):
        TIER_1 = 1, _("Tier I")
        TIER_2 = 2, _("Tier II")

    desk = models.ForeignKey(ServiceDesk, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER_1)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        ordering = ["desk", "tier", "name"]
        constraints = [models.UniqueConstraint(fields=["desk", "name"], name="team_unique_name")]

    def __str__(self):
        return self.name


class RequestTypeGroup(Localized):
    """A "Contact us about" heading on a desk."""

    desk = models.ForeignKey(ServiceDesk, on_delete=models.CASCADE, related_name="groups")
    key = models.SlugField()
    name = models.CharField(max_length=120)
    name_es = models.CharField(max_length=120, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["desk", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["desk", "key"], name="group_unique_key")]

    def __str__(self):
        return f"{self.desk.key} / {self.name}"


class RequestType(Localized):
    """A "What can we help you with?" choice: its help, audience, team, SLA and fields."""

    form_fields: list[dict[str, Any]]  # set by the API's request type detail, for its serializer

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone, including people with no organisation yet")
        MEMBERS = "members", _("Members of any organisation")
        PROVIDERS = "provider", _("Provider organisations")
        PAYERS = "payer", _("Payer organisations")

    desk = models.ForeignKey(ServiceDesk, on_delete=models.CASCADE, related_name="request_types")
    group = models.ForeignKey(RequestTypeGroup, on_delete=models.PROTECT, related_name="request_types")
    key = models.SlugField()
    name = models.CharField(max_length=160)
    name_es = models.CharField(max_length=160, blank=True)
    summary = models.CharField(_("one-line help"), max_length=255, blank=True)
    summary_es = models.CharField(max_length=255, blank=True)
    meaning = models.TextField(_("what it means"), blank=True)
    meaning_es = models.TextField(blank=True)
    when_to_use = models.TextField(_("when to use it"), blank=True)
    when_to_use_es = models.TextField(blank=True)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.MEMBERS)
    default_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    escalation_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    needs_approval = models.BooleanField(
        default=False, help_text=_("Held until a site admin, site manager or lead director approves it.")
    )
    # Adds the requester to the organisation when a vouching role approves the request.
    approval_adds_membership = models.BooleanField(default=False)
    # "Staff terminated": once the request is resolved, its Tier II agent is offered to deactivate
    # the organisation's member it names (configuration.offboarding).
    offboards_member = models.BooleanField(
        default=False, help_text=_("Once resolved, offer the agent to deactivate the member the request names.")
    )
    sla_first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    sla_resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # The desk's "Other": requests that fit no type land here, and the reports watch what
    # recurs in them to suggest the next type to add (reports/other.py).
    is_catch_all = models.BooleanField(
        _("catch-all (“Other”)"), default=False,
        help_text=_("Where requests that fit no other type land; the reports show what recurs in them."),
    )  # fmt: skip

    class Meta:
        ordering = ["desk", "group__position", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["desk", "key"], name="request_type_unique_key")]

    def __str__(self):
        return f"{self.desk.key} / {self.name}"

    @property
    def localized_summary(self) -> str:
        return self.localized("summary")

    @property
    def localized_meaning(self) -> str:
        return self.localized("meaning")

    @property
    def localized_when_to_use(self) -> str:
        return self.localized("when_to_use")


class RequestField(Localized):
    """One typed input of a request type's form. Archived, never deleted, so old requests read."""

    # Keys that map onto ticket columns rather than field values.
    SUMMARY = "summary"
    DESCRIPTION = "description"

    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        EMAIL = "email", _("E-mail")
        CHOICE = "choice", _("Choice")
        FILE = "file", _("File(s)")

    # PROTECT: stored values point at their field by id, so a field outlives its type's deletion.
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="fields")
    key = models.SlugField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SHORT_TEXT)
    name = models.CharField(_("label"), max_length=160)
    name_es = models.CharField(_("label (Spanish)"), max_length=160, blank=True)
    help_text = models.TextField(blank=True)
    help_text_es = models.TextField(blank=True)
    required = models.BooleanField(default=False)
    # Changed only through tickets.fields.request_field_set_sensitive, which moves the stored
    # values to the matching store in the same transaction.
    sensitive = models.BooleanField(
        default=False, help_text=_("Personal data: hidden from Tier I, stored apart, every view audited.")
    )
    # [{"value": "...", "label": "...", "label_es": "..."}] for choice fields.
    choices = models.JSONField(default=list, blank=True)
    # e.g. {"min_length": 40, "max_length": 200, "not_in_future": true, "min": 0, "max": 10}
    validation = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["request_type", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["request_type", "key"], name="field_unique_key")]

    def __str__(self):
        return f"{self.request_type} / {self.key}"

    def clean(self):
        # Sensitive values live apart from the ticket; uploaded files do not, so a file field
        # marked sensitive would show its files to Tier I. Refuse it instead.
        if self.sensitive and self.kind == self.Kind.FILE:
            raise ValidationError({"sensitive": _("A file field cannot be marked sensitive.")})
        if self.sensitive and self.key in (self.SUMMARY, self.DESCRIPTION):
            # They are the request's own columns, shown in every list, search and e-mail.
            raise ValidationError(
                {"sensitive": _("The summary and the description cannot be sensitive: ask for the details in a field.")}
            )
