from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications (outbox)"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
        from .channels import EMAIL, channel_register
        from .services import email_send

        channel_register(name=EMAIL, send=email_send, settings_prefix="NOTIFICATION")
