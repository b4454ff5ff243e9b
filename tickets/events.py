"""The after-effects hooks of a change to a request: `ticket_event` for every change, and the
`ticket_resolved` signal whose receivers add to the resolution e-mail.

Every ticket service calls `ticket_event(activity=...)` right after it writes the Activity that
records the change, inside its transaction. Listeners subscribe from their app's `ready()`, so
this module imports none of them, in one of two ways:

- in the transaction (the default): what the listener stores commits or rolls back with the
  change. Webhooks store their outbox rows this way, as e-mail does, and those are sent after the
  commit by the outbox (transaction.on_commit): a rolled-back change never announces itself, and
  a process dying right after the commit loses nothing;
- after the commit (`after_commit=True`): called through transaction.on_commit with the entry
  read again, for what needs only committed state and may be lost in a crash (counters, caches).
  A failing one is logged; it never breaks the change, which is already committed.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

from .models import Activity, Ticket

logger = logging.getLogger(__name__)

Listener = Callable[[Activity], object]  # what a listener returns is ignored
_in_transaction: list[Listener] = []
_after_commit: list[Listener] = []


def ticket_event_subscribe(listener: Listener, *, after_commit: bool = False) -> None:
    listeners = _after_commit if after_commit else _in_transaction
    if listener not in listeners:
        listeners.append(listener)


def ticket_event_unsubscribe(listener: Listener) -> None:
    for listeners in (_in_transaction, _after_commit):
        if listener in listeners:
            listeners.remove(listener)


def ticket_event(*, activity: Activity) -> None:
    """Tell every listener what just happened to a request."""
    for listener in list(_in_transaction):
        listener(activity)
    if _after_commit:
        activity_id = activity.pk
        transaction.on_commit(lambda: _announce_committed(activity_id))


def _announce_committed(activity_id: int) -> None:
    activity = Activity.objects.select_related("ticket").filter(pk=activity_id).first()
    if activity is None:
        return
    for listener in list(_after_commit):
        try:
            listener(activity)
        except Exception:  # noqa: BLE001 - the change is committed; one listener must not stop the others
            logger.exception("after-commit listener %r failed for activity %s", listener, activity_id)


# Sent inside ticket_transition's transaction when a request is resolved, before the resolution
# e-mail is stored (ticket=the resolved ticket). A receiver may return a dict: it is added to the
# e-mail's context (e.g. the reports' satisfaction survey links).
ticket_resolved = Signal()


def ticket_resolved_effects(*, ticket: Ticket) -> dict[str, Any]:
    """Run the receivers of a resolution; the e-mail context they add."""
    context: dict[str, Any] = {}
    for _receiver, response in ticket_resolved.send(sender=type(ticket), ticket=ticket):
        if isinstance(response, dict):
            context.update(response)
    return context
