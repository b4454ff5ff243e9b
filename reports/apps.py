from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The satisfaction survey hangs from the lifecycle's resolution (tickets/events.py).
        from tickets.events import ticket_resolved

        from .csat import survey_on_resolution

        ticket_resolved.connect(survey_on_resolution, weak=False, dispatch_uid="reports.csat")
