"""Output serializers read only the columns a page may show: no serializer here touches
SensitiveValue except the reveal one, which only the reveal service feeds."""

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from tickets.models import Activity, Priority, Team, Ticket, WorkItem


class PersonOut(serializers.Serializer):
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()


CUSTOMER_FIELDS = [
    "reference", "url", "desk", "request_type", "request_type_name", "summary", "status", "status_label",
    "requester", "organization", "channel", "escalation_requested", "resolved_at", "created_at", "updated_at",
    "version",
]  # fmt: skip
AGENT_FIELDS = [
    "tier", "team", "assignee", "priority", "first_response_due_at", "first_response_at", "resolution_due_at",
    "sla_at_risk_at", "sla_breached_at",
]  # fmt: skip
DETAIL_FIELDS = [
    "description", "field_values", "sensitive_fields", "participants", "actions", "merged_into", "escalation_reason",
]  # fmt: skip


class TicketOut(serializers.ModelSerializer):
    """A request as its customers see it: no team, assignee, tier, priority or SLA clocks."""

    desk = serializers.CharField(source="desk.key")
    request_type = serializers.CharField(source="request_type.key")
    request_type_name = serializers.CharField(source="request_type.display_name")
    status_label = serializers.CharField(source="get_status_display")
    requester = PersonOut()
    organization = serializers.CharField(source="organization.name", default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = CUSTOMER_FIELDS

    def get_url(self, ticket) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:request_detail", args=[ticket.reference]))


class AgentTicketOut(TicketOut):
    """A request as the desk's agents see it."""

    team = serializers.CharField(source="team.name", default=None)
    assignee = serializers.EmailField(source="assignee.email", default=None)

    class Meta(TicketOut.Meta):
        fields = CUSTOMER_FIELDS + AGENT_FIELDS


class FieldValueOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField(allow_null=True)


class SensitiveFieldOut(serializers.Serializer):
    """That a sensitive value exists, never the value."""

    label = serializers.CharField()  # type: ignore[assignment]
    masked = serializers.BooleanField(default=True)


class ActionOut(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    note_required = serializers.BooleanField()


class _DetailFields(serializers.Serializer):
    description = serializers.CharField()
    field_values = serializers.SerializerMethodField()
    sensitive_fields = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    merged_into = serializers.CharField(source="merged_into.reference", default=None)
    escalation_reason = serializers.CharField()

    def get_field_values(self, ticket) -> list[dict]:
        return FieldValueOut(self.context["field_rows"], many=True).data  # type: ignore[return-value]

    def get_sensitive_fields(self, ticket) -> list[dict]:
        return SensitiveFieldOut([{"label": label} for label in self.context["sensitive_labels"]], many=True).data  # type: ignore[return-value]

    def get_participants(self, ticket) -> list[dict]:
        return PersonOut([p.user for p in self.context["participants"]], many=True).data  # type: ignore[return-value]

    def get_actions(self, ticket) -> list[dict]:
        return ActionOut(self.context["actions"], many=True).data  # type: ignore[return-value]


class TicketDetailOut(_DetailFields, TicketOut):
    class Meta(TicketOut.Meta):
        fields = CUSTOMER_FIELDS + DETAIL_FIELDS


class AgentTicketDetailOut(_DetailFields, AgentTicketOut):
    class Meta(AgentTicketOut.Meta):
        fields = CUSTOMER_FIELDS + AGENT_FIELDS + DETAIL_FIELDS


class AttachmentOut(serializers.Serializer):
    """A file; `url` downloads it through the visibility rule."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return self.context["request"].build_absolute_uri(reverse("portal:attachment_download", args=[attachment.pk]))


class ActivityOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.full_name", default=None)
    attachments = AttachmentOut(many=True)

    class Meta:
        model = Activity
        fields = ["id", "kind", "visibility", "actor", "body", "old_value", "new_value", "created_at", "attachments"]


class RevealedValueOut(serializers.Serializer):
    key = serializers.CharField(source="field_key")
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()


class QueueOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Capped: 1001 means more than 1,000.")
    url = serializers.CharField()


class WorkItemOut(serializers.ModelSerializer):
    class Meta:
        model = WorkItem
        fields = ["id", "title", "kind", "status", "external_url", "created_at", "done_at"]


# --- Input ------------------------------------------------------------------------------------


class VersionIn(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you last read; a change on a stale one is refused (409)."
    )


class TransitionIn(VersionIn):
    action = serializers.CharField(max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=32000, default="")


class CommentIn(VersionIn):
    body = serializers.CharField(required=False, allow_blank=True, max_length=32000, default="")
    internal = serializers.BooleanField(required=False, default=False)
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=50,
        help_text="Ids of files you uploaded beforehand (POST /api/v1/attachments/).",
    )  # fmt: skip


class AssignIn(VersionIn):
    assignee = serializers.EmailField(allow_null=True, help_text="An agent of the desk; null to unassign.")


class PriorityIn(VersionIn):
    priority = serializers.ChoiceField(choices=Priority.choices)


class TierIn(VersionIn):
    tier = serializers.ChoiceField(choices=Team.Tier.choices)
    reason = serializers.CharField(max_length=2000)


class ReasonIn(VersionIn):
    reason = serializers.CharField(max_length=2000)


class MergeIn(VersionIn):
    into = serializers.RegexField(
        r"^[A-Za-z][A-Za-z0-9]{0,9}-\d{1,9}$", help_text="Reference of the surviving request."
    )
    share_with = serializers.ListField(
        child=serializers.EmailField(), required=False, default=list, max_length=50,
        help_text="People of the duplicate who cannot see the surviving request and should: it is shared with them "
        "(logged). Nobody else gains access by a merge.",
    )  # fmt: skip


class ShareIn(serializers.Serializer):
    email = serializers.EmailField(help_text="A colleague of the request's organisation.")


class WorkItemLinkIn(serializers.Serializer):
    work_item = serializers.IntegerField(required=False, min_value=1)
    title = serializers.CharField(required=False, max_length=255)
    kind = serializers.ChoiceField(choices=WorkItem.Kind.choices, default=WorkItem.Kind.BUG)
    external_url = serializers.URLField(required=False, allow_blank=True, default="")

    def validate(self, data):
        if not data.get("work_item") and not (data.get("title") or "").strip():
            raise serializers.ValidationError({"title": _("Choose a work item or give a new one a title.")})
        return data


class SubmitIn(serializers.Serializer):
    desk = serializers.CharField(max_length=10, help_text="Desk key, e.g. CSD.")
    request_type = serializers.SlugField(help_text="Request type key within the desk.")
    values = serializers.DictField(help_text="Field values by field key: summary, description and the type's fields.")
    site = serializers.IntegerField(required=False, help_text="For people with several sites.")
    files = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=50),
        required=False,
        default=dict,
        help_text="File fields: ids of files uploaded beforehand (POST /api/v1/attachments/), by field key.",
    )


class AttachmentIn(serializers.Serializer):
    file = serializers.FileField()
