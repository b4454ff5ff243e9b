"""The outbox's channels: e-mail here, others (webhooks) registered by the apps that own them.

Every channel shares the outbox's row, claim, retry and sweep (notifications.services); a channel
only says how one message is sent and which settings set its retries and queue. The outbox
imports no other app: a channel registers itself from its app's `ready()`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from .models import Notification

Sender = Callable[["Notification"], None]

EMAIL = "email"


class PermanentFailure(Exception):
    """Raised by a channel's sender when trying again cannot help (the target is refused or
    gone): the message is marked failed at once, for an admin to look at."""


@dataclass(frozen=True)
class Channel:
    name: str
    # Sends one message; raises on failure (PermanentFailure: do not retry).
    send: Sender
    # Settings read at call time: <prefix>_MAX_ATTEMPTS, _RETRY_BASE_SECONDS, _RETRY_MAX_SECONDS
    # and (optional) _QUEUE, the Celery queue its sends go to ("" or unset: the default one).
    settings_prefix: str

    def setting(self, suffix: str, default: Any = None) -> Any:
        return getattr(settings, f"{self.settings_prefix}_{suffix}", default)

    @property
    def max_attempts(self) -> int:
        return int(self.setting("MAX_ATTEMPTS"))

    @property
    def retry_base_seconds(self) -> float:
        return float(self.setting("RETRY_BASE_SECONDS"))

    @property
    def retry_max_seconds(self) -> float:
        return float(self.setting("RETRY_MAX_SECONDS"))

    @property
    def queue(self) -> str | None:
        return str(self.setting("QUEUE", "")) or None


_channels: dict[str, Channel] = {}


def channel_register(*, name: str, send: Sender, settings_prefix: str) -> None:
    _channels[name] = Channel(name=name, send=send, settings_prefix=settings_prefix)


def channel_get(name: str) -> Channel:
    """The channel of this name; KeyError for one no app registered."""
    return _channels[name]


def channels_all() -> list[Channel]:
    return list(_channels.values())
