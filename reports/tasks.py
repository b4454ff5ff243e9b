from celery import shared_task
from django.conf import settings

from .facts import reports_refresh
from .warm import reports_warm


@shared_task
def refresh_reports() -> int:
    """Beat: bring the report tables up to date (reports/facts.py)."""
    # Within the task's time limit: a first build of a big database goes on in the next runs.
    refreshed = reports_refresh(budget_seconds=settings.REPORTS_REFRESH_BUDGET_SECONDS).tickets
    if settings.REPORTS_WARM_AFTER_REFRESH:
        reports_warm()  # the first agent after a refresh reads the default view from the cache
    return refreshed
