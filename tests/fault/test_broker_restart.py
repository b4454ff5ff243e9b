"""A broker restart while mail is retrying: the worker stays up and every message goes out once.

Issue 9, point 10: a private Redis restarted while confirmations were retrying (Celery retries
with a countdown, so the worker held them unacknowledged) made kombu's Redis transport raise
`AttributeError: 'NoneType' object has no attribute 'hostname'` while the worker reconnected;
the worker exited and nothing was sent until a person restarted it. The cause and the fix are in
helpdesk/celery.py; these tests run real processes (tests/stack.py).
"""

import contextlib
import signal
import socket
import time
import uuid

import kombu
import pytest
import redis
from kombu.common import ignore_errors

from tests.conftest import require
from tests.stack import (
    FAST_CLOCKS,
    RedisServer,
    Stack,
    audit,
    load_user,
    missing_binaries,
    wait_until,
)

pytestmark = pytest.mark.fault
# Users in the template database (tests/fault/conftest.py: template).
TEMPLATE_USERS = 3

# Retries long enough that the worker is holding most of them (countdown not yet due) when Redis
# goes away, consistent with the outbox's checks: visibility 20 > retry cap 6 + hard limit 6.
RETRYING_CLOCKS = {
    **FAST_CLOCKS,
    "NOTIFICATION_RETRY_BASE_SECONDS": "3",
    "NOTIFICATION_RETRY_MAX_SECONDS": "6",
    "CELERY_VISIBILITY_TIMEOUT": "20",
}
# The promise these tests check: once the mail server is back (a few seconds after Redis), every
# message is accepted within this many seconds, with nobody restarting anything.
DELIVERY_BOUND_SECONDS = 30
MESSAGES = 15


@pytest.fixture
def stack(template, request):
    # "empty": Redis comes back with nothing (no persistence), so its queue and its hash of
    # unacknowledged messages are lost. "durable": it comes back with both (append-only file), so
    # the messages the worker held are also handed out again after the visibility timeout.
    stack = Stack(template.cluster, template, clocks=RETRYING_CLOCKS, durable_redis=request.param == "durable")
    try:
        yield stack
    finally:
        print(stack.logs())  # shown by pytest only when the test failed
        stack.close()


def _retrying(stack, count):
    rows = stack.rows()
    return len(rows) == count and all(r.status == "pending" and r.attempts >= 1 for r in rows)


# How the worker meets the restart. "idle": waiting for work (a BRPOP in flight) with the retries
# held for their countdown; this is what killed it. "frozen": stopped (as on a paused host) while
# three more are queued, so they are in Redis's list when it goes, and woken while it is away.
@pytest.mark.parametrize(
    ("stack", "worker_state"),
    [("empty", "idle"), ("durable", "idle"), ("empty", "frozen")],
    ids=["empty-redis", "durable-redis", "empty-redis-with-a-queue"],
    indirect=["stack"],
)
def test_it_delivers_each_message_once_after_redis_restarts_while_mail_is_retrying(stack, worker_state):
    stack.smtp.stop()  # the mail server is down: every send fails and retries with a countdown
    stack.start_web(workers=1)
    worker = stack.start_worker("w1", concurrency=2)
    stack.start_beat()  # its own process, as in production: the sweep does not die with a worker
    browser = stack.browser()
    browser.sign_in(load_user(0))
    assert [browser.submit(f"Broker restart {n}").status for n in range(MESSAGES - 3)] == [302] * (MESSAGES - 3)
    wait_until(lambda: _retrying(stack, MESSAGES - 3), timeout=30, interval=0.2, message="every message retrying")
    if worker_state == "frozen":
        worker.signal_group(signal.SIGSTOP)
    assert [browser.submit(f"Queued at the restart {n}").status for n in range(3)] == [302] * 3
    broker = redis.Redis(port=stack.redis.port)
    queued, held = broker.llen(stack.queue), broker.hlen("unacked")
    broker.close()
    assert held > 0  # retries held unacknowledged for their countdown
    if worker_state == "frozen":
        assert queued >= 2  # the BRPOP the worker had in flight may have taken one

    stack.redis.stop()
    if worker_state == "frozen":
        worker.signal_group(signal.SIGCONT)
    time.sleep(1)
    stack.redis.start()
    redis_back = time.monotonic()

    # The worker reconnects by itself and keeps trying (the mail server is still down).
    wait_until(lambda: worker.log(200_000).count("Connected to redis") >= 2 or not worker.alive, timeout=30,
               interval=0.2, message="the worker reconnecting to Redis")  # fmt: skip
    assert worker.alive, worker.log()
    attempts_before = sum(r.attempts for r in stack.rows())
    wait_until(lambda: sum(r.attempts for r in stack.rows()) > attempts_before + MESSAGES, timeout=30,
               interval=0.2, message="sends being tried again after the restart")  # fmt: skip

    stack.smtp.start()  # back, on the same port
    smtp_back, smtp_back_at = time.monotonic(), time.time()
    stack.smtp.wait_for(MESSAGES, timeout=DELIVERY_BOUND_SECONDS)
    rows = stack.wait_all_sent(MESSAGES, timeout=10)
    delivered_in = max(d.accepted_at for d in stack.smtp.deliveries()) - smtp_back_at
    assert delivered_in < DELIVERY_BOUND_SECONDS

    # Wait out the visibility timeout: a copy of a task still held somewhere would run by then.
    time.sleep(max(0.0, int(RETRYING_CLOCKS["CELERY_VISIBILITY_TIMEOUT"]) + 3 - (time.monotonic() - redis_back)))
    result = audit(stack.rows(), stack.smtp.deliveries())
    assert result["rows"] == MESSAGES
    assert (result["lost"], result["duplicated"], result["unknown"]) == ([], {}, []), result
    assert result["accepted"] == MESSAGES
    assert {r.status for r in rows} == {"sent"}
    assert worker.alive
    assert "Unrecoverable error" not in worker.log(200_000)
    print(f"broker restart: {held} held unacknowledged and {queued} queued when Redis stopped; mail server "
          f"back {smtp_back - redis_back:.1f} s after Redis; all {MESSAGES} accepted {delivered_in:.1f} s later, "
          "each once")  # fmt: skip


# --- The cause, in one process: kombu's Redis channel as a worker holds it when Redis goes ------


@pytest.fixture
def private_redis():
    require(not missing_binaries(), "redis-server missing")
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()


def _as_a_worker_holds_it(server: RedisServer):
    """Two messages delivered and not acknowledged (retries waiting for their countdown), a BRPOP
    in flight, and a second channel on an auto-delete fanout queue (celery's remote control)."""
    connection = kombu.Connection(server.url(), transport_options={"socket_connect_timeout": 0.5, "socket_timeout": 1})
    tasks = kombu.Queue(f"tasks-{uuid.uuid4().hex[:8]}")
    with connection.Producer() as producer:
        for number in range(2):
            producer.publish({"n": number}, routing_key=tasks.name, declare=[tasks])
    held = []
    consumer = kombu.Consumer(connection, [tasks], callbacks=[lambda body, message: held.append(message)],
                              accept=["json"])  # fmt: skip
    consumer.qos(prefetch_count=10)
    consumer.consume()
    mailbox = kombu.Queue("mailbox", kombu.Exchange("mailbox", type="fanout"), auto_delete=True)
    kombu.Consumer(connection.channel(), [mailbox], callbacks=[lambda body, message: None], no_ack=True,
                   accept=["json"]).consume()  # fmt: skip
    while len(held) < 2:
        connection.drain_events(timeout=2)
    with contextlib.suppress(socket.timeout):
        connection.drain_events(timeout=0.2)  # nothing more to read: the BRPOP stays in flight
    channel = connection.default_channel
    assert channel._in_poll and len(channel.qos._delivered) == 2
    return connection, tasks, held


def _tear_down_as_celery_does(connection) -> None:
    """What celery 5.7.0's Consumer.on_connection_error_after_connected does with the connection."""
    with contextlib.suppress(Exception):
        connection.collect(socket_timeout=5)
    ignore_errors(connection, connection.close)  # swallows connection errors, nothing else


def test_it_closes_a_worker_connection_whose_redis_went_away(private_redis, caplog):
    # The fix is applied by importing helpdesk.celery, as every worker and web process does.
    connection, _tasks, held = _as_a_worker_holds_it(private_redis)
    connection_errors = connection.connection_errors
    private_redis.stop()

    _tear_down_as_celery_does(connection)  # AttributeError: ... 'hostname' without the fix

    assert "the unacknowledged messages were not put back" in caplog.text

    # A task still running acknowledges on the dead channel later: a connection error, which
    # celery logs ("Couldn't ack") instead of dying.
    with pytest.raises(connection_errors):
        held[0].ack()


def test_it_puts_the_held_messages_back_at_once_when_redis_still_answers(private_redis):
    connection, tasks, _held = _as_a_worker_holds_it(private_redis)
    admin = redis.Redis(port=private_redis.port)
    admin.client_kill_filter(_type="normal", skipme=True)  # the connections drop, Redis stays up

    _tear_down_as_celery_does(connection)

    assert admin.llen(tasks.name) == 2  # not left for the visibility timeout
    assert admin.hlen("unacked") == 0


def test_kombu_still_needs_the_fix(private_redis, monkeypatch):
    """When this fails, kombu closes its channels whole by itself: remove the fix from
    helpdesk/celery.py (close_redis_channels_whole)."""
    from kombu.transport import redis as kombu_redis

    monkeypatch.setattr(kombu_redis.Channel, "close", kombu_redis.Channel.close.__wrapped__)
    connection, _tasks, _held = _as_a_worker_holds_it(private_redis)
    private_redis.stop()

    with pytest.raises(AttributeError, match="hostname"):
        _tear_down_as_celery_does(connection)
