"""The catalogue editor's forms. Texts stored per language are edited side by side: each form
lists its (English, Spanish) pairs in `pairs`, which the template shows next to each other."""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from tickets.models import RequestField, RequestType, RequestTypeGroup, ServiceDesk, Team


class BilingualMixin:
    """`pairs`: (English field, Spanish field) names shown side by side; the rest one by one."""

    pairs: tuple[tuple[str, str], ...] = ()

    if TYPE_CHECKING:  # what the form it is mixed into provides
        fields: dict[str, forms.Field]

        def __getitem__(self, name: str) -> BoundField: ...

    def bilingual_rows(self) -> list[tuple[BoundField, BoundField]]:
        return [(self[en], self[es]) for en, es in self.pairs]

    def single_fields(self) -> list[BoundField]:
        paired = {name for pair in self.pairs for name in pair}
        return [self[name] for name in self.fields if name not in paired]


def _text(
    label: StrOrPromise, *, long: bool = False, required: bool = False, max_length: int | None = None
) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 3}) if long else forms.TextInput
    return forms.CharField(label=label, required=required, widget=widget, max_length=max_length)


def _key_field(help_text: StrOrPromise | None = None) -> forms.SlugField:
    default = _("Lower-case letters, digits and hyphens; used in addresses and in the catalogue file.")
    return forms.SlugField(label=_("Key"), max_length=64, help_text=help_text or default)


class TeamChoiceField(forms.ModelChoiceField[Team]):
    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.name} ({obj.get_tier_display()})"


KEY_MESSAGE = _("Use upper-case letters and digits, starting with a letter.")


class GroupChoiceField(forms.ModelChoiceField[RequestTypeGroup]):
    def label_from_instance(self, obj: RequestTypeGroup) -> str:
        return obj.display_name


class DeskCreateForm(BilingualMixin, forms.Form):
    key = forms.CharField(
        label=_("Reference key"), max_length=10,
        help_text=_("Upper-case letters used in references, e.g. CSD."),
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{0,9}$", KEY_MESSAGE)],
    )  # fmt: skip
    slug = forms.SlugField(label=_("Address name"), max_length=50, help_text=_("Used in the portal's address."))
    name = _text(_("Name (English)"), required=True, max_length=120)
    name_es = _text(_("Name (Spanish)"), max_length=120)
    pairs = (("name", "name_es"),)

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if ServiceDesk.objects.filter(key=key).exists():
            raise forms.ValidationError(_("Another desk uses this key."))
        return key

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if ServiceDesk.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another desk uses this address name."))
        return slug


class DeskForm(BilingualMixin, forms.ModelForm[ServiceDesk]):
    class Meta:
        model = ServiceDesk
        fields = [
            "name",
            "name_es",
            "description",
            "description_es",
            "email_address",
            "calendar",
            "is_active",
            "csat_enabled",
        ]
        labels = {
            "name": _("Name (English)"),
            "name_es": _("Name (Spanish)"),
            "description": _("Description (English)"),
            "description_es": _("Description (Spanish)"),
            "email_address": _("Desk mailbox"),
            "is_active": _("Shown on the portal"),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_es": forms.Textarea(attrs={"rows": 3}),
        }

    pairs = (("name", "name_es"), ("description", "description_es"))


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=120)
    tier = forms.TypedChoiceField(label=_("Tier"), choices=Team.Tier.choices, coerce=int)

    def __init__(self, *args: Any, desk: ServiceDesk, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.desk = desk

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if self.desk.teams.filter(name=name).exists():
            raise forms.ValidationError(_("This desk already has a team with this name."))
        return name


class GroupForm(BilingualMixin, forms.Form):
    key = _key_field()
    name = _text(_("Name (English)"), required=True, max_length=120)
    name_es = _text(_("Name (Spanish)"), max_length=120)
    pairs = (("name", "name_es"),)

    def __init__(self, *args: Any, desk: ServiceDesk, group: RequestTypeGroup | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.desk, self.group = desk, group

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        # exclude(pk=None) excludes nothing, which is meant here; the plugin refuses a None lookup.
        taken = self.desk.groups.filter(key=key).exclude(pk=self.group.pk if self.group else None)  # type: ignore[misc]
        if taken.exists():
            raise forms.ValidationError(_("Another group of this desk uses this key."))
        return key


class RequestTypeCreateForm(BilingualMixin, forms.Form):
    group = GroupChoiceField(label=_("Contact us about (group)"), queryset=RequestTypeGroup.objects.none())
    key = _key_field()
    name = _text(_("Name (English)"), required=True, max_length=160)
    name_es = _text(_("Name (Spanish)"), max_length=160)
    default_team = TeamChoiceField(label=_("Default team"), queryset=Team.objects.none())
    pairs = (("name", "name_es"),)

    def __init__(self, *args: Any, desk: ServiceDesk, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.desk = desk
        cast(GroupChoiceField, self.fields["group"]).queryset = desk.groups.all()
        cast(TeamChoiceField, self.fields["default_team"]).queryset = desk.teams.all()
        self.fields["default_team"].initial = desk.teams.filter(tier=Team.Tier.TIER_1).first()

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if self.desk.request_types.filter(key=key).exists():
            raise forms.ValidationError(_("Another request type of this desk uses this key."))
        return key


# Flags other parts of the product add to request types (the reports' "Other" catch-all), edited
# here once the model has them.
OPTIONAL_TYPE_FLAGS = [name for name in ("is_catch_all",) if name in {f.name for f in RequestType._meta.get_fields()}]


class RequestTypeForm(BilingualMixin, forms.ModelForm[RequestType]):
    """Everything about a type but its fields (edited on their own) and its desk."""

    class Meta:
        model = RequestType
        fields = [
            "name", "name_es", "summary", "summary_es", "meaning", "meaning_es", "when_to_use", "when_to_use_es",
            "group", "key", "audience", "needs_approval", "approval_adds_membership", "default_team",
            "escalation_team", "sla_first_response_minutes", "sla_resolution_minutes", "offboards_member", "is_active",
        ] + OPTIONAL_TYPE_FLAGS  # fmt: skip
        labels = {
            "name": _("Name (English)"),
            "name_es": _("Name (Spanish)"),
            "summary": _("One-line help (English)"),
            "summary_es": _("One-line help (Spanish)"),
            "meaning": _("What it means (English)"),
            "meaning_es": _("What it means (Spanish)"),
            "when_to_use": _("When to use it (English)"),
            "when_to_use_es": _("When to use it (Spanish)"),
            "group": _("Contact us about (group)"),
            "audience": _("Who may ask for it"),
            "needs_approval": _("Needs approval by the organisation"),
            "approval_adds_membership": _("Approval adds the requester to the organisation"),
            "default_team": _("Default team (and tier)"),
            "escalation_team": _("Escalation team"),
            "sla_first_response_minutes": _("First response target (business minutes)"),
            "sla_resolution_minutes": _("Resolution target (business minutes)"),
            "offboards_member": _("Offboarding: offer to deactivate the member it names"),
            "is_active": _("Active: offered for new requests"),
        }
        help_texts = {
            "sla_first_response_minutes": _("For example 240 for four business hours; empty: no target."),
            "sla_resolution_minutes": _("For example 2880 for six business days of eight hours; empty: no target."),
            "is_active": _("An inactive type is hidden from new requests; its requests stay readable."),
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("meaning", "meaning_es", "when_to_use", "when_to_use_es")
        }
        field_classes = {"default_team": TeamChoiceField, "escalation_team": TeamChoiceField, "group": GroupChoiceField}

    pairs = (
        ("name", "name_es"),
        ("summary", "summary_es"),
        ("meaning", "meaning_es"),
        ("when_to_use", "when_to_use_es"),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        desk = self.instance.desk
        cast(GroupChoiceField, self.fields["group"]).queryset = desk.groups.all()
        cast(TeamChoiceField, self.fields["default_team"]).queryset = desk.teams.all()
        cast(TeamChoiceField, self.fields["escalation_team"]).queryset = desk.teams.all()
        self.fields["key"].help_text = _("Used in the portal's address of the form and in the catalogue file.")

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if self.instance.desk.request_types.filter(key=key).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another request type of this desk uses this key."))
        return key


KIND_CHOICES = RequestField.Kind.choices


class FieldAddForm(BilingualMixin, forms.Form):
    key = _key_field(_("Lower-case letters, digits, hyphens or underscores; it names the value for good."))
    kind = forms.ChoiceField(label=_("Kind of value"), choices=KIND_CHOICES)
    name = _text(_("Label (English)"), required=True, max_length=160)
    name_es = _text(_("Label (Spanish)"), max_length=160)
    required = forms.BooleanField(label=_("Required"), required=False)
    pairs = (("name", "name_es"),)


class FieldForm(BilingualMixin, forms.Form):
    """A field's settings; its choices are a formset beside it (ChoiceFormSet)."""

    key = _key_field(_("It names the value in every request: it cannot change once requests hold values."))
    kind = forms.ChoiceField(label=_("Kind of value"), choices=KIND_CHOICES)
    name = _text(_("Label (English)"), required=True, max_length=160)
    name_es = _text(_("Label (Spanish)"), max_length=160)
    help_text = _text(_("Help text (English)"), long=True)
    help_text_es = _text(_("Help text (Spanish)"), long=True)
    required = forms.BooleanField(label=_("Required"), required=False)
    sensitive = forms.BooleanField(
        label=_("Sensitive (personal data)"), required=False,
        help_text=_("Hidden from Tier I, stored apart, every view audited. Changing it moves the stored values."),
    )  # fmt: skip
    min_length = forms.IntegerField(label=_("Minimum length"), required=False, min_value=0, max_value=32000)
    max_length = forms.IntegerField(label=_("Maximum length"), required=False, min_value=1, max_value=32000)
    min = forms.IntegerField(label=_("Smallest number"), required=False)
    max = forms.IntegerField(label=_("Largest number"), required=False)
    not_in_future = forms.BooleanField(label=_("Date cannot be in the future"), required=False)
    pairs = (("name", "name_es"), ("help_text", "help_text_es"))
    RULES = ("min_length", "max_length", "min", "max", "not_in_future")

    @classmethod
    def initial_for(cls, field: RequestField) -> dict[str, Any]:
        rules = field.validation or {}
        return {
            **{name: getattr(field, name) for name in ("key", "kind", "name", "name_es", "help_text", "help_text_es")},
            "required": field.required,
            "sensitive": field.sensitive,
            **{rule: rules.get(rule) for rule in cls.RULES},
        }

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean gives cleaned_data
        low, high = cleaned.get("min_length"), cleaned.get("max_length")
        if low is not None and high is not None and low > high:
            self.add_error("max_length", _("The maximum length must not be below the minimum."))
        if cleaned.get("min") is not None and cleaned.get("max") is not None and cleaned["min"] > cleaned["max"]:
            self.add_error("max", _("The largest number must not be below the smallest."))
        return cleaned

    def changes(self) -> dict[str, Any]:
        """The cleaned values in the model's shape (validation rules as one dict)."""
        data = self.cleaned_data
        rules = {rule: data[rule] for rule in self.RULES if data.get(rule) not in (None, False)}
        return {
            **{name: data[name] for name in ("key", "kind", "name", "name_es", "help_text", "help_text_es")},
            "required": data["required"],
            "validation": rules,
        }


class ChoiceForm(forms.Form):
    value = forms.SlugField(label=_("Stored value"), max_length=64)
    label = forms.CharField(label=_("Label (English)"), max_length=160)
    label_es = forms.CharField(label=_("Label (Spanish)"), max_length=160, required=False)


class BaseChoiceFormSet(forms.BaseFormSet[ChoiceForm]):
    def clean(self) -> None:
        values = [
            f.cleaned_data["value"]
            for f in self.forms
            if f.cleaned_data and not self._should_delete_form(f)  # type: ignore[attr-defined]
        ]
        if len(values) != len(set(values)):
            raise forms.ValidationError(_("Two choices have the same stored value."))

    def choices(self) -> list[dict[str, Any]]:
        return [
            {key: f.cleaned_data[key] for key in ("value", "label", "label_es") if f.cleaned_data.get(key)}
            for f in self.forms
            if f.cleaned_data and not self._should_delete_form(f)  # type: ignore[attr-defined]
        ]


ChoiceFormSet = cast(  # the factory is typed as giving a plain BaseFormSet
    type[BaseChoiceFormSet],
    forms.formset_factory(ChoiceForm, formset=BaseChoiceFormSet, extra=1, can_delete=True, max_num=200),
)


def choice_initial(field: RequestField) -> list[dict[str, Any]]:
    """The choices offered today (retired ones are kept by the service, not edited)."""
    return [
        {"value": c.get("value"), "label": c.get("label"), "label_es": c.get("label_es", "")}
        for c in field.choices or []
        if not c.get("archived")
    ]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Catalogue file (YAML or JSON)"))
    dry_run = forms.BooleanField(label=_("Only show what would change"), required=False, initial=True)
