"""Deliveries sent by a real `celery worker` process from the outbox, to a real receiver on
loopback: a receiver answering 500 is retried until it recovers and then gets the delivery
once; a receiver down for a while loses nothing."""

import time
from collections import Counter

import pytest

from notifications.models import Notification
from tests.webhooks.conftest import deliveries
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import _headers, readme_verify
from tests.webhooks.worker import kill, publishing_to, start_worker, webhook_queue
from webhooks.models import DeliveryAttempt

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    queue = webhook_queue()
    with django_db_blocker.unblock():
        process = start_worker(queue)
    process.queue = queue
    yield process
    kill(process)


@pytest.fixture
def publishing(worker, settings):
    with publishing_to(settings, worker.queue):
        yield worker


def _wait(predicate, timeout: float, what: str, worker=None):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            log = worker.log()[-4000:] if worker else ""
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}\n{log}")
        time.sleep(0.1)
    return value


def _all_sent(count: int):
    rows = deliveries()
    return rows if len(rows) == count and all(r.status == Notification.Status.SENT for r in rows) else None


def test_a_receiver_answering_500_is_retried_and_gets_the_delivery_once_it_recovers(
    publishing, submit, customer, make_endpoint, receiver
):
    endpoint, secret = make_endpoint(receiver.url(), events=["request.created"])
    receiver.statuses = [500, 500, 500]
    submit(customer, summary="Retried until it works")

    received = receiver.wait_for(4, timeout=30)
    (row,) = _wait(lambda: _all_sent(1), 15, "the delivery marked sent", publishing)
    time.sleep(1.5)  # longer than the retry cap: nothing more comes
    assert len(receiver.received) == 4
    assert {r.delivery_id for r in received} == {str(row.pk)}
    assert all(readme_verify()(secret, _headers(r), r.body) for r in received)
    assert row.attempts == 4
    log = DeliveryAttempt.objects.filter(endpoint=endpoint).order_by("attempt")
    assert [(a.attempt, a.status_code) for a in log] == [(1, 500), (2, 500), (3, 500), (4, 200)]
    gaps = [b.at - a.at for a, b in zip(received, received[1:], strict=False)]
    assert all(gap >= 0.1 for gap in gaps), gaps  # backoff between tries, not a tight loop
    assert "notifications.tasks.send_notification" in publishing.log()


def test_a_receiver_down_for_a_while_loses_nothing(publishing, submit, customer, make_endpoint):
    down = Receiver().start()
    port = down.port
    down.stop()  # nothing listens on the port now: every try is refused
    endpoint, _secret = make_endpoint(down.url(), events=["request.created", "request.commented"])
    tickets = [submit(customer, summary=f"While it is down {n}") for n in range(3)]
    assert len(deliveries()) == 3

    _wait(
        lambda: DeliveryAttempt.objects.filter(endpoint=endpoint, status_code__isnull=True).count() >= 6,
        30,
        "two refused tries of each delivery",
        publishing,
    )
    # Waiting for the next try, or in one: none given up on, none taken for sent.
    assert {r.status for r in deliveries()} <= {Notification.Status.PENDING, Notification.Status.SENDING}

    back = Receiver(port=port).start()
    try:
        rows = _wait(lambda: _all_sent(3), 30, "every delivery sent", publishing)
        time.sleep(1.5)
        answered = Counter(r.delivery_id for r in back.received)
        assert answered == Counter({str(r.pk): 1 for r in rows})  # each once, none lost, none unknown
        assert sorted(r["x-helpdesk-event"] for r in (x.headers for x in back.received)) == ["request.created"] * 3
        references = {r.body.decode().split('"reference":"', 1)[1].split('"', 1)[0] for r in back.received}
        assert references == {t.reference for t in tickets}
    finally:
        back.stop()


def test_a_delivery_whose_publish_was_lost_is_sent_by_the_sweep_on_its_queue(
    publishing, submit, customer, make_endpoint, receiver, settings, monkeypatch
):
    from notifications import services
    from notifications.services import notification_sweep

    endpoint, _secret = make_endpoint(receiver.url(), events=["request.created"])
    with monkeypatch.context() as lost:
        lost.setattr(services, "_publish_task", lambda *args: False)  # the broker did not take it
        submit(customer, summary="Published by the sweep")
    (row,) = deliveries()
    time.sleep(0.5)
    assert row.queued_at is None and receiver.received == []

    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 0
    assert notification_sweep() >= 1  # the confirmation e-mail is swept too, to the mail queue
    (received,) = receiver.wait_for(1, timeout=20)
    assert received.delivery_id == str(row.pk)
    _wait(lambda: _all_sent(1), 15, "the swept delivery marked sent", publishing)
