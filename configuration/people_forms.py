"""The people editor's forms."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import CanonicalEmailField
from accounts.identity import user_by_email
from accounts.models import Membership, Organization, Site
from tickets.models import Team


class OrganizationForm(forms.ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = ["name", "kind", "provider_id", "is_active"]
        labels = {"is_active": _("Active (its members see its requests)")}

    def clean_provider_id(self) -> str | None:
        return (self.cleaned_data.get("provider_id") or "").strip() or None


class SiteForm(forms.ModelForm[Site]):
    class Meta:
        model = Site
        fields = ["name", "address", "is_primary"]


class BaseSiteFormSet(forms.BaseInlineFormSet[Site, Organization, SiteForm]):
    def clean(self) -> None:
        super().clean()
        # _should_delete_form is Django's, missing from the stubs.
        kept = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]  # type: ignore[attr-defined]
        if kept and sum(bool(f.cleaned_data.get("is_primary")) for f in kept) != 1:
            raise forms.ValidationError(_("Mark exactly one site as the primary one."))


SiteFormSet = cast(  # the factory is typed as giving a plain BaseInlineFormSet
    type[BaseSiteFormSet],
    forms.inlineformset_factory(Organization, Site, form=SiteForm, formset=BaseSiteFormSet, extra=1, can_delete=True),
)


class MemberAddForm(forms.Form):
    email = CanonicalEmailField(label=_("E-mail address of the person"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.STAFF)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        self.person = user_by_email(address=email)
        if self.person is None:
            raise forms.ValidationError(_("Nobody has an account with this address yet."))
        return email


class SiteChoices(forms.ModelMultipleChoiceField[Site]):
    def label_from_instance(self, obj: Site) -> str:
        return obj.name


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    sites = SiteChoices(
        label=_("Sites"), queryset=Site.objects.none(), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(SiteChoices, self.fields["sites"]).queryset = organization.sites.all()


class TeamChoices(forms.ModelMultipleChoiceField[Team]):
    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.desk.display_name}: {obj.name} ({obj.get_tier_display()})"


class AgentTeamsForm(forms.Form):
    teams = TeamChoices(
        label=_("Teams (an agent works at the tier of their team on each desk)"),
        queryset=Team.objects.select_related("desk").order_by("desk__position", "tier", "name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, e-mail address or provider ID"), max_length=200, required=False)
