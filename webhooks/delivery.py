"""Sending one webhook: the outbox's "webhook" channel (registered in apps.py).

The outbox claims the row, counts the attempt and retries with backoff (notifications.services);
this module makes the POST and logs each try. The address is checked again at every send and the
connection goes to the checked address; redirects are never followed (a 3xx is a failure).
"""

import http.client
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from notifications.channels import PermanentFailure
from notifications.models import Notification

from .models import DeliveryAttempt, Endpoint
from .signing import SecretUnreadable, secret_decrypt, signature
from .targets import RefusedTarget, Target, target_check

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 1000
READ_LIMIT_BYTES = 64 * 1024  # of an answer: the log keeps an excerpt, the rest is not wanted
USER_AGENT = "Helpdesk-Webhooks/1"


class DeliveryFailed(Exception):
    """The receiver did not take the delivery (no answer, or not a 2xx); the outbox retries."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def _connect_to_checked(target: Target, timeout: float) -> Callable[..., socket.socket]:
    """http.client's connect, only ever to the addresses target_check() approved."""

    def create_connection(
        address: tuple[str, int], timeout: float = timeout, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        error: OSError | None = None
        for checked in target.addresses:
            try:
                return socket.create_connection((checked, target.port), timeout, source_address)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    return create_connection


def http_post(*, target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST the body to the checked target; the answer's status and the start of its body."""
    connection: http.client.HTTPConnection
    if target.https:
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # TLS still verifies the certificate against the host name (SNI too): only the socket's
    # address is ours to choose.
    # http.client opens its socket through this attribute (undocumented, stable since 3.0).
    connection._create_connection = _connect_to_checked(target, timeout)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout * 2
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        chunks, size = [], 0
        while size < READ_LIMIT_BYTES and time.monotonic() < deadline:
            chunk = response.read1(READ_LIMIT_BYTES - size) if hasattr(response, "read1") else response.read()
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return Answer(status=response.status, excerpt=b"".join(chunks).decode("utf-8", "replace")[:EXCERPT_CHARS])
    finally:
        connection.close()


def delivery_headers(*, notification: Notification, secret: str, body: bytes, timestamp: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Helpdesk-Event": notification.kind,
        "X-Helpdesk-Delivery": str(notification.pk),
        "X-Helpdesk-Timestamp": timestamp,
        "X-Helpdesk-Signature": f"sha256={signature(secret=secret, timestamp=timestamp, body=body)}",
    }


def _log(*, endpoint: Endpoint, notification: Notification, started: float, at: datetime, **outcome: Any) -> None:
    DeliveryAttempt.objects.create(
        endpoint=endpoint,
        notification=notification,
        event=notification.kind,
        attempt=notification.attempts,
        attempted_at=at,
        duration_ms=int((time.monotonic() - started) * 1000),
        **outcome,
    )


def webhook_send(notification: Notification) -> None:
    """The channel's sender: one signed POST, logged; raises when the receiver did not take it."""
    endpoint = Endpoint.objects.filter(pk=notification.target).first()
    if endpoint is None:
        raise PermanentFailure("the endpoint was deleted")
    at, started = timezone.now(), time.monotonic()
    if not endpoint.is_active:
        _log(endpoint=endpoint, notification=notification, started=started, at=at, error="endpoint inactive")
        raise PermanentFailure("the endpoint is not active")
    try:
        secret = secret_decrypt(endpoint.secret_encrypted)
        target = target_check(endpoint.url)  # DNS asked again: what was public at save may not be now
    except (RefusedTarget, SecretUnreadable) as exc:
        _log(endpoint=endpoint, notification=notification, started=started, at=at, error=str(exc)[:500])
        raise PermanentFailure(str(exc)) from exc
    body = notification.body_text.encode()
    timestamp = str(int(time.time()))
    headers = delivery_headers(notification=notification, secret=secret, body=body, timestamp=timestamp)
    try:
        answer = http_post(target=target, body=body, headers=headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS)
    except (OSError, http.client.HTTPException) as exc:
        _log(endpoint=endpoint, notification=notification, started=started, at=at, error=repr(exc)[:500])
        raise DeliveryFailed(repr(exc)) from exc
    succeeded = 200 <= answer.status < 300
    _log(endpoint=endpoint, notification=notification, started=started, at=at, status_code=answer.status,
         succeeded=succeeded, response_excerpt=answer.excerpt)  # fmt: skip
    if not succeeded:
        raise DeliveryFailed(f"the receiver answered {answer.status}")
