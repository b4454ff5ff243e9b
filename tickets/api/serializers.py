"""Output serializers read only the columns a page may show: no serializer here touches
SensitiveValue except the reveal one, which only the reveal service feeds."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from tickets.models import (
    Activity,
    Attachment,
    Priority,
    RequestField,
    RequestType,
    ServiceDesk,
    Team,
    Ticket,
    WorkItem,
)


class PersonOut(serializers.Serializer[Any]):  # given lists too (many=True), which the stubs refuse
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()


CUSTOMER_FIELDS = [
    "reference", "url", "desk", "request_type", "request_type_name", "summary", "status", "status_label",
    "requester", "organization", "site", "channel", "escalation_requested", "resolved_at", "created_at", "updated_at",
    "version",
]  # fmt: skip
AGENT_FIELDS = [
    "tier", "team", "assignee", "priority", "first_response_due_at", "first_response_at", "resolution_due_at",
    "sla_at_risk_at", "sla_breached_at",
]  # fmt: skip
DETAIL_FIELDS = [
    "description", "field_values", "sensitive_fields", "participants", "actions", "merged_into", "escalation_reason",
]  # fmt: skip


class TicketOut(serializers.ModelSerializer[Ticket]):
    """A request as its customers see it: no team, assignee, tier, priority or SLA clocks."""

    desk = serializers.CharField(source="desk.key")
    request_type = serializers.CharField(source="request_type.key")
    request_type_name = serializers.CharField(source="request_type.display_name")
    status_label = serializers.CharField(source="get_status_display")
    requester = PersonOut()
    organization = serializers.CharField(source="organization.name", default=None, allow_null=True)
    site = serializers.IntegerField(source="site_id", allow_null=True, help_text="The site's id, when it has one.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = CUSTOMER_FIELDS

    def get_url(self, ticket: Ticket) -> str:
        url: str = self.context["request"].build_absolute_uri(reverse("api:request_detail", args=[ticket.reference]))
        return url


class AgentTicketOut(TicketOut):
    """A request as the desk's agents see it."""

    team = serializers.CharField(source="team.name", default=None, allow_null=True)
    assignee = serializers.EmailField(source="assignee.email", default=None, allow_null=True)

    class Meta(TicketOut.Meta):
        fields = CUSTOMER_FIELDS + AGENT_FIELDS


class FieldValueOut(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField(allow_null=True)


class SensitiveFieldOut(serializers.Serializer[Any]):
    """That a sensitive value exists, never the value."""

    label = serializers.CharField()  # type: ignore[assignment]
    masked = serializers.BooleanField(default=True)


class ActionOut(serializers.Serializer[Any]):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    note_required = serializers.BooleanField()


class _DetailFields(serializers.Serializer[Ticket]):
    description = serializers.CharField()
    field_values = serializers.SerializerMethodField()
    sensitive_fields = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    merged_into = serializers.CharField(source="merged_into.reference", default=None, allow_null=True)
    escalation_reason = serializers.CharField()

    def get_field_values(self, ticket: Ticket) -> list[dict[str, Any]]:
        return FieldValueOut(self.context["field_rows"], many=True).data  # type: ignore[return-value]

    def get_sensitive_fields(self, ticket: Ticket) -> list[dict[str, Any]]:
        return SensitiveFieldOut([{"label": label} for label in self.context["sensitive_labels"]], many=True).data  # type: ignore[return-value]

    def get_participants(self, ticket: Ticket) -> list[dict[str, Any]]:
        return PersonOut([p.user for p in self.context["participants"]], many=True).data  # type: ignore[return-value]

    def get_actions(self, ticket: Ticket) -> list[dict[str, Any]]:
        return ActionOut(self.context["actions"], many=True).data  # type: ignore[return-value]


class TicketDetailOut(_DetailFields, TicketOut):
    class Meta(TicketOut.Meta):
        fields = CUSTOMER_FIELDS + DETAIL_FIELDS


class AgentTicketDetailOut(_DetailFields, AgentTicketOut):
    class Meta(AgentTicketOut.Meta):
        fields = CUSTOMER_FIELDS + AGENT_FIELDS + DETAIL_FIELDS


class AttachmentOut(serializers.Serializer[Attachment]):
    """A file; `url` downloads it through the visibility rule."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment: Attachment) -> str:
        url: str = self.context["request"].build_absolute_uri(reverse("api:attachment_download", args=[attachment.pk]))
        return url


class ActivityOut(serializers.ModelSerializer[Activity]):
    actor = serializers.CharField(source="actor.full_name", default=None, allow_null=True)
    attachments = AttachmentOut(many=True)

    class Meta:
        model = Activity
        fields = ["id", "kind", "visibility", "actor", "body", "old_value", "new_value", "created_at", "attachments"]


class RevealedValueOut(serializers.Serializer[Any]):
    key = serializers.CharField(source="field_key")
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()


class QueueOut(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Capped: 1001 means more than 1,000.")
    url = serializers.CharField()


class WorkItemOut(serializers.ModelSerializer[WorkItem]):
    class Meta:
        model = WorkItem
        fields = ["id", "title", "kind", "status", "external_url", "created_at", "done_at"]


class AgentWorkItemOut(WorkItemOut):
    requests = serializers.ListField(
        child=serializers.CharField(), source="visible_references", help_text="Linked requests you may see."
    )
    hidden_count = serializers.IntegerField(help_text="Linked requests of desks you do not work.")
    changeable = serializers.BooleanField(help_text="Whether you may change its status.")

    class Meta(WorkItemOut.Meta):
        fields = [*WorkItemOut.Meta.fields, "requests", "hidden_count", "changeable"]


# --- Input ------------------------------------------------------------------------------------


class VersionIn(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you last read; a change on a stale one is refused (409)."
    )


@extend_schema_serializer(
    examples=[OpenApiExample("Resolve", value={"action": "resolve", "note": "Fixed on our side.", "version": 3})]
)
class TransitionIn(VersionIn):
    action = serializers.CharField(max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=32000, default="")


@extend_schema_serializer(
    examples=[OpenApiExample("A comment with a file", value={"body": "Here is the screenshot.", "attachments": [41]})]
)
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


class RelatedIn(serializers.Serializer[Any]):
    reference = serializers.RegexField(
        r"^\s*[A-Za-z][A-Za-z0-9]{0,9}-\d{1,9}\s*$", max_length=24, help_text="Another request of your desks."
    )


class RequestTypeChangeIn(VersionIn):
    request_type = serializers.IntegerField(min_value=1, help_text="A request type of the same desk (its id).")


class WorkItemStatusIn(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=WorkItem.Status.choices)


class ShareIn(serializers.Serializer[Any]):
    email = serializers.EmailField(help_text="A colleague of the request's organisation.")


class WorkItemLinkIn(serializers.Serializer[Any]):
    work_item = serializers.IntegerField(required=False, min_value=1)
    title = serializers.CharField(required=False, max_length=255)
    kind = serializers.ChoiceField(choices=WorkItem.Kind.choices, default=WorkItem.Kind.BUG)
    external_url = serializers.URLField(required=False, allow_blank=True, default="")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("work_item") and not (data.get("title") or "").strip():
            raise serializers.ValidationError({"title": _("Choose a work item or give a new one a title.")})
        return data


class SubmitIn(serializers.Serializer[Any]):
    """Only these keys are read: anything else in the body (status, requester, organization,
    reference, tier, …) is ignored. Status is never writable: it changes through /transitions/."""

    request_type = serializers.CharField(
        max_length=80,
        help_text="The request type's id (GET /api/v1/desks/{key}/request-types/), or its key together with `desk`.",
    )
    desk = serializers.CharField(max_length=10, required=False, help_text="Desk key, e.g. CSD, with a type's key.")
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False,
        help_text="The create form's values by field key (GET /api/v1/request-types/{id}/): summary, description "
        "and the type's fields; a file field takes a list of ids of files uploaded beforehand "
        "(POST /api/v1/attachments/); `site` the id of one of your sites when you have several.",
    )
    values = serializers.DictField(required=False, help_text="Deprecated: the former name of `fields`.")
    site = serializers.IntegerField(required=False, help_text="For people with several sites (or `fields.site`).")
    files = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=50),
        required=False,
        default=dict,
        help_text="File fields: ids of files uploaded beforehand, by field key (or give them in `fields`).",
    )


class OnBehalfIn(serializers.Serializer[Any]):
    """An agent files a request for a caller or an e-mail sender (the workspace's "New request")."""

    request_type = serializers.IntegerField(min_value=1, help_text="A request type of one of your desks (its id).")
    fields = serializers.DictField(required=False, default=dict, help_text="As for POST /api/v1/requests/.")  # type: ignore[assignment]
    files = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=50),
        required=False,
        default=dict,
    )
    requester_email = serializers.CharField(max_length=254)
    requester_name = serializers.CharField(
        max_length=150, required=False, default="", help_text="Needed when the person has no account yet."
    )
    organization = serializers.IntegerField(min_value=1, required=False, help_text="The organisation's id.")
    channel = serializers.ChoiceField(choices=["phone", "email"])


SUBMIT_EXAMPLE = OpenApiExample(
    "A request with a file",
    request_only=True,
    value={
        "request_type": "12",
        "fields": {
            "summary": "Cannot open the attendance report",
            "description": "Since Monday the report page shows an error for every month.",
            "attachments": [41],
        },
    },
)


class NotifyIn(serializers.Serializer[Any]):
    notify = serializers.BooleanField(help_text="Whether you get e-mail about this request.")


class NotifyOut(serializers.Serializer[Any]):
    notify = serializers.BooleanField()


class ApprovalIn(VersionIn):
    decision = serializers.ChoiceField(choices=["approve", "decline"])
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=32000, default="", help_text="Required to decline."
    )


class ParticipantOut(serializers.Serializer[Any]):
    name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")
    notify = serializers.BooleanField()
    removable = serializers.BooleanField(help_text="Whether you may remove this person.")


class AttachmentIn(serializers.Serializer[Any]):
    file = serializers.FileField()


# --- Catalogue --------------------------------------------------------------------------------


class DeskOut(serializers.Serializer[Any]):  # given querysets too (many=True), which the stubs refuse
    key = serializers.CharField(help_text="Prefix of the desk's references, e.g. CSD.")
    name = serializers.CharField(source="display_name")
    description = serializers.CharField(source="localized_description")
    request_types_url = serializers.SerializerMethodField()

    def get_request_types_url(self, desk: ServiceDesk) -> str:
        url: str = self.context["request"].build_absolute_uri(reverse("api:desk_request_types", args=[desk.key]))
        return url


class RequestTypeOut(serializers.Serializer[RequestType]):
    id = serializers.IntegerField(help_text="Name it as `request_type` when you submit a request.")
    key = serializers.CharField()
    desk = serializers.CharField(source="desk.key")
    group = serializers.CharField(source="group.key")
    name = serializers.CharField(source="display_name")
    summary = serializers.CharField(source="localized_summary")
    meaning = serializers.CharField(source="localized_meaning")
    when_to_use = serializers.CharField(source="localized_when_to_use")
    needs_approval = serializers.BooleanField(help_text="Held until a vouching role of the organisation approves it.")
    url = serializers.SerializerMethodField()

    def get_url(self, request_type: RequestType) -> str:
        url: str = self.context["request"].build_absolute_uri(
            reverse("api:request_type_detail", args=[request_type.pk])
        )
        return url


class RequestTypeGroupOut(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    request_types = RequestTypeOut(many=True)


class DeskRequestTypesOut(serializers.Serializer[Any]):
    desk = DeskOut()
    groups = RequestTypeGroupOut(many=True, help_text='"Contact us about": the types open to you, by group.')


class ChoiceOut(serializers.Serializer[Any]):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class FieldValidationOut(serializers.Serializer[Any]):
    min_length = serializers.IntegerField(required=False)
    max_length = serializers.IntegerField(required=False)
    min = serializers.IntegerField(required=False)
    max = serializers.IntegerField(required=False)
    not_in_future = serializers.BooleanField(required=False, help_text="A date: today or earlier.")
    max_bytes = serializers.IntegerField(required=False, help_text="A file: the largest size accepted.")
    format = serializers.CharField(required=False, help_text="date: YYYY-MM-DD; email: an e-mail address.")


class FormFieldOut(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The key to send the value under in `fields`.")
    type = serializers.ChoiceField(
        choices=[*RequestField.Kind.values, "site"],
        help_text="file: a list of ids of files uploaded beforehand; site: the id of one of your sites.",
    )
    label = serializers.CharField()  # type: ignore[assignment]
    help = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()  # type: ignore[assignment]
    sensitive = serializers.BooleanField(help_text="Personal data: stored apart, shown only to Tier II.")
    choices = ChoiceOut(many=True, required=False, help_text="For choice and site fields: the values accepted.")
    validation = FieldValidationOut()


class RequestTypeDetailOut(RequestTypeOut):
    fields = FormFieldOut(many=True, source="form_fields", help_text="The create form, in order.")  # type: ignore[assignment]
