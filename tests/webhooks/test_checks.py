"""The webhooks' clocks must agree with the workers' (the outbox's check counts every channel)."""

from notifications.checks import check_outbox_timeouts
from webhooks.checks import check_webhook_timeout


def test_the_default_settings_pass_the_webhook_checks():
    assert check_webhook_timeout() == [] and check_outbox_timeouts() == []


def test_the_visibility_timeout_must_outlast_the_longest_retry_of_any_channel(settings):
    settings.CELERY_TASK_TIME_LIMIT = 90
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 60
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 7200
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    (error,) = check_outbox_timeouts()
    assert error.id == "notifications.E001" and "WEBHOOKS_RETRY_MAX_SECONDS" in error.msg
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7291}
    assert check_outbox_timeouts() == []


def test_a_delivery_must_fit_in_the_tasks_soft_time_limit(settings):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 20
    settings.WEBHOOKS_TIMEOUT_SECONDS = 10
    assert [e.id for e in check_webhook_timeout()] == ["webhooks.E001"]
    settings.WEBHOOKS_TIMEOUT_SECONDS = 9
    assert check_webhook_timeout() == []
