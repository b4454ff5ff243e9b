"""The admin configures; it never rewrites or destroys a request's history. Tickets, activities,
sensitive values and attachments are shown, not deleted or moved (the services change them, each
change logged), and sensitive values are never shown at all."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .fields import request_field_set_sensitive
from .models import (
    Activity,
    Attachment,
    CannedResponse,
    Holiday,
    Participant,
    RequestField,
    RequestType,
    RequestTypeGroup,
    SavedQueue,
    SensitiveValue,
    ServiceDesk,
    SlaCalendar,
    Team,
    Ticket,
    WorkItem,
)
from .selectors import ticket_field_rows_keyed
from .workflow import Status


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0
    filter_horizontal = ["members"]


class GroupInline(admin.TabularInline):
    model = RequestTypeGroup
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


class SlaCalendarForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Working weekdays"),
        coerce=int,
        choices=[(1, _("Monday")), (2, _("Tuesday")), (3, _("Wednesday")), (4, _("Thursday")), (5, _("Friday")),
                 (6, _("Saturday")), (7, _("Sunday"))],
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = SlaCalendar
        fields = ["name", "time_zone", "opens", "closes", "weekdays"]


@admin.register(SlaCalendar)
class SlaCalendarAdmin(admin.ModelAdmin):
    form = SlaCalendarForm
    list_display = ["name", "time_zone", "opens", "closes"]
    inlines = [HolidayInline]


@admin.register(ServiceDesk)
class ServiceDeskAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "position", "is_active", "last_number"]
    readonly_fields = ["last_number"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [GroupInline, TeamInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "desk", "tier"]
    list_filter = ["desk", "tier"]
    filter_horizontal = ["members"]


@admin.register(RequestTypeGroup)
class RequestTypeGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "desk", "position"]
    list_filter = ["desk"]


class RequestFieldForm(forms.ModelForm):
    def clean_key(self):
        key = self.cleaned_data["key"]
        if self.instance.pk and key != self.instance.key:
            # Stored values sit under their field's key: a new key would strand them.
            raise forms.ValidationError(
                _(
                    "A field's key never changes: requests keep their values under it. "
                    "Archive this field and add a new one."
                )
            )
        return key


class RequestFieldInline(admin.StackedInline):
    model = RequestField
    form = RequestFieldForm
    extra = 0
    fields = [
        ("key", "kind", "position"),
        ("name", "name_es"),
        ("help_text", "help_text_es"),
        ("required", "sensitive", "archived"),
        ("choices", "validation"),
    ]

    def has_delete_permission(self, request, obj=None):
        # Fields are archived, never deleted, so old requests stay readable.
        return False


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "desk", "group", "audience", "needs_approval", "is_active", "position"]
    list_filter = ["desk", "audience", "needs_approval", "is_active"]
    search_fields = ["name", "name_es", "key"]
    inlines = [RequestFieldInline]

    def save_formset(self, request, form, formset, change):
        """A field's `sensitive` flag changes only through request_field_set_sensitive, which moves
        its stored values in the same transaction: the formset saves the rest with the old flag."""
        if formset.model is not RequestField:
            return super().save_formset(request, form, formset, change)
        flips = []
        for field_form in formset.forms:
            field = field_form.instance
            if field.pk and "sensitive" in field_form.changed_data and field_form not in formset.deleted_forms:
                flips.append((field, field.sensitive))
                field.sensitive = field_form.initial["sensitive"]
        super().save_formset(request, form, formset, change)
        for field, sensitive in flips:
            request_field_set_sensitive(field=field, sensitive=sensitive, actor=request.user)


class ParticipantInline(admin.TabularInline):
    # Sharing goes through tickets.services.ticket_share, which logs it; here it is only shown.
    model = Participant
    extra = 0
    fields = readonly_fields = ("user", "notify", "added_by", "added_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = readonly_fields = ("created_at", "actor", "kind", "visibility", "old_value", "new_value", "body")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["reference", "summary", "desk", "status", "tier", "team", "assignee", "created_at"]
    list_filter = ["desk", "status", "tier", "priority", "channel"]
    search_fields = ["reference", "summary"]
    # Requests change only through the services, which log every change; the admin shows them.
    # Field values through the same selector as every page: never a sensitive one, never raw.
    fields = readonly_fields = (
        "reference", "desk", "request_type", "requester", "created_by", "organization", "site", "channel",
        "summary", "description", "shown_field_values", "status", "tier", "team", "assignee", "priority",
        "escalation_requested", "escalation_reason", "first_response_due_at", "first_response_at",
        "resolution_due_at", "resolved_at", "closed_at", "merged_into", "version", "created_at", "updated_at",
    )  # fmt: skip
    inlines = [ParticipantInline, ActivityInline]

    @admin.display(description=_("Field values"))
    def shown_field_values(self, ticket):
        rows = ticket_field_rows_keyed(ticket=ticket)
        if not rows:
            return "—"
        items = format_html_join("", "<li>{}: {}</li>", ((row["label"], row["value"]) for row in rows))
        return format_html("<ul>{}</ul>", items)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    # Append-only: the log is the audit trail.
    list_display = ["ticket", "kind", "visibility", "actor", "created_at"]
    list_filter = ["kind", "visibility"]
    raw_id_fields = ["ticket", "actor"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    # Files arrive through the upload checks and belong to the request they were sent with.
    list_display = ["original_name", "content_type", "size", "ticket", "uploaded_by", "created_at"]
    fields = readonly_fields = (
        "original_name", "content_type", "size", "ticket", "activity", "field_key", "uploaded_by", "created_at",
        "claimed_at",
    )  # fmt: skip


@admin.register(SensitiveValue)
class SensitiveValueAdmin(ReadOnlyAdmin):
    # The value (and a choice's label) is never shown here: only the audited reveal service reads it.
    list_display = ["ticket", "field_key", "label"]
    fields = readonly_fields = ("ticket", "field", "field_key", "label")


@admin.register(WorkItem)
class WorkItemAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "created_at", "done_at"]
    list_filter = ["kind", "status"]
    # Links and status go through tickets.work_items, which logs them on every linked request.
    readonly_fields = ["status", "tickets", "done_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["name", "desk", "is_active"]
    list_filter = ["desk", "is_active"]
    search_fields = ["name", "body"]


class SavedQueueForm(forms.ModelForm):
    statuses = forms.MultipleChoiceField(
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every status still with support."),
    )

    class Meta:
        model = SavedQueue
        fields = [
            "name", "name_es", "slug", "desk", "statuses", "tier", "team", "request_type", "priority_at_least",
            "assignment", "sla", "escalation_requested_only", "position", "is_active",
        ]  # fmt: skip


@admin.register(SavedQueue)
class SavedQueueAdmin(admin.ModelAdmin):
    form = SavedQueueForm
    list_display = ["name", "slug", "desk", "position", "is_active"]
    list_filter = ["desk", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
