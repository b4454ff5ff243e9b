from typing import Any, cast
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User

from .models import DeliveryAttempt, Endpoint, Event
from .services import endpoint_rotate_secret, endpoint_save, webhook_redeliver

RECENT_ATTEMPTS = 20
LOG_FIELDS = ["endpoint", "event", "notification_id", "delivery_status", "attempt", "attempted_at", "duration_ms",
              "status_code", "succeeded", "error", "response_excerpt", "payload"]  # fmt: skip


class EndpointForm(forms.ModelForm[Endpoint]):
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "events", "scope", "desk", "organization", "is_active"]


def _secret_page(
    request: HttpRequest, endpoints_and_secrets: list[tuple[Endpoint, str]], back_url: str
) -> TemplateResponse:
    response = TemplateResponse(
        request,
        "admin/webhooks/endpoint/secret.html",
        {
            **admin.site.each_context(request),
            "title": _("Copy the signing secret now"),
            "secrets": endpoints_and_secrets,
            "back_url": back_url,
        },
    )
    response["Cache-Control"] = "no-store"  # the only copy of the secret the admin ever sees
    return response


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    form = EndpointForm
    list_display = ["name", "url", "scope", "events_list", "is_active", "secret_hint", "created_by", "created_at"]
    list_filter = ["is_active", "scope"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_hint", "created_by", "created_at", "recent_deliveries"]
    actions = ["rotate_secret", "deactivate", "activate"]

    @admin.display(description=_("Events"))
    def events_list(self, obj: Endpoint) -> str:
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(event, event)) for event in obj.events)

    @admin.display(description=_("Recent deliveries"))
    def recent_deliveries(self, obj: Endpoint) -> str:
        if obj.pk is None:
            return "-"
        attempts = obj.attempts.select_related("notification")[:RECENT_ATTEMPTS]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            (
                (a.attempted_at, a.event, a.notification_id, a.attempt, a.status_code or "-", a.duration_ms,
                 a.error or a.response_excerpt[:120])
                for a in attempts
            ),
        )  # fmt: skip
        log_url = reverse("admin:webhooks_deliveryattempt_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>'
            '</thead><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            _("Time"), _("Event"), _("Delivery id"), _("Attempt"), _("Status"), _("Duration"), _("Answer"),
            rows, log_url, _("The whole delivery log of this endpoint"),
        )  # fmt: skip

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        # An attribute of this request alone, read back in response_add.
        request._webhook_secret = endpoint_save(endpoint=obj, actor=cast(User, request.user))  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: Endpoint, post_url_continue: str | None = None) -> HttpResponse:
        secret = getattr(request, "_webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(request, [(obj, secret)], reverse("admin:webhooks_endpoint_change", args=[obj.pk]))

    @admin.action(description=_("Deactivate the selected endpoints"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        # An update, not a save: an endpoint whose host now resolves privately can still be stopped.
        count = queryset.update(is_active=False)
        self.message_user(
            request,
            ngettext("%(count)d endpoint deactivated.", "%(count)d endpoints deactivated.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Activate the selected endpoints"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        # Its address is checked again at every send: an endpoint refused there fails its deliveries.
        count = queryset.update(is_active=True)
        self.message_user(
            request,
            ngettext("%(count)d endpoint activated.", "%(count)d endpoints activated.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate the secret of the selected endpoints"), permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> TemplateResponse:
        secrets = [(endpoint, endpoint_rotate_secret(endpoint=endpoint)) for endpoint in queryset]
        return _secret_page(request, secrets, reverse("admin:webhooks_endpoint_changelist"))


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin[DeliveryAttempt]):
    list_display = ["attempted_at", "endpoint", "event", "notification_id", "attempt", "status_code", "succeeded",
                    "duration_ms", "error"]  # fmt: skip
    list_filter = ["endpoint", "succeeded", "event"]
    list_select_related = ["endpoint"]
    fields = tuple(LOG_FIELDS)
    readonly_fields = LOG_FIELDS
    actions = ["redeliver"]

    @admin.display(description=_("Delivery id"))
    def notification_id(self, obj: DeliveryAttempt) -> UUID:
        return obj.notification_id

    @admin.display(description=_("Delivery status"))
    def delivery_status(self, obj: DeliveryAttempt) -> str:
        notification = obj.notification
        return f"{notification.get_status_display()} ({notification.attempts})"

    @admin.display(description=_("Payload"))
    def payload(self, obj: DeliveryAttempt) -> str:
        return format_html("<pre>{}</pre>", obj.notification.body_text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DeliveryAttempt | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DeliveryAttempt | None = None) -> bool:
        return False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.change_endpoint")

    @admin.action(description=_("Redeliver the selected deliveries"), permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[DeliveryAttempt]) -> None:
        count = webhook_redeliver(delivery_ids=set(queryset.values_list("notification_id", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
