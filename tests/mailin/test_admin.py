"""Admins see each mailbox's polling, an alert when it stopped, and the mail kept for them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from mailin.models import InboundMessage, Mailbox
from mailin.selectors import Health, mailbox_health, mailboxes_stalled
from mailin.services import mailbox_poll
from tests import imap_server
from tests.imap_server import compose
from tickets.models import RequestType, Ticket

# The private Dovecot (one per module) and a fresh IMAP account per test.
dovecot = imap_server.dovecot
imap_account = imap_server.imap_account
mailbox = imap_server.mailbox


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_it_tells_ok_failing_stalled_and_disabled_mailboxes_apart(mailbox, settings):
    settings.MAILIN_ALERT_AFTER_MINUTES = 15
    now = timezone.now()

    def health(**changes):
        Mailbox.objects.filter(pk=mailbox.pk).update(**changes)
        mailbox.refresh_from_db()
        return mailbox_health(mailbox=mailbox, now=now)

    assert health(last_success_at=now - timedelta(minutes=5)) == Health.OK
    assert health(last_error_at=now - timedelta(minutes=1)) == Health.FAILING
    assert list(mailboxes_stalled(now=now)) == []
    assert health(last_success_at=now - timedelta(minutes=20)) == Health.STALLED
    assert list(mailboxes_stalled(now=now)) == [mailbox]
    assert health(enabled=False) == Health.DISABLED
    assert list(mailboxes_stalled(now=now)) == []


def test_it_records_each_successful_poll(mailbox):
    mailbox_poll(mailbox=mailbox)

    mailbox.refresh_from_db()
    assert mailbox.last_success_at is not None
    assert mailbox_health(mailbox=mailbox) == Health.OK


def test_it_shows_the_polling_status_and_the_alert_in_the_admin_list(admin_client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_success_at=timezone.now() - timedelta(hours=2), last_error="login refused for desk1"
    )

    page = admin_client.get(reverse("admin:mailin_mailbox_changelist")).content.decode()
    assert "Stopped: no successful poll" in page
    assert "Polling has stopped for 1 mailbox: support@csd.example (CSD)." in page
    assert "login refused for desk1" in page

    filtered = admin_client.get(reverse("admin:mailin_mailbox_changelist") + "?health=stalled")
    assert "support@csd.example" in filtered.content.decode()


def test_it_fails_the_check_command_while_polling_has_stopped(mailbox, capsys):
    Mailbox.objects.filter(pk=mailbox.pk).update(last_success_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(CommandError, match="1 mailbox"):
        call_command("mailin_check")

    Mailbox.objects.filter(pk=mailbox.pk).update(last_success_at=timezone.now())
    call_command("mailin_check")
    assert "mailboxes stalled: 0" in capsys.readouterr().out


def test_it_opens_the_add_page_of_a_mailbox(admin_client, catalogue):
    page = admin_client.get(reverse("admin:mailin_mailbox_add"))
    assert page.status_code == 200
    assert "Leave empty to keep the current password." in page.content.decode()


def test_it_never_shows_the_mailbox_password_and_keeps_it_when_left_empty(admin_client, mailbox):
    url = reverse("admin:mailin_mailbox_change", args=[mailbox.pk])
    page = admin_client.get(url).content.decode()
    assert mailbox.password not in page

    response = admin_client.post(url, {
        "desk": mailbox.desk_id, "email_address": "help@csd.example", "enabled": "on",
        "default_request_type": mailbox.default_request_type_id, "unknown_senders": "contact",
        "host": mailbox.host, "port": mailbox.port, "security": "plain", "username": mailbox.username,
        "password": "", "folder": "INBOX",
    })  # fmt: skip

    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.email_address, mailbox.password) == ("help@csd.example", "secret-imap-pw")
    # The desk had no reply address: it takes the mailbox's, so replies to our e-mail come here.
    assert mailbox.desk.email_address == "help@csd.example"


def test_it_refuses_a_default_request_type_of_another_desk(mailbox):
    mailbox.default_request_type = RequestType.objects.exclude(desk=mailbox.desk).first()
    with pytest.raises(ValidationError, match="same desk"):
        mailbox.full_clean()


def test_it_refuses_a_type_needing_approval_when_unknown_senders_get_requests(mailbox):
    RequestType.objects.filter(pk=mailbox.default_request_type_id).update(needs_approval=True)
    mailbox.refresh_from_db()
    with pytest.raises(ValidationError, match="approval"):
        mailbox.full_clean()
    mailbox.unknown_senders = Mailbox.UnknownSenders.INVITE
    mailbox.full_clean()


def test_it_shows_kept_mail_to_admins_and_processes_it_again(
    admin_client, imap_account, mailbox, customer, monkeypatch
):
    def broken_submit(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("mailin.services.ticket_submit", broken_submit)
    mail = compose(body="<script>alert('x')</script> The printer is jammed.")
    imap_account.append(mail)
    mailbox_poll(mailbox=mailbox)
    message = InboundMessage.objects.get()
    monkeypatch.undo()

    listing = admin_client.get(reverse("admin:mailin_inboundmessage_changelist") + "?status__exact=failed")
    assert "RuntimeError: boom" in listing.content.decode()
    detail = admin_client.get(reverse("admin:mailin_inboundmessage_change", args=[message.pk])).content.decode()
    assert "&lt;script&gt;alert(" in detail and "<script>alert(" not in detail
    raw = admin_client.get(reverse("admin:mailin_inboundmessage_raw", args=[message.pk]))
    assert b"".join(raw.streaming_content) == mail
    assert raw["Content-Type"] == "application/octet-stream"

    response = admin_client.post(
        reverse("admin:mailin_inboundmessage_changelist"),
        {"action": "reprocess", "_selected_action": [message.pk]},
        follow=True,
    )

    assert "Processed: 1" in response.content.decode()
    message.refresh_from_db()
    assert message.status == "processed"
    assert Ticket.objects.get().requester == customer


def test_it_hides_kept_mail_from_everyone_but_admins(client, customer, mailbox):
    client.force_login(customer)
    response = client.get(reverse("admin:mailin_inboundmessage_changelist"))
    assert response.status_code == 302  # to the admin's sign-in


def test_it_offers_the_poll_action_under_its_label(admin_client, mailbox):
    page = admin_client.get(reverse("admin:mailin_mailbox_changelist")).content.decode()
    assert '<option value="poll_now">Poll the selected mailboxes now</option>' in page


@pytest.fixture
def staff_client(client, db):
    """A staff member whose permissions each test gives."""
    from accounts.models import User

    staff = User.objects.create_user(email="staff@example.org", password="pw-for-tests-1", full_name="Stan Staff")
    staff.is_staff = True
    staff.save()

    def login(*codenames):
        from django.contrib.auth.models import Permission

        staff.user_permissions.set(Permission.objects.filter(content_type__app_label="mailin", codename__in=codenames))
        client.force_login(User.objects.get(pk=staff.pk))
        return client

    return login


@pytest.fixture
def held_mail(mailbox, customer, monkeypatch):
    """A mail kept for an admin (it failed while the request service was down)."""
    from mailin.services import inbound_process, inbound_receive

    with monkeypatch.context() as patched:
        patched.setattr("mailin.services.ticket_submit", lambda **kwargs: 1 / 0)
        message = inbound_process(message=inbound_receive(mailbox=mailbox, raw=compose())[0])
    assert message.status == "failed"
    return message


def test_it_runs_the_admin_actions_only_for_those_who_may_change(staff_client, mailbox, held_mail, monkeypatch):
    queued = []
    monkeypatch.setattr("mailin.admin.poll_mailbox.delay", queued.append)
    viewer = staff_client("view_mailbox", "view_inboundmessage")

    mail_page = viewer.get(reverse("admin:mailin_inboundmessage_changelist")).content.decode()
    box_page = viewer.get(reverse("admin:mailin_mailbox_changelist")).content.decode()
    assert 'value="reprocess"' not in mail_page and 'value="poll_now"' not in box_page
    viewer.post(
        reverse("admin:mailin_inboundmessage_changelist"), {"action": "reprocess", "_selected_action": [held_mail.pk]}
    )
    viewer.post(reverse("admin:mailin_mailbox_changelist"), {"action": "poll_now", "_selected_action": [mailbox.pk]})
    held_mail.refresh_from_db()
    assert (held_mail.status, queued) == ("failed", [])

    editor = staff_client("view_mailbox", "change_mailbox", "view_inboundmessage", "change_inboundmessage")
    editor.post(
        reverse("admin:mailin_inboundmessage_changelist"), {"action": "reprocess", "_selected_action": [held_mail.pk]}
    )
    editor.post(reverse("admin:mailin_mailbox_changelist"), {"action": "poll_now", "_selected_action": [mailbox.pk]})
    held_mail.refresh_from_db()
    assert (held_mail.status, queued) == ("processed", [mailbox.pk])
    # Kept mail stays read-only even for them.
    detail = editor.get(reverse("admin:mailin_inboundmessage_change", args=[held_mail.pk])).content.decode()
    assert 'name="_save"' not in detail
