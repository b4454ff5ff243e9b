"""One form definition per request type, built from its fields; portal, agent pages and API use it."""

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import Organization, Site, User

from .attachments import validate_upload
from .models import RequestField, RequestType
from .values import SubmittedValues

SUMMARY_MAX = 255
TEXT_MAX = 32000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

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
                upload.detected_content_type = validate_upload(upload)
                cleaned.append(upload)
            except forms.ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


def _form_field(field: RequestField) -> forms.Field:
    rules = field.validation or {}
    common = {
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
        choices = [("", "—")] + [(c["value"], c.get(language_key) or c["label"]) for c in field.choices]
        return forms.ChoiceField(choices=choices, **common)
    if field.kind == RequestField.Kind.FILE:
        return MultipleFileField(**common)
    max_length = SUMMARY_MAX if field.key == RequestField.SUMMARY else rules.get("max_length", SUMMARY_MAX)
    return forms.CharField(max_length=max_length, min_length=rules.get("min_length"), **common)


def eligible_sites(*, user: User, request_type: RequestType):
    """Sites of the user's organisations that this request type is for."""
    organizations = Organization.objects.filter(memberships__user=user, is_active=True)
    if request_type.audience in (RequestType.Audience.PROVIDERS, RequestType.Audience.PAYERS):
        organizations = organizations.filter(kind=request_type.audience)
    return Site.objects.filter(organization__in=organizations).select_related("organization")


class RequestForm(forms.Form):
    """The submit form of one request type."""

    def __init__(self, *args, request_type: RequestType, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.user = user
        self.request_fields = list(request_type.fields.filter(archived=False))
        self.sites = list(eligible_sites(user=user, request_type=request_type))
        if len(self.sites) > 1:
            self.fields["site"] = forms.ModelChoiceField(
                queryset=Site.objects.filter(pk__in=[s.pk for s in self.sites]).select_related("organization"),
                label=gettext_lazy("Site"),
                help_text=gettext_lazy("The location this request is about."),
                empty_label="—",
            )
        for field in self.request_fields:
            self.fields[field.key] = _form_field(field)
        for form_field in self.fields.values():
            if form_field.required:
                form_field.widget.attrs["aria-required"] = "true"
            if isinstance(form_field, forms.CharField):
                form_field.strip = True

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for field in self.request_fields:
            value = cleaned.get(field.key)
            if field.kind == RequestField.Kind.DATE and value and (field.validation or {}).get("not_in_future"):
                if value > today:
                    self.add_error(field.key, _("This date cannot be in the future."))
        return cleaned

    @property
    def organization_and_site(self) -> tuple[Organization | None, Site | None]:
        site = self.cleaned_data.get("site") or (self.sites[0] if len(self.sites) == 1 else None)
        if site:
            return site.organization, site
        membership = self.user.memberships.select_related("organization").first()
        return (membership.organization if membership else None), None

    def submitted_values(self) -> SubmittedValues:
        data = self.cleaned_data
        fields, files = {}, {}
        for field in self.request_fields:
            if field.key in (RequestField.SUMMARY, RequestField.DESCRIPTION):
                continue
            value = data.get(field.key)
            if field.kind == RequestField.Kind.FILE:
                files[field.key] = value or []
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
