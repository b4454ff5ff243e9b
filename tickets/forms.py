"""One form definition per request type, built from its fields; portal, agent pages and API use it."""

import re
import unicodedata
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.forms import CanonicalEmailField
from accounts.models import Organization, Site, User
from helpdesk.widgets import Select

from .attachments import attachment_stage, validate_upload
from .intake import organization_for_intake, site_for_intake
from .models import (
    Attachment,
    CannedResponse,
    Participant,
    Priority,
    RequestField,
    RequestType,
    ServiceDesk,
    WorkItem,
)
from .selectors import REFERENCE_PATTERN, eligible_organizations, eligible_sites
from .values import SubmittedValues
from .workflow import Status

SUMMARY_MAX = 255
TEXT_MAX = 32000
# The largest id a PostgreSQL bigint holds: anything longer is not an id of ours.
MAX_ID = 2**63 - 1


def parse_id(raw) -> int | None:
    """A row id from user input ("12"), or None for anything that is not one ("abc", "-1",
    "1.5", "", a 30-digit number): look rows up with this, never with the raw string."""
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_reference(raw) -> str | None:
    """A request reference from user input ("csd-12 " -> "CSD-12"), or None for anything else."""
    match = REFERENCE_PATTERN.match(str(raw if raw is not None else ""))
    return f"{match.group(1).upper()}-{int(match.group(2))}" if match else None


def safe_next_url(raw, *, request, default: str) -> str:
    """Where to go back to after a form, from user input: a path on this site ("/agent/"), or
    `default` for anything else (another host, a view name, a control character)."""
    target = str(raw or "")
    hosts = {request.get_host()}
    if (
        target.startswith("/")
        and not any(unicodedata.category(char).startswith("C") for char in target)
        and url_has_allowed_host_and_scheme(target, allowed_hosts=hosts, require_https=request.is_secure())
    ):
        return target
    return default


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput
    # Files may come staged ahead of the form: the field itself is optional and the form checks this.
    really_required = False

    def clean(self, data, initial=None):
        uploads = [d for d in (data if isinstance(data, (list, tuple)) else [data]) if d]
        if not uploads:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        cleaned, errors = [], []
        for upload in uploads:
            try:
                upload = super().clean(upload, initial)
                validate_upload(upload)
                cleaned.append(upload)
            except forms.ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


def staged_attachments(*, user: User, ids) -> list[Attachment]:
    """The user's own uploaded-but-unclaimed files among these ids (others' are ignored)."""
    wanted = [i for i in map(parse_id, ids) if i is not None][:50]
    if not wanted:
        return []
    return list(Attachment.objects.filter(pk__in=wanted, uploaded_by=user, ticket__isnull=True).order_by("pk"))


if TYPE_CHECKING:
    _FormBase = forms.Form
else:
    _FormBase = object


class AttachmentsFormMixin(_FormBase):
    """File fields that also accept files uploaded ahead of the form (drag and drop, paste) and
    keep every good file across a form error, so nothing has to be picked twice."""

    file_keys: list[str]

    def _init_attachments(self, user: User) -> None:
        self.user = user
        self.staged = {}
        for key in self.file_keys:
            ids = cast(QueryDict, self.data).getlist(f"{key}__staged") if self.is_bound else []
            self.staged[key] = staged_attachments(user=user, ids=ids)
            field = cast(MultipleFileField, self.fields[key])
            field.really_required = field.required
            field.required = False
            if field.really_required:
                field.widget.attrs["aria-required"] = "true"

    def _clean_attachments(self, cleaned) -> None:
        for key in self.file_keys:
            if key in self.errors:
                continue
            if cast(MultipleFileField, self.fields[key]).really_required and not (self.staged[key] or cleaned.get(key)):
                self.add_error(key, _("Please attach at least one file."))

    def attachments(self, key: str) -> list:
        return [*self.staged[key], *(self.cleaned_data.get(key) or [])]

    def keep_uploads(self) -> None:
        """After a form error: stage the files that passed their checks, to show them again."""
        for key in self.file_keys:
            for upload in (getattr(self, "cleaned_data", {}) or {}).get(key) or []:
                self.staged[key].append(attachment_stage(uploaded_by=self.user, upload=upload))


def _form_field(field: RequestField) -> forms.Field:
    rules = field.validation or {}
    common: dict[str, Any] = {
        "label": field.display_name,
        "required": field.required,
        "help_text": field.localized("help_text"),
    }
    if field.kind == RequestField.Kind.LONG_TEXT:
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 6}),
            max_length=rules.get("max_length", TEXT_MAX),
            min_length=rules.get("min_length"),
            **common,
        )
    if field.kind == RequestField.Kind.NUMBER:
        return forms.IntegerField(min_value=rules.get("min"), max_value=rules.get("max"), **common)
    if field.kind == RequestField.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.kind == RequestField.Kind.EMAIL:
        return forms.EmailField(**common)
    if field.kind == RequestField.Kind.CHOICE:
        language_key = "label_es" if (get_language() or "en").startswith("es") else "label"
        # A retired choice (the catalogue editor keeps those that requests hold) is not offered.
        offered = [c for c in field.choices if not c.get("archived")]
        choices = [("", "—")] + [(c["value"], c.get(language_key) or c["label"]) for c in offered]
        return forms.ChoiceField(choices=choices, **common)
    if field.kind == RequestField.Kind.FILE:
        return MultipleFileField(**common)
    max_length = SUMMARY_MAX if field.key == RequestField.SUMMARY else rules.get("max_length", SUMMARY_MAX)
    return forms.CharField(max_length=max_length, min_length=rules.get("min_length"), **common)


class RequestForm(AttachmentsFormMixin, forms.Form):
    """The submit form of one request type."""

    def __init__(self, *args, request_type: RequestType, user: User, agent: bool = False, **kwargs):
        """agent: an agent fills it in for someone (tickets.intake_views): files are optional,
        and the caller's organisation and site come from the on-behalf form, not the agent's."""
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.request_fields = list(request_type.fields.filter(archived=False))
        self.sites = [] if agent else list(eligible_sites(user=user, request_type=request_type))
        if len(self.sites) > 1:
            self.fields["site"] = forms.ModelChoiceField(
                queryset=Site.objects.filter(pk__in=[s.pk for s in self.sites]).select_related("organization"),
                label=gettext_lazy("Site"),
                help_text=gettext_lazy("The location this request is about."),
                empty_label="—",
            )
        for field in self.request_fields:
            self.fields[field.key] = _form_field(field)
            if agent and field.kind == RequestField.Kind.FILE:
                # A caller cannot paste a screenshot into a phone call.
                self.fields[field.key].required = False
        for form_field in self.fields.values():
            if form_field.required:
                form_field.widget.attrs["aria-required"] = "true"
        self.file_keys = [f.key for f in self.request_fields if f.kind == RequestField.Kind.FILE]
        self._init_attachments(user)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for field in self.request_fields:
            value = cleaned.get(field.key)
            if field.kind == RequestField.Kind.DATE and value and (field.validation or {}).get("not_in_future"):
                if value > today:
                    self.add_error(field.key, _("This date cannot be in the future."))
        self._clean_attachments(cleaned)
        self.joining = None
        if self.request_type.approval_adds_membership and cleaned.get("provider_id"):
            self.joining = Organization.objects.filter(
                provider_id__iexact=cleaned["provider_id"].strip(), is_active=True
            ).first()
            if self.joining is None:
                self.add_error("provider_id", _("We do not know this provider ID. Please check it with your director."))
        return cleaned

    @property
    def organization_and_site(self) -> tuple[Organization | None, Site | None]:
        if getattr(self, "joining", None) is not None:
            # A new employee names the organisation they join; its vouching roles approve.
            return self.joining, None
        site = self.cleaned_data.get("site") or (self.sites[0] if len(self.sites) == 1 else None)
        if site:
            return site.organization, site
        return eligible_organizations(user=self.user, request_type=self.request_type).first(), None

    def submitted_values(self) -> SubmittedValues:
        data = self.cleaned_data
        fields, files = {}, {}
        for field in self.request_fields:
            if field.key in (RequestField.SUMMARY, RequestField.DESCRIPTION):
                continue
            value = data.get(field.key)
            if field.kind == RequestField.Kind.FILE:
                files[field.key] = self.attachments(field.key)
            elif field.kind == RequestField.Kind.DATE and value:
                fields[field.key] = value.isoformat()
            else:
                fields[field.key] = value
        return SubmittedValues(
            summary=data.get(RequestField.SUMMARY, ""),
            description=data.get(RequestField.DESCRIPTION, "") or "",
            fields=fields,
            files=files,
        )


def request_form_description(*, form: RequestForm) -> list[dict]:
    """The create form as data, for the API's catalogue: each field's key, type, label, help,
    required, sensitive, choices and validation, read from the very form fields the portal
    shows and validates with (so the two cannot disagree), in the active language."""
    described = []
    by_key = {field.key: field for field in form.request_fields}
    for key, form_field in form.fields.items():
        field = by_key.get(key)
        kind = field.kind if field else "site"
        rules: dict = {}
        for attribute, rule in (("min_length", "min_length"), ("max_length", "max_length"),
                                ("min_value", "min"), ("max_value", "max")):  # fmt: skip
            if getattr(form_field, attribute, None) is not None:
                rules[rule] = getattr(form_field, attribute)
        if kind == RequestField.Kind.DATE:
            rules["format"] = "YYYY-MM-DD"
            if field is not None and (field.validation or {}).get("not_in_future"):
                rules["not_in_future"] = True
        elif kind == RequestField.Kind.EMAIL:
            rules["format"] = "email"
        elif kind == RequestField.Kind.FILE:
            rules["max_bytes"] = settings.ATTACHMENT_MAX_BYTES
        item = {
            "key": key,
            "type": kind,
            "label": str(form_field.label),
            "help": str(form_field.help_text or ""),
            "required": bool(getattr(form_field, "really_required", form_field.required)),
            "sensitive": bool(field and field.sensitive),
            "validation": rules,
        }
        if kind == RequestField.Kind.CHOICE:
            choices = getattr(form_field, "choices", [])
            item["choices"] = [{"value": v, "label": str(label)} for v, label in choices if v != ""]
        elif kind == "site":
            item["choices"] = [{"value": str(site.pk), "label": f"{site.organization} — {site}"} for site in form.sites]
        described.append(item)
    return described


class CommentForm(AttachmentsFormMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX,
        required=False,
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"), required=False)  # type: ignore[assignment]
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    file_keys = ["attachments"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_attachments(user)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not self.attachments("attachments") and not self.errors:
            self.add_error("body", _("Write a comment or attach a file."))
        return cleaned


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why does this need escalating?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TransitionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=TEXT_MAX, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ShareForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(), label=gettext_lazy("Share with"), empty_label="—", widget=Select
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = colleagues


class UnshareForm(forms.Form):
    """Whom to stop sharing a request with: one of its participants."""

    participant = forms.ModelChoiceField(queryset=Participant.objects.none())

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants.select_related("user")


class RequestFilterForm(forms.Form):
    """Filters of the My requests list; every field is optional."""

    scope = forms.ChoiceField(
        choices=[("created", ""), ("shared", ""), ("organization", "")], required=False, widget=forms.HiddenInput
    )
    q = forms.CharField(label=gettext_lazy("Search"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), ("open", gettext_lazy("Open")), ("done", gettext_lazy("Finished"))]
        + list(Status.choices),
        widget=Select,
    )
    desk = forms.ModelChoiceField(
        label=gettext_lazy("Service desk"),
        queryset=ServiceDesk.objects.filter(is_active=True),
        required=False,
        to_field_name="slug",
        empty_label=gettext_lazy("Any desk"),
        widget=Select,
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        required=False,
        choices=[
            ("-created", gettext_lazy("Newest first")),
            ("created", gettext_lazy("Oldest first")),
            ("-updated", gettext_lazy("Recently updated")),
            ("reference", gettext_lazy("Reference")),
            ("status", gettext_lazy("Status")),
            ("summary", gettext_lazy("Summary")),
        ],
        widget=Select,
    )


class AgentReplyForm(CommentForm):
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note (only agents see it)"), required=False, initial=False
    )
    canned = forms.ModelChoiceField(
        queryset=CannedResponse.objects.none(),
        label=gettext_lazy("Canned response"),
        required=False,
        empty_label="—",
        widget=Select,
    )

    def __init__(self, *args, desk_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canned"].queryset = CannedResponse.objects.filter(is_active=True).filter(
            Q(desk__isnull=True) | Q(desk_id=desk_id)
        )

    def clean(self):
        if self.data.get("insert"):
            # Only inserting a canned response: nothing is sent, so an empty body is fine.
            return super(CommentForm, self).clean()
        return super().clean()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=gettext_lazy("Assignee"),
        required=False,
        empty_label=gettext_lazy("Nobody"),
        widget=Select,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Priority"), choices=Priority.choices, coerce=int, widget=Select
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TierForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class WorkItemLinkForm(forms.Form):
    """Link an existing open work item, or describe a new one."""

    work_item = forms.ModelChoiceField(
        queryset=WorkItem.objects.exclude(status__in=[WorkItem.Status.DONE, WorkItem.Status.WONT_DO]),
        label=gettext_lazy("Existing work item"),
        required=False,
        empty_label=gettext_lazy("— a new one —"),
        widget=Select,
    )
    title = forms.CharField(label=gettext_lazy("New work item title"), max_length=255, required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=WorkItem.Kind.choices, initial=WorkItem.Kind.BUG, widget=Select
    )
    external_url = forms.URLField(label=gettext_lazy("Tracker link"), required=False, assume_scheme="https")

    def __init__(self, *args, work_items=None, **kwargs):
        super().__init__(*args, **kwargs)
        if work_items is not None:
            # Only the work items this agent sees (tickets.work_items.work_items_for_agent).
            self.fields["work_item"].queryset = work_items

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("work_item") and not (cleaned.get("title") or "").strip():
            self.add_error("title", _("Choose a work item or give a new one a title."))
        return cleaned


# A phone number as people write it: digits with spaces, dots, dashes, brackets, a leading "+"
# and an extension ("x12", "ext. 12").
_PHONE = re.compile(r"^\+?[0-9(][0-9 ()./-]*(\s*(x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)


class OnBehalfForm(forms.Form):
    """Who an agent files a request for (a caller or an e-mail sender), how it came in, and the
    caller's organisation and site, found by name or provider ID as the agent types."""

    # Cleaned to the canonical form (accounts.identity), compared exactly.
    requester_email = CanonicalEmailField(label=gettext_lazy("Requester's e-mail address"))
    requester_name = forms.CharField(
        label=gettext_lazy("Requester's full name"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Needed when the person has no account yet."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Came in by"),
        choices=[("phone", gettext_lazy("Phone")), ("email", gettext_lazy("E-mail"))],
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("The number to call back, with the area code, for example (512) 555-0134."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    organization = forms.CharField(
        label=gettext_lazy("Organisation"),
        max_length=300,
        required=False,
        help_text=gettext_lazy(
            "Type part of the name or the provider ID and pick it from the list; leave empty for none."
        ),
        widget=forms.TextInput(attrs={"list": "organization-options", "autocomplete": "off"}),
    )
    site = forms.CharField(
        label=gettext_lazy("Site"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("One of the organisation's sites, if the request is about one."),
        widget=forms.TextInput(attrs={"list": "site-options", "autocomplete": "off"}),
    )

    def clean_phone(self) -> str:
        phone = " ".join((self.cleaned_data.get("phone") or "").split())
        if not phone:
            return ""
        digits = sum(char.isdigit() for char in phone)
        if not _PHONE.match(phone) or not 7 <= digits <= 21:
            raise forms.ValidationError(_("Enter a phone number such as (512) 555-0134 or +1 512 555 0134."))
        return phone

    def clean_organization(self) -> Organization | None:
        text = self.cleaned_data.get("organization") or ""
        if not text.strip():
            return None
        organization = organization_for_intake(text=text)
        if organization is None:
            raise forms.ValidationError(
                _("No organisation matches this. Pick one from the list, or type its provider ID.")
            )
        return organization

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("requester_email")
        if email and not User.objects.filter(email=email).exists() and not cleaned.get("requester_name"):
            self.add_error("requester_name", _("This person has no account yet: enter their full name."))
        organization, site_text = cleaned.get("organization"), (cleaned.get("site") or "").strip()
        cleaned["site"] = None
        if site_text and "organization" not in self.errors:
            if organization is None:
                self.add_error("site", _("Choose the organisation first."))
            else:
                cleaned["site"] = site_for_intake(organization=organization, text=site_text)
                if cleaned["site"] is None:
                    self.add_error("site", _("%(organization)s has no site of this name.") % {
                        "organization": organization.name})  # fmt: skip
        elif organization is not None and organization.sites.count() == 1:
            cleaned["site"] = organization.sites.get()
        return cleaned


class ReferenceForm(forms.Form):
    reference = forms.RegexField(
        label=gettext_lazy("Reference"),
        regex=r"^\s*[A-Za-z][A-Za-z0-9]{0,9}-\d{1,9}\s*$",
        error_messages={"invalid": gettext_lazy("Enter a reference such as CSD-12.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RequestTypeChangeForm(forms.Form):
    request_type = forms.ModelChoiceField(
        queryset=RequestType.objects.none(), label=gettext_lazy("Request type"), widget=Select
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, desk_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request_type"].queryset = RequestType.objects.filter(
            desk_id=desk_id, is_active=True
        ).select_related("desk")
