from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from notifications.channels import channel_register
        from tickets.events import ticket_event_subscribe

        from . import checks  # noqa: F401 - registers the system checks
        from .delivery import webhook_send
        from .events import webhooks_on_ticket_event
        from .models import CHANNEL

        channel_register(name=CHANNEL, send=webhook_send, settings_prefix="WEBHOOKS")
        ticket_event_subscribe(webhooks_on_ticket_event)
