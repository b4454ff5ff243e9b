"""One delivery against a real HTTP receiver on loopback, sent in this process: signed as the
README says, logged per try, retried on failure and redelivered on request."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_deliver
from tests.conftest import ROOT
from tests.webhooks.conftest import deliveries
from webhooks.models import DeliveryAttempt

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def readme_verify():
    """The verification snippet of the README's Webhooks section, run as written."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "def verify" in block]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify"]


def _headers(received) -> dict:
    """As a receiver's framework hands them over (the snippet reads the names as we send them)."""
    names = ["X-Helpdesk-Timestamp", "X-Helpdesk-Signature", "X-Helpdesk-Delivery", "X-Helpdesk-Event"]
    return {name: received.headers[name.lower()] for name in names}


def _send(row):
    notification_deliver(notification_id=str(row.pk))
    row.refresh_from_db()
    return row


def _due_now(row):
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_delivery_is_a_signed_json_post_that_the_readme_snippet_verifies(submit, customer, make_endpoint, receiver):
    endpoint, secret = make_endpoint(receiver.url(), events=["request.created"])
    ticket = submit(customer, summary="Signed for you")
    (row,) = deliveries()
    assert _send(row).status == Notification.Status.SENT

    (received,) = receiver.wait_for(1)
    verify = readme_verify()
    headers = _headers(received)
    assert verify(secret, headers, received.body)
    assert not verify("whsec_wrong", headers, received.body)
    assert not verify(secret, headers, received.body.replace(b"Signed for you", b"Signed for them"))
    assert not verify(secret, {**headers, "X-Helpdesk-Timestamp": str(int(headers["X-Helpdesk-Timestamp"]) - 600)},
                      received.body)  # fmt: skip
    assert received.headers["content-type"] == "application/json"
    assert headers["X-Helpdesk-Event"] == "request.created"
    assert headers["X-Helpdesk-Delivery"] == str(row.pk)
    payload = json.loads(received.body)
    assert payload["delivery_id"] == str(row.pk)
    assert payload["event"] == "request.created" and payload["request"]["reference"] == ticket.reference
    assert payload["request"]["summary"] == "Signed for you"

    (attempt,) = DeliveryAttempt.objects.filter(endpoint=endpoint)
    assert (attempt.attempt, attempt.status_code, attempt.succeeded) == (1, 200, True)
    assert attempt.response_excerpt == "answered 200" and attempt.duration_ms >= 0


def test_a_failed_try_is_logged_and_retried_later_with_the_same_id_and_body(submit, customer, make_endpoint, receiver):
    endpoint, secret = make_endpoint(receiver.url(), events=["request.created"])
    submit(customer)
    (row,) = deliveries()
    receiver.statuses = [500, 503]
    row = _send(row)
    assert row.status == Notification.Status.PENDING and row.next_attempt_at > timezone.now()
    assert _send(row).attempts == 1  # not due yet: nothing sent
    _due_now(row)
    assert _send(row).status == Notification.Status.PENDING
    _due_now(row)
    assert _send(row).status == Notification.Status.SENT
    assert _send(row).attempts == 3  # sent once: a late copy of the task does nothing

    received = receiver.wait_for(3)
    assert len(received) == 3
    assert {r.delivery_id for r in received} == {str(row.pk)}
    assert len({r.body for r in received}) == 1
    assert all(readme_verify()(secret, _headers(r), r.body) for r in received)
    log = DeliveryAttempt.objects.filter(endpoint=endpoint).order_by("attempt")
    assert [(a.attempt, a.status_code, a.succeeded) for a in log] == [(1, 500, False), (2, 503, False), (3, 200, True)]


def test_after_the_last_try_the_delivery_is_failed(submit, customer, make_endpoint, receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    make_endpoint(receiver.url(), events=["request.created"])
    submit(customer)
    (row,) = deliveries()
    receiver.statuses = [500, 500, 500]
    _send(row)
    _due_now(row)
    assert _send(row).status == Notification.Status.FAILED
    assert "500" in row.last_error


def test_a_receiver_that_does_not_answer_is_logged_as_an_error(submit, customer, make_endpoint, receiver):
    endpoint, _secret = make_endpoint(receiver.url(), events=["request.created"])
    submit(customer)
    (row,) = deliveries()
    receiver.stop()
    assert _send(row).status == Notification.Status.PENDING
    (attempt,) = DeliveryAttempt.objects.filter(endpoint=endpoint)
    assert attempt.status_code is None and "Connection refused" in attempt.error


def test_an_inactive_endpoint_is_not_sent_to(submit, customer, make_endpoint, receiver):
    endpoint, _secret = make_endpoint(receiver.url(), events=["request.created"])
    submit(customer)
    (row,) = deliveries()
    endpoint.is_active = False
    endpoint.save()
    assert _send(row).status == Notification.Status.FAILED
    assert receiver.received == []


@pytest.mark.django_db(transaction=True)
def test_the_admin_log_shows_each_try_and_redelivers_with_the_same_id(
    client, superuser, submit, customer, make_endpoint, receiver
):
    endpoint, _secret = make_endpoint(receiver.url(), events=["request.created"])
    submit(customer)  # committed: the eager task sends it at once
    (row,) = deliveries()
    assert row.status == Notification.Status.SENT
    client.force_login(superuser)
    log = client.get(reverse("admin:webhooks_deliveryattempt_changelist"), {"endpoint__id__exact": endpoint.pk})
    assert log.status_code == 200 and str(row.pk) in log.content.decode()
    page = client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert str(row.pk) in page.content.decode()
    (attempt,) = DeliveryAttempt.objects.all()
    detail = client.get(reverse("admin:webhooks_deliveryattempt_change", args=[attempt.pk]))
    assert detail.status_code == 200 and "answered 200" in detail.content.decode()

    response = client.post(
        reverse("admin:webhooks_deliveryattempt_changelist"),
        {"action": "redeliver", "_selected_action": [attempt.pk]},
        follow=True,
    )
    assert "1 delivery queued again." in response.content.decode()
    received = receiver.wait_for(2)
    assert [r.delivery_id for r in received] == [str(row.pk), str(row.pk)]
    assert received[0].body == received[1].body
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert DeliveryAttempt.objects.count() == 2
