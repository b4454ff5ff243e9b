"""A real `celery worker` process (not eager, not in this process) sends the confirmation."""

import time

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.conftest import body_text


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_sends_the_confirmation(client, catalogue, customer, smtp, real_worker):
    client.force_login(customer)
    response = client.post(
        reverse("portal:request_create", args=["customer-service", "general-request"]),
        {"summary": "Sent by the worker", "description": "Checks the real queue."},
    )
    assert response.status_code == 302
    messages = smtp.wait_for(1, timeout=30)
    assert len(messages) == 1, real_worker.log()[-3000:]
    assert "CSD-1" in messages[0]["Subject"]
    assert "Sent by the worker" in body_text(messages[0])
    # The worker marks the row sent just after the server accepted the message.
    deadline = time.monotonic() + 10
    while Notification.objects.get(kind="request_received").status != Notification.Status.SENT:
        assert time.monotonic() < deadline, "the worker never marked the message sent"
        time.sleep(0.05)
    assert "notifications.tasks.send_notification" in real_worker.log()


@pytest.mark.worker
@pytest.mark.django_db
def test_healthz_reports_the_broker_up_when_a_worker_runs(client, real_worker, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_reports_the_broker_down_but_stays_200(client, settings):
    from tests.conftest import free_port

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "down"}
