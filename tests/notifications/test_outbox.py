import pytest
from django.db import transaction
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notification_create, notification_deliver, notification_sweep
from tickets.models import Ticket

CREATE_URL = reverse("portal:request_create", args=["customer-service", "general-request"])


def _create(**extra):
    return notification_create(
        kind="request_received",
        to_email="someone@example.org",
        template="request_received",
        context={"reference": "CSD-7", "summary": "S & T", "desk": "Customer Service Desk", "status": "Open",
                 "name": "Sam", "url": "http://testserver/requests/CSD-7/"},
        **extra,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_it_sends_only_after_commit(smtp):
    with transaction.atomic():
        notification = _create()
        assert Notification.objects.filter(pk=notification.pk).exists()
        assert smtp.wait_for(1, timeout=0.3) == []
    (message,) = smtp.wait_for(1)
    assert message["Message-ID"].strip() == notification.message_id
    assert "S & T" in message["Subject"]  # plain text is not HTML-escaped
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_it_writes_nothing_and_sends_nothing_when_the_change_rolls_back(smtp):
    with pytest.raises(RuntimeError), transaction.atomic():
        _create()
        raise RuntimeError("boom after the row was written")
    assert not Notification.objects.exists()
    assert smtp.wait_for(1, timeout=0.5) == []


@pytest.mark.django_db(transaction=True)
def test_it_sends_one_message_when_the_task_runs_twice(smtp):
    notification = _create()
    smtp.wait_for(1)
    assert notification_deliver(notification_id=str(notification.pk)).sent is False
    assert len(smtp.wait_for(2, timeout=0.5)) == 1


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_row_pending_with_a_backoff_when_the_server_refuses(settings, smtp):
    from tests.conftest import free_port

    settings.EMAIL_PORT = free_port()  # nothing listens there
    notification = _create()
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1
    assert notification.next_attempt_at is not None
    assert "Connection refused" in notification.last_error


@pytest.mark.django_db(transaction=True)
def test_it_sweeps_a_row_whose_publish_was_lost(settings, smtp):
    settings.NOTIFICATION_SWEEP_AFTER_SECONDS = 0
    # Written outside on_commit's reach: as if the broker had been down when it was published.
    row = Notification.objects.create(
        kind="x", to_email="late@example.org", subject="Late", body_text="Late body", message_id="<late@helpdesk.local>"
    )
    assert notification_sweep() == 1
    (message,) = smtp.wait_for(1)
    assert message["Message-ID"].strip() == "<late@helpdesk.local>"
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_it_writes_the_confirmation_in_the_ticket_transaction(client, catalogue, customer, smtp, monkeypatch):
    """An exception after the ticket is saved but before commit: no ticket, no e-mail."""
    from tickets import services

    client.force_login(customer)
    original = services.ticket_email

    def notify_then_fail(**kwargs):
        original(**kwargs)
        raise RuntimeError("fails before commit")

    monkeypatch.setattr(services, "ticket_email", notify_then_fail)
    client.raise_request_exception = False
    response = client.post(CREATE_URL, {"summary": "Will roll back", "description": "Nothing should remain."})
    assert response.status_code == 500
    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()
    assert smtp.wait_for(1, timeout=0.5) == []


@pytest.mark.django_db
def test_it_writes_mail_as_eml_files_in_the_embedded_setup(settings, tmp_path):
    from django.core.mail import EmailMessage

    from notifications.backends import EmlFileBackend

    settings.EMAIL_FILE_PATH = str(tmp_path)
    backend = EmlFileBackend()
    sent = backend.send_messages(
        [EmailMessage("One", "1", to=["a@example.org"]), EmailMessage("Two", "2", to=["b@example.org"])]
    )
    files = sorted(tmp_path.glob("*.eml"))
    assert sent == 2
    assert len(files) == 2
    assert {b"Subject: One" in f.read_bytes() for f in files} == {True, False}


def test_it_keeps_the_plain_text_readable():
    from django.template.loader import render_to_string

    text = render_to_string("emails/request_received_body.txt", {"summary": "<b>A & B</b>", "reference": "X-1"})
    assert "<b>A & B</b>" in text
