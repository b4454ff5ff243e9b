"""The IMAP client against a real Dovecot: unseen mail oldest first, fetched without being
marked read, flagged \\Seen on request; servers that refuse or cannot be reached."""

import imaplib

import pytest
from django.utils import timezone

from mailin.imap import ImapError, ImapSettings, imap_session
from mailin.selectors import Health, mailbox_health, mailboxes_stalled
from mailin.services import mailbox_poll
from tests import imap_server
from tests.conftest import free_port
from tests.imap_server import compose

# The private Dovecot (one per module) and a fresh IMAP account per test.
dovecot = imap_server.dovecot
imap_account = imap_server.imap_account


def settings_for(account, **changes) -> ImapSettings:
    values = {
        "host": account.host, "port": account.port, "security": "plain",
        "username": account.username, "password": account.password, "timeout": 5,
    }  # fmt: skip
    return ImapSettings(**{**values, **changes})


def test_it_lists_unseen_mail_oldest_first_and_fetches_it_without_marking_it_read(imap_account):
    first = imap_account.append(compose(subject="one"))
    second = imap_account.append(compose(subject="two"))
    imap_account.append(compose(subject="three"))

    with imap_session(settings_for(imap_account)) as session:
        uids = session.unseen_uids(limit=2)
        assert [int(u) for u in uids] == [first, second]
        raw = session.fetch(uids[0])
        assert b"Subject: one" in raw
        assert session.size(uids[0]) == len(raw)
        assert b"Subject: one" in session.fetch(uids[0], headers_only=True)
    assert len(imap_account.unseen()) == 3

    with imap_session(settings_for(imap_account)) as session:
        session.mark_seen(uids[0])
    assert imap_account.unseen() == [second, second + 1]


def test_it_reads_a_folder_whose_name_has_a_space(imap_account):
    imap_account.create_folder("Help Desk")
    uid = imap_account.append(compose(), folder="Help Desk")

    with imap_session(settings_for(imap_account, folder="Help Desk")) as session:
        assert [int(u) for u in session.unseen_uids(limit=10)] == [uid]


def test_it_reports_a_folder_that_does_not_exist(imap_account):
    with pytest.raises(ImapError, match="SELECT Nowhere"):
        with imap_session(settings_for(imap_account, folder="Nowhere")):
            pass


def test_it_reports_a_server_that_cannot_be_reached(imap_account):
    with pytest.raises(ImapError, match="cannot connect"):
        with imap_session(settings_for(imap_account, port=free_port())):
            pass


def test_it_closes_the_connection_when_starttls_fails(imap_account, monkeypatch):
    # The test server offers no TLS, so STARTTLS is refused after the connection is open.
    clients = []
    starttls = imaplib.IMAP4.starttls

    def recording_starttls(client, *args, **kwargs):
        clients.append(client)
        return starttls(client, *args, **kwargs)

    monkeypatch.setattr(imaplib.IMAP4, "starttls", recording_starttls)
    with pytest.raises(ImapError, match="STARTTLS"):
        with imap_session(settings_for(imap_account, security="starttls")):
            pass

    assert len(clients) == 1
    assert clients[0].sock.fileno() == -1  # closed, not left to the garbage collector


@pytest.fixture
def mailbox(imap_account, catalogue):
    return imap_server.mailbox_for(imap_account, password="not-the-password")


# Last in this module on purpose: after a refused login Dovecot delays the next login from the
# same address by a few seconds, which would slow whichever test came next.
def test_it_records_a_refused_login_and_raises_the_alert_when_it_lasts(mailbox):
    result = mailbox_poll(mailbox=mailbox)

    mailbox.refresh_from_db()
    assert "login refused" in result.error
    assert "login refused" in mailbox.last_error
    assert mailbox.last_polled_at is not None and mailbox.last_error_at is not None
    assert mailbox.last_success_at is None and mailbox.lease_until is None
    assert mailbox_health(mailbox=mailbox) == Health.NEW
    later = timezone.now() + timezone.timedelta(minutes=16)
    assert mailbox_health(mailbox=mailbox, now=later) == Health.STALLED
    assert list(mailboxes_stalled(now=later)) == [mailbox]
