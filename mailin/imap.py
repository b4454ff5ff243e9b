"""A small IMAP client over imaplib: log in, list unseen mail, fetch it without marking it
read, and flag it \\Seen once our copy is committed."""

import imaplib
import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


class ImapError(Exception):
    """The server refused, or could not be reached; the message says what happened."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # "ssl", "starttls" or "plain"
    username: str
    password: str
    folder: str = "INBOX"
    timeout: float = 30.0


def _quote(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._/-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapSession:
    def __init__(self, client: imaplib.IMAP4):
        self.client = client

    def _ok(self, call: Callable[[], tuple[str, list[Any]]], what: str) -> list[Any]:
        try:
            typ, data = call()
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{what}: {exc or exc.__class__.__name__}") from exc
        if typ != "OK":
            detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
            raise ImapError(f"{what}: {typ} {detail}".strip())
        return data

    def unseen_uids(self, *, limit: int) -> list[bytes]:
        """UIDs of the unseen mail, oldest first."""
        data = self._ok(lambda: self.client.uid("SEARCH", None, "UNSEEN"), "SEARCH")  # type: ignore[arg-type]
        uids = (data[0] or b"").split() if data else []
        return sorted(uids, key=int)[:limit]

    def size(self, uid: bytes) -> int:
        data = self._ok(lambda: self.client.uid("FETCH", uid.decode(), "(RFC822.SIZE)"), "FETCH size")
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            found = re.search(rb"RFC822\.SIZE (\d+)", line or b"")
            if found:
                return int(found.group(1))
        return 0

    def fetch(self, uid: bytes, *, headers_only: bool = False) -> bytes | None:
        """The raw message (PEEK: it stays unseen); None when it vanished meanwhile."""
        section = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        data = self._ok(lambda: self.client.uid("FETCH", uid.decode(), f"({section})"), "FETCH")
        for item in data:
            if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def mark_seen(self, uid: bytes) -> None:
        self._ok(lambda: self.client.uid("STORE", uid.decode(), "+FLAGS.SILENT", r"(\Seen)"), "STORE")


@contextmanager
def imap_session(config: ImapSettings) -> Iterator[ImapSession]:
    """Logged in, with the folder selected for writing; logs out however the block ends."""
    client: imaplib.IMAP4
    try:
        if config.security == "ssl":
            client = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=ssl.create_default_context(), timeout=config.timeout
            )
        else:
            client = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"cannot connect to {config.host}:{config.port}: {exc}") from exc
    if config.security == "starttls":
        try:
            client.starttls(ssl_context=ssl.create_default_context())
        except BaseException as exc:
            # Not logged in, so no LOGOUT: just do not leave the socket open.
            client.shutdown()
            if isinstance(exc, OSError | imaplib.IMAP4.error):
                raise ImapError(f"STARTTLS with {config.host}:{config.port} failed: {exc}") from exc
            raise
    try:
        try:
            client.login(config.username, config.password)
        except imaplib.IMAP4.error as exc:
            raise ImapError(f"login refused for {config.username}: {exc}") from exc
        except OSError as exc:
            raise ImapError(f"connection lost during login: {exc}") from exc
        session = ImapSession(client)
        session._ok(lambda: client.select(_quote(config.folder)), f"SELECT {config.folder}")
        yield session
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
