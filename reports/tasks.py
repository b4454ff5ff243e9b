from celery import shared_task
from django.conf import settings

from .facts import reports_refresh


@shared_task
def refresh_reports() -> int:
    """Beat: bring the report tables up to date (reports/facts.py)."""
    # Within the task's time limit: a first build of a big database goes on in the next runs.
    return reports_refresh(budget_seconds=settings.REPORTS_REFRESH_BUDGET_SECONDS).tickets
