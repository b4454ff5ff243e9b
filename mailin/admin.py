from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_stubs_ext import StrOrPromise

from .models import InboundMessage, Mailbox
from .parsing import parse_mail
from .selectors import Health, mailbox_health, mailboxes_stalled
from .services import inbound_reprocess, mailbox_set_desk_reply_address
from .tasks import poll_mailbox


class MailboxForm(forms.ModelForm[Mailbox]):
    # Never sent back to the browser; left empty, the stored password stays.
    password = forms.CharField(
        label=_("password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "desk", "email_address", "enabled", "default_request_type", "unknown_senders",
            "host", "port", "security", "username", "password", "folder",
        ]  # fmt: skip

    def clean_password(self) -> str:
        password: str | None = self.cleaned_data.get("password")
        if not password:
            if self.instance.pk and self.instance.password:
                return self.instance.password
            raise forms.ValidationError(_("Enter the mailbox password."))
        return password


class HealthFilter(admin.SimpleListFilter):
    title = _("polling")
    parameter_name = "health"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, StrOrPromise]]:
        return [(Health.STALLED, Health.LABELS[Health.STALLED])]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == Health.STALLED:
            return queryset.filter(pk__in=mailboxes_stalled().values("pk"))
        return queryset


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = [
        "email_address", "desk", "enabled", "health", "last_polled_at", "last_success_at", "short_error",
    ]  # fmt: skip
    list_filter = [HealthFilter, "enabled", "desk"]
    readonly_fields = ["health", "last_polled_at", "last_success_at", "last_error_at", "last_error"]
    fieldsets = [
        (None, {"fields": ["desk", "email_address", "enabled", "default_request_type", "unknown_senders"]}),
        (_("IMAP server"), {"fields": ["host", "port", "security", "username", "password", "folder"]}),
        (_("Polling"), {"fields": tuple(readonly_fields)}),
    ]
    actions = ["poll_now"]

    @admin.display(description=_("status"))
    def health(self, obj: Mailbox | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        state = mailbox_health(mailbox=obj)
        colour = {Health.STALLED: "#b00020", Health.FAILING: "#8a5300", Health.OK: "#1b5e20"}.get(state, "#42526e")
        return format_html('<strong style="color:{}">{}</strong>', colour, Health.LABELS[state])

    @admin.display(description=_("last error"))
    def short_error(self, obj: Mailbox) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        stalled = list(mailboxes_stalled())
        if stalled:
            self.message_user(
                request,
                ngettext(
                    "Polling has stopped for %(count)d mailbox: %(names)s.",
                    "Polling has stopped for %(count)d mailboxes: %(names)s.",
                    len(stalled),
                )
                % {"count": len(stalled), "names": ", ".join(str(m) for m in stalled)},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if mailbox_set_desk_reply_address(mailbox=obj):
            self.message_user(
                request,
                _("E-mail about %(desk)s's requests now asks customers to reply to %(address)s.")
                % {"desk": obj.desk, "address": obj.email_address},
                messages.INFO,
            )

    @admin.action(description=_("Poll the selected mailboxes now"), permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        for mailbox in queryset.filter(enabled=True):
            poll_mailbox.delay(mailbox.pk)
        self.message_user(request, _("Polling queued."), messages.SUCCESS)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin[InboundMessage]):
    list_display = ["received_at", "mailbox", "from_email", "subject", "status", "outcome", "ticket", "short_reason"]
    list_filter = ["status", "outcome", "mailbox"]
    search_fields = ["from_email", "subject", "message_id", "ticket__reference"]
    list_select_related = ["mailbox__desk", "ticket"]
    fields = readonly_fields = (
        "received_at", "mailbox", "message_id", "from_email", "from_name", "subject", "status", "outcome",
        "reason", "ticket", "attempts", "processed_at", "size", "headers_only", "raw_download", "text",
    )  # fmt: skip
    actions = ["reprocess"]

    @admin.display(description=_("reason"))
    def short_reason(self, obj: InboundMessage) -> str:
        return (obj.reason[:80] + "…") if len(obj.reason) > 80 else obj.reason

    @admin.display(description=_("raw mail"))
    def raw_download(self, obj: InboundMessage) -> str:
        if not obj.pk or not obj.raw:
            return "—"
        url = reverse("admin:mailin_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download (.eml)"))

    @admin.display(description=_("text"))
    def text(self, obj: InboundMessage) -> StrOrPromise:
        try:
            with obj.raw.open("rb") as stored:
                parsed = parse_mail(stored.read())
        except (OSError, ValueError) as error:
            return _("The stored mail cannot be read: %(error)s") % {"error": error}
        # Escaped by format_html: mail text is never trusted markup.
        return format_html('<pre style="white-space:pre-wrap;max-width:60em">{}</pre>', parsed.text[:20000])

    def get_urls(self) -> list[URLPattern]:
        raw = self.admin_site.admin_view(self.raw_view)
        return [path("<int:pk>/raw/", raw, name="mailin_inboundmessage_raw"), *super().get_urls()]

    def raw_view(self, request: HttpRequest, pk: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise Http404
        message = get_object_or_404(InboundMessage, pk=pk)
        # Served as a download, never rendered: the content is whatever the sender wrote.
        stored = message.raw.open("rb")
        return FileResponse(
            stored, as_attachment=True, filename=f"mail-{pk}.eml", content_type="application/octet-stream"
        )

    @admin.action(description=_("Process the selected held or failed mail again"), permissions=["change"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        counts = inbound_reprocess(message_ids=queryset.values_list("pk", flat=True))
        labels = dict(InboundMessage.Status.choices)
        summary = ", ".join(f"{labels[status]}: {count}" for status, count in counts.items()) or _("nothing to do")
        self.message_user(request, _("Processed again — %(summary)s.") % {"summary": summary}, messages.INFO)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: InboundMessage | None = None) -> bool:
        # Kept mail is never edited (each row is read-only); the change permission on the model
        # is what the "process again" action requires.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: InboundMessage | None = None) -> bool:
        # Kept mail is the record of what arrived; nothing here drops it.
        return False
