from django.contrib import admin, messages

from .models import Notification
from .services import notification_retry_failed


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_email", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject", "message_id"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry the selected failed messages")
    def retry(self, request, queryset):
        count = notification_retry_failed(notification_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False
