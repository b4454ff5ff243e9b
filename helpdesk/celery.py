import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def refuse_inconsistent_outbox_settings(**kwargs):
    """System checks do not run in a worker, where the outbox's timeout checks matter most.

    Celery logs and ignores exceptions from signal handlers, so this exits instead.
    """
    from notifications.checks import check_outbox_timeouts

    errors = check_outbox_timeouts()
    if errors:
        raise SystemExit("worker refuses to start: " + "; ".join(f"{e.id}: {e.msg}" for e in errors))
