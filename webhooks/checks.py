"""Settings of the webhooks that must agree with the workers' time limits."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_webhook_timeout(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # One delivery takes at most about twice the timeout (connect, then the answer); the task's
    # soft limit must leave room for it and for logging the attempt.
    soft_limit = settings.CELERY_TASK_SOFT_TIME_LIMIT or 0
    if soft_limit and settings.WEBHOOKS_TIMEOUT_SECONDS * 2 >= soft_limit:
        return [
            Error(
                f"WEBHOOKS_TIMEOUT_SECONDS ({settings.WEBHOOKS_TIMEOUT_SECONDS:g} s) must be less than half of "
                f"CELERY_TASK_SOFT_TIME_LIMIT ({soft_limit} s).",
                hint="Otherwise a slow receiver makes the worker kill the delivery half-way.",
                id="webhooks.E001",
            )
        ]
    return []
