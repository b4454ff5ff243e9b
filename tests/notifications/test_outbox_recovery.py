"""The outbox's recovery paths, in-process: the last try, the admin's retry, the sweep's batches
and bookkeeping, the publish pause, and the settings checks. The same paths with real processes
failing are in tests/fault/test_faults.py."""

import signal
import time
from datetime import timedelta

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.checks import check_outbox_timeouts
from notifications.models import Notification
from notifications.services import notification_deliver, notification_publish, notification_sweep, retry_delay


def _row(message_id, *, age=timedelta(hours=1), **fields):
    row = Notification.objects.create(
        kind="x", to_email="someone@example.org", subject="S", body_text="B", message_id=message_id, **fields
    )
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


# --- The last try and the admin's retry -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_marks_the_row_failed_after_the_last_try_and_the_admin_can_retry_it(client, settings, smtp, superuser):
    from tests.conftest import free_port

    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    good_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()  # nothing listens there
    row = _row("<last-try@helpdesk.local>")
    assert notification_deliver(notification_id=str(row.pk)).retry_in is not None
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)  # its retry is due
    outcome = notification_deliver(notification_id=str(row.pk))
    row.refresh_from_db()
    assert (outcome.sent, outcome.retry_in) == (False, None)
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 2)
    assert "Connection refused" in row.last_error

    client.force_login(superuser)
    changelist = reverse("admin:notifications_notification_changelist")
    page = client.get(changelist, {"status__exact": "failed"})
    assert page.status_code == 200
    assert "someone@example.org" in page.content.decode()
    assert "Retry the selected failed messages" in page.content.decode()

    settings.EMAIL_PORT = good_port
    response = client.post(changelist, {"action": "retry", "_selected_action": [str(row.pk)]}, follow=True)
    assert "1 message(s) queued again." in response.content.decode()
    (message,) = smtp.wait_for(1)
    assert message["Message-ID"].strip() == "<last-try@helpdesk.local>"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 1)


def test_the_retry_delay_doubles_with_jitter_up_to_the_cap(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 1800
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (6, 960), (7, 1800), (20, 1800)]:
        delays = [retry_delay(attempts) for _ in range(200)]
        assert all(0.5 * ceiling <= d <= ceiling for d in delays), attempts
        assert len(set(delays)) > 1  # jittered, so retries of many messages spread out


# --- The sweep --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_recently_queued_rows_alone(settings, smtp):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 60
    _row("<queued-just-now@helpdesk.local>", queued_at=timezone.now())  # its task is in the queue
    _row("<queued-long-ago@helpdesk.local>", queued_at=timezone.now() - timedelta(minutes=5))  # task lost
    _row("<never-queued@helpdesk.local>")  # publish failed
    _row("<too-young@helpdesk.local>", age=timedelta(seconds=1))  # its publish may be under way
    assert notification_sweep() == 2
    sent = {m["Message-ID"].strip() for m in smtp.wait_for(2)}
    assert sent == {"<queued-long-ago@helpdesk.local>", "<never-queued@helpdesk.local>"}


@pytest.mark.django_db(transaction=True)
def test_the_sweep_works_through_a_backlog_in_batches(settings, smtp):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 0
    for n in range(7):
        _row(f"<backlog-{n}@helpdesk.local>")
    assert notification_sweep(limit=3) == 7
    assert len(smtp.wait_for(7)) == 7
    assert not Notification.objects.exclude(status=Notification.Status.SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_the_sweep_re_queues_a_row_whose_sender_died_after_the_claim_timeout(settings, smtp):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 0
    settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS = 300
    now = timezone.now()
    _row("<fresh-claim@helpdesk.local>", status=Notification.Status.SENDING, claimed_at=now, attempts=1)
    stale = _row("<dead-sender@helpdesk.local>", status=Notification.Status.SENDING,
                 claimed_at=now - timedelta(minutes=6), attempts=1)  # fmt: skip
    assert notification_sweep() == 1
    (message,) = smtp.wait_for(1)
    assert message["Message-ID"].strip() == "<dead-sender@helpdesk.local>"
    stale.refresh_from_db()
    assert (stale.status, stale.attempts) == (Notification.Status.SENT, 2)


# --- Publishing -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_publish_pause():
    """The publish pause is per process: no test inherits one from another."""
    services._publish_paused_until = 0.0
    yield
    services._publish_paused_until = 0.0


def _point_celery_at(url: str, *, close_current: bool = False) -> None:
    """Publish to another broker: Celery keeps one connection pool per broker URL (kombu's
    registry), so dropping the app's references is enough; the old pool stays usable."""
    from helpdesk.celery import app

    if close_current:
        app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def hung_broker(settings):
    """The app publishes to a private redis-server that hangs (SIGSTOP): it accepts the
    connection and never answers, the worst case for a page that publishes."""
    from helpdesk.celery import app
    from tests.conftest import require
    from tests.stack import RedisServer, missing_binaries

    require(not missing_binaries(), "redis-server missing")
    server = RedisServer().start()
    saved = app.conf.broker_url, app.conf.task_always_eager
    _point_celery_at(server.url())
    app.conf.task_always_eager = False
    settings.NOTIFICATION_PUBLISH_PAUSE_SECONDS = 60
    server.process.signal_group(signal.SIGSTOP)
    try:
        yield server
    finally:
        server.process.signal_group(signal.SIGCONT)
        _point_celery_at(saved[0], close_current=True)
        app.conf.task_always_eager = saved[1]
        server.close()


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_publishing_notes_the_time_it_handed_the_row_to_the_broker(smtp):
    row = _row("<noted@helpdesk.local>")
    before = timezone.now()
    assert notification_publish(notification_id=str(row.pk)) is True
    row.refresh_from_db()
    assert before <= row.queued_at <= timezone.now()


@pytest.mark.django_db(transaction=True)
def test_after_a_failed_publish_the_process_leaves_messages_to_the_sweep_for_a_while(hung_broker):
    first, second = _row("<first@helpdesk.local>"), _row("<second@helpdesk.local>")
    published, waited = _timed(lambda: notification_publish(notification_id=str(first.pk)))
    assert published is False and 0.3 < waited < 3  # one socket timeout, then it gives up
    published, waited = _timed(lambda: notification_publish(notification_id=str(second.pk)))
    assert published is False and waited < 0.2  # did not wait for the broker again
    assert Notification.objects.filter(queued_at__isnull=True).count() == 2
    services._publish_paused_until = 0.0  # the pause is over: it tries the broker again
    published, waited = _timed(lambda: notification_publish(notification_id=str(second.pk)))
    assert published is False and waited > 0.3


@pytest.mark.django_db(transaction=True)
def test_the_sweep_stops_at_the_first_refused_publish(hung_broker, settings):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 0
    for n in range(5):
        _row(f"<refused-{n}@helpdesk.local>")
    swept, waited = _timed(notification_sweep)
    assert swept == 0 and waited < 3  # one timeout, not five
    assert Notification.objects.filter(queued_at__isnull=True).count() == 5


# --- Settings checks --------------------------------------------------------------------------


def test_the_default_settings_pass_the_outbox_checks():
    assert check_outbox_timeouts() == []


@pytest.mark.parametrize("visibility", [1890, 60])
def test_it_refuses_a_visibility_timeout_not_longer_than_the_longest_countdown_plus_the_time_limit(
    settings, visibility
):
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 1800
    settings.CELERY_TASK_TIME_LIMIT = 90
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                                                "visibility_timeout": visibility}  # fmt: skip
    (error,) = check_outbox_timeouts()
    assert isinstance(error, Error) and error.id == "notifications.E001"
    with pytest.raises(SystemCheckError, match="notifications.E001"):
        call_command("check")
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                                                "visibility_timeout": 1891}  # fmt: skip
    assert check_outbox_timeouts() == []


def test_it_checks_kombus_default_visibility_timeout_when_none_is_set(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    assert [e.id for e in check_outbox_timeouts()] == ["notifications.E001"]


def test_it_refuses_a_claim_timeout_not_longer_than_the_task_time_limit(settings):
    settings.CELERY_TASK_TIME_LIMIT = 90
    settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS = 90
    assert [e.id for e in check_outbox_timeouts()] == ["notifications.E002"]


def test_a_worker_refuses_to_start_with_a_visibility_timeout_shorter_than_a_retry(tmp_path):
    import subprocess
    import sys

    from tests.stack import ROOT, app_env

    env = app_env(database_url="sqlite://:memory:", redis_url="redis://127.0.0.1:1/0", smtp_port=1,
                  var_dir=tmp_path / "var", static_root=tmp_path / "static", clocks={},
                  extra={"CELERY_VISIBILITY_TIMEOUT": "600"})  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-P", "solo"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert "worker refuses to start: notifications.E001" in result.stderr
