"""Settings that must agree with each other, or a message is sent twice or waits an hour."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

# kombu's Redis transport uses this when CELERY_BROKER_TRANSPORT_OPTIONS gives none.
KOMBU_DEFAULT_VISIBILITY_TIMEOUT = 3600


@register()
def check_outbox_timeouts(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    visibility = options.get("visibility_timeout", KOMBU_DEFAULT_VISIBILITY_TIMEOUT)
    time_limit = settings.CELERY_TASK_TIME_LIMIT or 0
    longest = settings.NOTIFICATION_RETRY_MAX_SECONDS + time_limit
    if visibility <= longest:
        errors.append(
            Error(
                f"CELERY_BROKER_TRANSPORT_OPTIONS visibility_timeout ({visibility} s) must be longer than "
                f"NOTIFICATION_RETRY_MAX_SECONDS + CELERY_TASK_TIME_LIMIT ({longest:g} s).",
                hint="A retry waiting for its countdown is held unacknowledged by a worker; past the visibility "
                "timeout Redis hands it to another worker as well. Raise CELERY_VISIBILITY_TIMEOUT.",
                id="notifications.E001",
            )
        )
    if time_limit and settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS <= time_limit:
        errors.append(
            Error(
                f"NOTIFICATION_CLAIM_TIMEOUT_SECONDS ({settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS} s) must be longer "
                f"than CELERY_TASK_TIME_LIMIT ({time_limit} s).",
                hint="Otherwise a message still being sent can be claimed and sent again.",
                id="notifications.E002",
            )
        )
    return errors


@register()
def check_site_url(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    if settings.SITE_URL or settings.DEBUG:
        return []
    return [
        Warning(
            "SITE_URL is not set: links in e-mail will point to http://127.0.0.1:8000.",
            hint="Set SITE_URL to the address people open the help desk at, e.g. https://help.example.org.",
            id="notifications.W001",
        )
    ]
