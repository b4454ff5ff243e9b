"""A worker killed in the middle of a webhook delivery: the receiver has the request but the
worker dies before the answer. Another worker sends it again, with the same delivery id and body
(the receiver deduplicates by it), and the outbox marks it sent once."""

import json
import time

import pytest

from notifications.models import Notification
from tests.webhooks.conftest import deliveries
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import _headers, readme_verify
from tests.webhooks.worker import kill, publishing_to, start_worker, webhook_queue
from webhooks.models import DeliveryAttempt, Endpoint
from webhooks.services import endpoint_save

pytestmark = [pytest.mark.fault, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.release()
    server.stop()


def _wait(predicate, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}\n" + "\n".join(logs))
        time.sleep(0.1)
    return value


def test_a_worker_killed_mid_delivery_is_followed_by_the_same_delivery_id(
    django_db_blocker, settings, submit, customer, superuser, receiver
):
    queue = webhook_queue()
    first = start_worker(queue, label="first")
    second = None
    try:
        with publishing_to(settings, queue):
            endpoint = Endpoint(name="Receiver", url=receiver.url(), events=["request.created"], scope="agent")
            endpoint.full_clean(exclude=["secret_encrypted", "secret_hint"])
            secret = endpoint_save(endpoint=endpoint, actor=superuser)
            receiver.hold()  # the request arrives; the answer never leaves while the worker lives
            submit(customer, summary="Killed mid-delivery")
            receiver.wait_held(timeout=30)
            (row,) = deliveries()
            assert row.status == Notification.Status.SENDING and row.attempts == 1
            kill(first)
            killed_at = time.monotonic()
            receiver.release()  # its answer goes to a dead socket

            second = start_worker(queue, label="second")
            received = receiver.wait_for(2, timeout=40)
            row = _wait(
                lambda: next((r for r in deliveries() if r.status == Notification.Status.SENT), None),
                20,
                "the delivery marked sent",
                [second.log()[-3000:]],
            )
            redelivered_after = time.monotonic() - killed_at
            time.sleep(2)  # a sweep's worth more: nothing else comes
    finally:
        kill(first)
        if second is not None:
            kill(second)

    assert len(receiver.received) == 2
    assert [r.delivery_id for r in received] == [str(row.pk), str(row.pk)]
    assert received[0].body == received[1].body
    assert json.loads(received[1].body)["delivery_id"] == str(row.pk)
    assert all(readme_verify()(secret, _headers(r), r.body) for r in received)
    assert row.attempts == 2  # claimed by the killed worker, then once more
    (attempt,) = DeliveryAttempt.objects.filter(endpoint=endpoint)  # the killed try never logged
    assert (attempt.attempt, attempt.status_code, attempt.succeeded) == (2, 200, True)
    print(f"redelivered {redelivered_after:.1f} s after the kill")
