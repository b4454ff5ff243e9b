"""A private Dovecot IMAP server for the inbound e-mail tests (shared/RECIPES.md, section 3).

One server per test module (`dovecot`); each test gets a fresh IMAP user, so its mailbox starts
empty without deleting anything (`imap_account`). Import both fixtures into a test module:

    from tests.imap_server import dovecot, imap_account  # noqa: F401
"""

import imaplib
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from tests.conftest import free_port, require

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USERS = 300  # accounts per server, one per test
PASSWORD = "secret-imap-pw"

CONFIG = """\
instance_name = dovecot-test-{port}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class DovecotServer:
    host = "127.0.0.1"

    def __init__(self, directory: Path, port: int, process: subprocess.Popen):
        self.directory, self.port, self.process = directory, port, process
        self._numbers = itertools.count(1)

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_user(self) -> tuple[str, str]:
        """The next unused IMAP account (its INBOX is empty). The accounts are all written before
        the server starts: Dovecot notices a changed passwd-file only by its mtime, in seconds."""
        number = next(self._numbers)
        if number > USERS:
            raise RuntimeError(f"the test server has only {USERS} accounts; raise USERS")
        return f"desk{number}", PASSWORD


@dataclass
class ImapAccount:
    """One IMAP user on the test server, with helpers to feed and inspect its INBOX."""

    server: DovecotServer
    username: str
    password: str

    @property
    def host(self):
        return self.server.host

    @property
    def port(self):
        return self.server.port

    def _connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.username, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """IMAP APPEND one message (unseen); returns its UID."""
        client = self._connect()
        try:
            typ, data = client.append(f'"{folder}"', None, imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK", data
            # "[APPENDUID <validity> <uid>] Append completed."
            return int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
        finally:
            client.logout()

    def create_folder(self, folder: str) -> None:
        client = self._connect()
        try:
            typ, data = client.create(f'"{folder}"')
            assert typ == "OK", data
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        """UID -> FLAGS of every message in the folder."""
        client = self._connect()
        try:
            typ, data = client.select(f'"{folder}"', readonly=True)
            if int(data[0]) == 0:
                return {}
            typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
            result = {}
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                if not line:
                    continue
                uid = re.search(rb"UID (\d+)", line)
                flags = re.search(rb"FLAGS \(([^)]*)\)", line)
                if uid and flags:
                    result[int(uid.group(1))] = flags.group(1).decode()
            return result
        finally:
            client.logout()

    def unseen(self, folder: str = "INBOX") -> list[int]:
        return [uid for uid, flags in self.flags(folder).items() if "\\Seen" not in flags]


def compose(
    *,
    sender="Carla Customer <customer@example.org>",
    subject="Printer is jammed",
    body="The printer in room 2 says paper jam.\n\nCarla\n",
    message_id=None,
    headers=(),
    attachments=(),
) -> bytes:
    """A mail as a real client writes it (CRLF, MIME, a Message-ID of the sender's domain)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = "support@csd.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.org")
    for name, value in headers:
        message[name] = value
    message.set_content(body)
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {port} within {timeout}s")


@pytest.fixture(scope="module")
def dovecot():
    """A private Dovecot on a free loopback port, stopped (and its directory removed) at the end."""
    require(Path(DOVECOT).exists(), f"dovecot not installed at {DOVECOT} (apt-get install dovecot-imapd)")
    require(os.geteuid() == 0, "the private dovecot instance needs root (it drops to nobody)")
    # Not pytest's tmp_path: /tmp/pytest-of-root is 0700 and Dovecot's auth process runs as
    # the dovecot user, so logins would fail with "Temporary authentication failure".
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    os.chmod(directory, 0o755)
    process = None
    try:
        for sub in ("run", "state", "mail"):
            (directory / sub).mkdir()
        shutil.chown(directory / "mail", "nobody", "nogroup")
        (directory / "users").write_text("".join(f"desk{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1)))
        port = free_port()
        conf = directory / "dovecot.conf"
        conf.write_text(CONFIG.format(d=directory, port=port))
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        server = DovecotServer(directory, port, process)
        try:
            _wait_for_port(port, process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{server.log()}") from exc
        yield server
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def imap_account(dovecot) -> ImapAccount:
    """A fresh IMAP user per test: an empty INBOX, no clean-up needed."""
    username, password = dovecot.add_user()
    return ImapAccount(dovecot, username, password)


def mailbox_for(account: ImapAccount, *, password: str | None = None):
    """The CSD desk's mailbox on this IMAP account (plain IMAP, general requests)."""
    from mailin.models import Mailbox
    from tickets.models import RequestType, ServiceDesk

    desk = ServiceDesk.objects.get(key="CSD")
    return Mailbox.objects.create(
        desk=desk, email_address="support@csd.example", host=account.host, port=account.port,
        security=Mailbox.Security.PLAIN, username=account.username,
        password=account.password if password is None else password,
        default_request_type=RequestType.objects.get(desk=desk, key="general-request"),
    )  # fmt: skip


@pytest.fixture
def mailbox(imap_account, catalogue):
    return mailbox_for(imap_account)
