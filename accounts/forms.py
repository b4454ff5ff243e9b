from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.services import notification_create

from .models import AGENT_CATEGORIES, NotificationCategory, User


class EmailForm(forms.Form):
    email = forms.EmailField(
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
    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the e-mail going through the outbox."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        url = settings.SITE_URL + reverse(
            "accounts:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        notification_create(
            kind="password_reset",
            to_email=to_email,
            language=user.language,
            template="password_reset",
            context={"name": user.full_name, "url": url},
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
        self.fields["emails"].choices = [(c.value, c.label) for c in categories]
        muted = set(self.instance.muted_notifications or [])
        self.fields["emails"].initial = [c.value for c in categories if c.value not in muted]
        self.offered = {c.value for c in categories}

    def save(self, commit=True):
        # Only what this form offered changes: an agent category stays as it was for a customer.
        kept = [c for c in (self.instance.muted_notifications or []) if c not in self.offered]
        wanted = set(self.cleaned_data["emails"])
        self.instance.muted_notifications = kept + sorted(self.offered - wanted)
        return super().save(commit=commit)
