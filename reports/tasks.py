from celery import shared_task

from .facts import reports_refresh


@shared_task
def refresh_reports() -> int:
    """Beat: bring the report tables up to date (reports/facts.py)."""
    return reports_refresh().tickets
