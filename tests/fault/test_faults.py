"""Every message the help desk owes is delivered once, whatever fails: Redis, a worker, the mail
server or PostgreSQL. Real processes (tests/stack.py); each test counts what the SMTP server
accepted against the outbox rows.

"Once" means at-least-once sending with an idempotent claim and a stable Message-ID: the only
duplicate allowed is a crash between the server's 250 and the row being marked sent, and it
carries the same Message-ID (test_it_resends_with_the_same_message_id_after_a_kill_past_acceptance).
"""

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.conftest import require
from tests.stack import (
    RedisServer,
    SmtpRecorder,
    Stack,
    audit,
    load_user,
    missing_binaries,
    wait_until,
)

pytestmark = pytest.mark.fault
# Users in the template database (tests/fault/conftest.py: template).
TEMPLATE_USERS = 20

# Pages must answer normally while Redis is down: the brief is "within about 1-2 s".
PAGE_LATENCY_LIMIT = 2.0


@pytest.fixture
def stack(template):
    stack = Stack(template.cluster, template)
    try:
        yield stack
    finally:
        # Shown by pytest only when the test failed.
        print(stack.logs())
        stack.close()


def signed_in(stack, count):
    browsers = []
    for number in range(count):
        browser = stack.browser()
        browser.sign_in(load_user(number))
        browsers.append(browser)
    return browsers


def submit_all(browsers, per_browser, label):
    """Each browser submits `per_browser` requests, the browsers in parallel; returns responses."""

    def run(index, browser):
        return [browser.submit(f"{label} {index}-{n}") for n in range(per_browser)]

    with ThreadPoolExecutor(len(browsers)) as pool:
        return [r for batch in pool.map(run, range(len(browsers)), browsers) for r in batch]


def assert_each_sent_once(stack, rows, *, settle=3.0):
    """Wait a few sweeps more, then: nothing lost, nothing sent twice, nothing unknown."""
    time.sleep(settle)
    rows = stack.rows() if rows is None else rows
    result = audit(stack.rows(), stack.smtp.deliveries())
    assert result["lost"] == [], result
    assert result["duplicated"] == {}, result
    assert result["unknown"] == [], result
    return result


# --- Redis ------------------------------------------------------------------------------------


def test_it_keeps_every_request_and_mails_each_once_while_redis_is_down(stack):
    stack.start_web(workers=2)
    stack.start_worker()
    # Two beats, as if started twice by mistake: the sweep's lock and the claim keep it at once.
    stack.start_beat()
    stack.start_beat()

    stack.redis.stop()
    started = time.monotonic()
    browsers = signed_in(stack, 5)  # the sign-in rate limit lives in Redis: it fails open
    sign_in_seconds = time.monotonic() - started
    responses = submit_all(browsers, 10, "Redis down")
    health = browsers[0].get("/healthz")
    listing = browsers[0].get("/requests/")

    assert sign_in_seconds / 5 < PAGE_LATENCY_LIMIT
    assert [r.status for r in responses] == [302] * 50, [r.body[:300] for r in responses if r.status != 302]
    assert all(r.location.startswith("/requests/") for r in responses)
    latencies = [r.elapsed for r in responses]
    assert max(latencies) < PAGE_LATENCY_LIMIT, latencies
    assert statistics.median(latencies) < 0.5, latencies
    assert (health.status, listing.status) == (200, 200)
    assert '"broker": "down"' in health.body

    rows = stack.rows()
    assert len(stack.references()) == 50
    assert len(rows) == 50
    assert {r.status for r in rows} == {"pending"}
    assert all(r.queued_at is None for r in rows)  # no publish made it: the sweep's job
    assert stack.smtp.deliveries() == []

    stack.redis.start()  # empty, as after a crash: nothing queued survived
    stack.smtp.wait_for(50, timeout=45)
    rows = stack.wait_all_sent(50, timeout=20)
    result = assert_each_sent_once(stack, rows)
    assert result["accepted"] == 50
    by_reference = {d.reference for d in stack.smtp.deliveries()}
    assert by_reference == set(stack.references())
    print(f"redis down: sign-in {sign_in_seconds / 5:.3f} s each, page median {statistics.median(latencies):.3f} s, "
          f"max {max(latencies):.3f} s")  # fmt: skip


# --- A worker killed mid-send -----------------------------------------------------------------


@pytest.mark.parametrize("kill", ["worker-group", "pool-child"])
def test_it_sends_each_message_once_when_a_worker_is_killed_mid_send(stack, kill):
    stack.start_web(workers=1)
    stack.start_beat()
    worker = stack.start_worker("w1")
    browser = signed_in(stack, 1)[0]
    stack.smtp.hold("DATA")
    responses = [browser.submit(f"Killed mid-send {n}") for n in range(3)]
    assert [r.status for r in responses] == [302] * 3

    stack.smtp.wait_held(1)
    if kill == "worker-group":
        worker.kill()  # SIGKILL to the main process and its pool child
    else:
        (child,) = worker.children()
        import os
        import signal

        os.kill(child, signal.SIGKILL)  # the main process sees it lost and requeues the message
    stack.smtp.wait_aborted(1)  # the server never answered 250: that message was not accepted
    stack.smtp.release()
    if kill == "worker-group":
        stack.start_worker("w2")

    stack.smtp.wait_for(3, timeout=40)
    rows = stack.wait_all_sent(3, timeout=20)
    assert_each_sent_once(stack, rows)
    (killed,) = [r for r in rows if r.message_id == stack.smtp.aborted[0]]
    assert killed.attempts == 2  # claimed by the killed sender, then once more


def test_it_resends_with_the_same_message_id_after_a_kill_past_acceptance(stack):
    """The one allowed duplicate: the server said 250, the sender died before marking it sent."""
    stack.start_web(workers=1)
    stack.start_beat()
    worker = stack.start_worker("w1")
    browser = signed_in(stack, 1)[0]
    stack.smtp.hold("QUIT")  # after the 250 to DATA, before the sender can mark the row sent
    assert browser.submit("Killed after acceptance").status == 302
    stack.smtp.wait_held(1)
    (accepted,) = stack.smtp.deliveries()
    worker.kill()
    stack.smtp.release()
    stack.start_worker("w2")

    stack.smtp.wait_for(2, timeout=40)
    (row,) = stack.wait_all_sent(1, timeout=20)
    time.sleep(3)
    deliveries = stack.smtp.deliveries()
    assert [d.message_id for d in deliveries] == [row.message_id, row.message_id]
    assert deliveries[0] == accepted
    assert row.attempts == 2


# --- The mail server down ---------------------------------------------------------------------


def test_it_retries_with_backoff_while_the_mail_server_is_down_then_sends_once(stack):
    stack.smtp.stop()
    stack.start_web(workers=1)
    stack.start_worker("w1", concurrency=2)
    stack.start_beat()
    browser = signed_in(stack, 1)[0]
    assert [browser.submit(f"SMTP down {n}").status for n in range(5)] == [302] * 5

    # Watch the rows while the server is down: each failed try sets the next one further out.
    observed = set()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        for row in stack.rows():
            if row.next_attempt_at and row.claimed_at and row.status == "pending":
                observed.add((row.id, row.attempts, (row.next_attempt_at - row.claimed_at).total_seconds()))
        time.sleep(0.1)
    rows = stack.rows()
    assert all(r.attempts >= 3 for r in rows), [(r.attempts, r.status) for r in rows]
    assert all("Connection refused" in r.last_error or "Errno 111" in r.last_error for r in rows)
    base, cap = 0.5, 2.0  # FAST_CLOCKS
    for _row_id, attempts, delay in observed:
        ceiling = min(cap, base * 2 ** (attempts - 1))
        assert 0.5 * ceiling - 0.05 <= delay <= ceiling + 0.5, (attempts, delay)
    first = [d for _i, a, d in observed if a == 1]
    later = [d for _i, a, d in observed if a >= 3]
    assert first and later and statistics.mean(later) > statistics.mean(first)

    stack.smtp.start()  # back, on the same port
    stack.smtp.wait_for(5, timeout=30)
    rows = stack.wait_all_sent(5, timeout=20)
    assert_each_sent_once(stack, rows)
    assert all(r.attempts > 1 for r in rows)
    assert stack.smtp.aborted == []


# --- The same task twice ----------------------------------------------------------------------


def test_it_sends_one_email_when_the_same_task_is_delivered_twice(stack):
    stack.start_web(workers=1)
    browser = signed_in(stack, 1)[0]
    assert browser.submit("Delivered twice").status == 302
    (row,) = stack.rows()
    # The web app queued it once; queue it twice more, then let two workers race for them.
    stack.publish_send(row.id)
    stack.publish_send(row.id)
    workers = [stack.start_worker(name, wait=False) for name in ("w1", "w2")]
    for worker in workers:
        stack.wait_worker(worker)

    stack.smtp.wait_for(1, timeout=30)
    (row,) = stack.wait_all_sent(1, timeout=20)
    wait_until(lambda: sum(w.log().count("send_notification[") for w in workers) >= 6, timeout=20,
               message="all three tasks received and finished")  # fmt: skip
    assert_each_sent_once(stack, [row], settle=1)
    assert row.attempts == 1  # the other two found it claimed and did nothing
    assert len(stack.smtp.deliveries()) == 1


# --- PostgreSQL restarted ---------------------------------------------------------------------


def test_it_saves_each_request_whole_or_shows_an_error_page_when_postgres_restarts(stack):
    web = stack.start_web(workers=2)
    stack.start_worker("w1", concurrency=2)
    stack.start_beat()
    browsers = signed_in(stack, 4)
    stop = threading.Event()
    results = []
    lock = threading.Lock()

    def burst(index, browser):
        n = 0
        while not stop.is_set():
            response = browser.submit(f"PG restart {index}-{n}")
            with lock:
                results.append(response)
            n += 1

    with ThreadPoolExecutor(len(browsers)) as pool:
        futures = [pool.submit(burst, i, b) for i, b in enumerate(browsers)]
        time.sleep(2)
        stack.cluster.restart(mode="immediate", down_for=1.0)  # a crash, then crash recovery
        time.sleep(2)
        stop.set()
        for future in futures:
            future.result()

    saved = [r for r in results if r.status == 302]
    failed = [r for r in results if r.status != 302]
    assert saved and failed, (len(saved), len(failed))
    for response in failed:
        assert response.status in (500, 503), (response.status, response.body[:300])
        assert "Something went wrong" in response.body or response.status == 503

    # The same web process answers again (CONN_HEALTH_CHECKS drops its dead connections).
    after = [browsers[i % 4].submit(f"After restart {i}") for i in range(8)]
    assert [r.status for r in after] == [302] * 8
    assert web.alive

    references = stack.references()
    saved_references = {r.location.split("/")[2] for r in saved + after}
    assert saved_references <= set(references)
    rows = stack.wait_all_sent(len(references), timeout=40)
    # Whole or nothing: each ticket has exactly its one confirmation row, and no row is orphaned.
    assert sorted(r.reference for r in rows) == sorted(references)
    stack.smtp.wait_for(len(rows), timeout=20)
    result = assert_each_sent_once(stack, rows)
    in_doubt = len(references) - len(saved_references)
    # A commit that reached the disk just before the crash can still show an error page.
    assert 0 <= in_doubt <= len(failed)
    print(f"postgres restart: {len(results)} submitted during the burst, {len(saved)} saved, {len(failed)} error "
          f"pages, {in_doubt} saved but shown an error; {result['accepted']} e-mails, each once")  # fmt: skip


# --- In-process: a real database error at the worst moments -----------------------------------


def _general_request():
    from tickets.models import RequestType

    return RequestType.objects.get(desk__slug="customer-service", key="general-request")


@pytest.mark.parametrize("failure", ["exception-after-insert", "deferred-constraint-at-commit"])
@pytest.mark.django_db(transaction=True)
def test_it_leaves_no_ticket_and_no_email_when_the_transaction_fails_after_the_insert(
    catalogue, customer, smtp, failure
):
    from django.db import IntegrityError, connection, transaction

    from notifications.models import Notification
    from notifications.services import notification_sweep
    from tickets.models import Activity, ServiceDesk, Ticket
    from tickets.services import ticket_submit
    from tickets.values import SubmittedValues

    request_type = _general_request()
    values = SubmittedValues(summary="Never saved", description="The transaction fails.", fields={}, files={})
    expected = RuntimeError if failure == "exception-after-insert" else IntegrityError
    with pytest.raises(expected), transaction.atomic():
        ticket = ticket_submit(request_type=request_type, requester=customer, values=values)
        assert Notification.objects.filter(to_email=customer.email).count() == 1  # written, not committed
        if failure == "exception-after-insert":
            raise RuntimeError("fails after the ticket and its confirmation were inserted")
        # A row pointing at a ticket that does not exist: PostgreSQL checks the deferred foreign
        # key at COMMIT, so the whole transaction fails at the last moment.
        Activity.objects.create(ticket_id=ticket.pk + 10_000, kind=Activity.Kind.CREATED)
        assert connection.in_atomic_block

    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()
    assert ServiceDesk.objects.get(pk=request_type.desk_id).last_number == 0  # the counter rolled back too
    assert notification_sweep() == 0
    assert smtp.wait_for(1, timeout=1) == []


@pytest.mark.django_db(transaction=True)
def test_it_marks_an_accepted_message_sent_when_the_database_connection_drops_right_after(settings):
    """The server's 250 arrives; at that instant the sender's database session is killed."""
    import psycopg2
    from django.db import connection

    from notifications.models import Notification
    from notifications.services import notification_deliver

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    db = connection.settings_dict
    killed = []

    def kill_sender_session(delivery):
        other = psycopg2.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                                 password=db["PASSWORD"] or None, dbname=db["NAME"])  # fmt: skip
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
            killed.append(cursor.fetchone()[0])
        other.close()

    recorder = SmtpRecorder(on_accept=kill_sender_session).start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", recorder.port
        row = Notification.objects.create(kind="x", to_email="a@example.org", subject="S", body_text="B",
                                          message_id="<dropped@helpdesk.local>")  # fmt: skip
        outcome = notification_deliver(notification_id=str(row.pk))
    finally:
        recorder.stop()
    assert killed == [True]
    assert outcome.sent
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 1)
    assert [d.message_id for d in recorder.deliveries()] == ["<dropped@helpdesk.local>"]


# --- The sweep's lock -------------------------------------------------------------------------


@pytest.fixture
def private_redis():
    require(not missing_binaries(), "redis-server missing")
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()


def _old_unsent_row():
    from notifications.models import Notification

    row = Notification.objects.create(kind="x", to_email="late@example.org", subject="Late", body_text="Late",
                                      message_id="<late-lock@helpdesk.local>")  # fmt: skip
    Notification.objects.filter(pk=row.pk).update(created_at=row.created_at - timedelta(hours=1))
    return row


@pytest.mark.django_db(transaction=True)
def test_only_one_sweep_runs_at_a_time(settings, smtp, private_redis):
    from notifications.locks import broker_lock
    from notifications.models import Notification
    from notifications.tasks import sweep_unsent

    settings.CELERY_BROKER_URL = private_redis.url()
    settings.NOTIFICATION_SWEEP_LOCK_SECONDS = 1
    row = _old_unsent_row()
    with broker_lock("notifications-sweep", ttl_seconds=30) as held:  # another sweep is running
        assert held
        assert sweep_unsent() is None
        assert Notification.objects.get(pk=row.pk).queued_at is None
    assert sweep_unsent() == 1  # released: the next sweep runs
    (message,) = smtp.wait_for(1)
    assert message["Message-ID"].strip() == "<late-lock@helpdesk.local>"

    with broker_lock("notifications-sweep", ttl_seconds=1) as held:  # a sweeper that died holding it
        assert held
        time.sleep(1.2)
        assert sweep_unsent() == 0  # expired: runs (nothing left to send)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_quickly_when_redis_is_down(settings, private_redis):
    from notifications.tasks import sweep_unsent

    settings.CELERY_BROKER_URL = private_redis.url()
    private_redis.stop()
    _old_unsent_row()
    started = time.monotonic()
    assert sweep_unsent() is None
    assert time.monotonic() - started < 1.5
