"""After-effects that other apps hang from a request's state changes, so the lifecycle needs to
know nothing of them (the reports' satisfaction survey hangs from the resolution)."""

from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

if TYPE_CHECKING:
    from .models import Ticket

# Sent inside ticket_transition's transaction when a request is resolved, before the resolution
# e-mail is stored (ticket=the resolved ticket). A receiver may return a dict: it is added to the
# e-mail's context (e.g. the survey's links).
ticket_resolved = Signal()


def ticket_resolved_effects(*, ticket: "Ticket") -> dict[str, Any]:
    """Run the receivers of a resolution; the e-mail context they add."""
    context: dict[str, Any] = {}
    for _receiver, response in ticket_resolved.send(sender=type(ticket), ticket=ticket):
        if isinstance(response, dict):
            context.update(response)
    return context
