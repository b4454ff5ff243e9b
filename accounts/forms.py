from typing import cast

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from .identity import InvalidEmail, email_canonical
from .models import AGENT_CATEGORIES, NotificationCategory, User


class CanonicalEmailField(forms.EmailField):
    """An e-mail address, cleaned to its canonical form (accounts.identity); one that has none
    is refused with the same message as any invalid address."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return email_canonical(value)
        except InvalidEmail:
            raise forms.ValidationError(EmailValidator.message, code="invalid") from None


class EmailForm(forms.Form):
    email = CanonicalEmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SignupForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_full_name(self):
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please enter your full name."))
        return name

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            candidate = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(AuthenticationForm):
    username = CanonicalEmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the script that uses it."),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("A token acts as you: confirm it is you asking."),
    )


class ProfileForm(forms.ModelForm):
    emails = forms.MultipleChoiceField(
        label=_("E-mail me about"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You can also turn e-mails off for one request from its page."),
    )

    class Meta:
        model = User
        fields = ["full_name", "language"]

    def __init__(self, *args, agent: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        categories = [c for c in NotificationCategory if agent or c not in AGENT_CATEGORIES]
        cast(forms.MultipleChoiceField, self.fields["emails"]).choices = [(c.value, c.label) for c in categories]
        muted = set(self.instance.muted_notifications or [])
        self.fields["emails"].initial = [c.value for c in categories if c.value not in muted]
        self.offered = {c.value for c in categories}

    def save(self, commit=True):
        # Only what this form offered changes: an agent category stays as it was for a customer.
        kept = [c for c in (self.instance.muted_notifications or []) if c not in self.offered]
        wanted = set(self.cleaned_data["emails"])
        self.instance.muted_notifications = kept + sorted(self.offered - wanted)
        return super().save(commit=commit)


class SignInCheckedPasswordChangeForm(PasswordChangeForm):
    """Changing one's password: the old one is checked through authenticate(), so the sign-in
    limit (accounts.backends) counts and stops guesses here too (someone holding a stolen session
    must not be able to try passwords without limit)."""

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if authenticate(self.request, username=self.user.email, password=old_password) is None:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
