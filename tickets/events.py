"""The one after-effects hook of a change to a request.

Every ticket service calls `ticket_event(activity=...)` right after it writes the Activity that
records the change, inside its transaction. Listeners (webhooks; later counters and report
tables) subscribe from their app's `ready()`, so this module imports none of them. A listener
runs in the change's transaction: whatever it stores (an outbox row) commits or rolls back with
the change, and anything it sends goes out after the commit (transaction.on_commit, as the outbox
does), so a rolled-back change never announces itself and a committed one is never lost.
"""

from collections.abc import Callable

from .models import Activity

Listener = Callable[[Activity], None]
_listeners: list[Listener] = []


def ticket_event_subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def ticket_event(*, activity: Activity) -> None:
    """Tell every listener what just happened to a request."""
    for listener in list(_listeners):
        listener(activity)
