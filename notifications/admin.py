from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Notification
from .services import notification_retry_failed


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["created_at", "kind", "to_email", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject", "message_id"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry"]
    CONFIDENTIAL = ("body_text", "body_html")

    def get_fields(self, request: HttpRequest, obj: Notification | None = None) -> tuple[str, ...]:
        fields = [f.name for f in Notification._meta.fields]
        if obj is not None and obj.confidential:
            # A reset or sign-up link in the body would let whoever reads it take the account.
            fields = [f for f in fields if f not in self.CONFIDENTIAL] + ["body_withheld"]
        return tuple(fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Notification | None = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    @admin.display(description="Body")
    def body_withheld(self, obj: Notification) -> str:
        return "Not shown: it carries a link that signs the recipient in."

    @admin.action(description="Retry the selected failed messages", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = notification_retry_failed(notification_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
