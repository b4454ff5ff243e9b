"""The one owner of the request lifecycle: statuses, transitions, who may make each.

Nothing else changes `Ticket.status`; `tickets.services.ticket_transition` applies these rules
and their side effects.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    WAITING_FOR_APPROVAL = "waiting_for_approval", _("Waiting for approval")
    WAITING_FOR_SUPPORT = "waiting_for_support", _("Waiting for support")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_CUSTOMER = "waiting_for_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELED = "canceled", _("Canceled")
    DECLINED = "declined", _("Declined")


OPEN_STATUSES = (
    Status.WAITING_FOR_APPROVAL,
    Status.WAITING_FOR_SUPPORT,
    Status.IN_PROGRESS,
    Status.WAITING_FOR_CUSTOMER,
)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.CANCELED, Status.DECLINED)


class Role(models.TextChoices):
    """Who is acting, relative to one ticket."""

    CUSTOMER = "customer", _("Customer")  # the requester or someone it is shared with
    VOUCHER = "voucher", _("Vouching role")  # site admin, site manager or lead director
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")  # scheduled jobs


@dataclass(frozen=True)
class Transition:
    action: str
    label: str | Promise
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    # A public transition is shown to the customer in the activity log and e-mailed to them.
    public: bool = True
    note_required: bool = False


S, R = Status, Role
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("approve", _("Approve"), (S.WAITING_FOR_APPROVAL,), S.WAITING_FOR_SUPPORT, frozenset({R.VOUCHER})),
        Transition(
            "decline", _("Decline"), (S.WAITING_FOR_APPROVAL,), S.DECLINED, frozenset({R.VOUCHER}), note_required=True
        ),
        Transition(
            "start_progress", _("Start progress"), (S.WAITING_FOR_SUPPORT,), S.IN_PROGRESS, frozenset({R.AGENT})
        ),
        Transition("stop_progress", _("Back to queue"), (S.IN_PROGRESS,), S.WAITING_FOR_SUPPORT, frozenset({R.AGENT})),
        Transition(
            "ask_customer",
            _("Ask the customer"),
            (S.WAITING_FOR_SUPPORT, S.IN_PROGRESS),
            S.WAITING_FOR_CUSTOMER,
            frozenset({R.AGENT}),
            note_required=True,
        ),
        # A customer's comment on a request waiting for them hands it back to support.
        Transition(
            "customer_reply", _("Reply"), (S.WAITING_FOR_CUSTOMER,), S.WAITING_FOR_SUPPORT, frozenset({R.CUSTOMER})
        ),
        Transition(
            "resolve",
            _("Resolve"),
            (S.WAITING_FOR_SUPPORT, S.IN_PROGRESS, S.WAITING_FOR_CUSTOMER),
            S.RESOLVED,
            frozenset({R.AGENT, R.CUSTOMER}),
        ),
        Transition(
            "auto_resolve", _("Resolve (no reply)"), (S.WAITING_FOR_CUSTOMER,), S.RESOLVED, frozenset({R.SYSTEM})
        ),
        Transition(
            "cancel",
            _("Cancel request"),
            (S.WAITING_FOR_APPROVAL, S.WAITING_FOR_SUPPORT, S.IN_PROGRESS, S.WAITING_FOR_CUSTOMER),
            S.CANCELED,
            frozenset({R.CUSTOMER, R.AGENT}),
        ),
        # The customer's reopen is further limited to the reopen window (settings.REOPEN_WINDOW_DAYS).
        Transition("reopen", _("Reopen"), (S.RESOLVED,), S.WAITING_FOR_SUPPORT, frozenset({R.CUSTOMER, R.AGENT})),
        Transition("close", _("Close"), (S.RESOLVED,), S.CLOSED, frozenset({R.AGENT, R.SYSTEM})),
        # A duplicate is closed into the request it repeats (tickets.merging.ticket_merge).
        Transition(
            "merge",
            _("Merge into another request"),
            (S.WAITING_FOR_APPROVAL, S.WAITING_FOR_SUPPORT, S.IN_PROGRESS, S.WAITING_FOR_CUSTOMER),
            S.CLOSED,
            frozenset({R.AGENT}),
            note_required=True,
        ),
    )
}


def initial_status(*, needs_approval: bool) -> str:
    """Where a new request starts: held for a vouching role, or straight to the team."""
    return Status.WAITING_FOR_APPROVAL if needs_approval else Status.WAITING_FOR_SUPPORT


def transition_for(action: str) -> Transition | None:
    return TRANSITIONS.get(action)


def available_transitions(*, status: str, roles: set[str] | frozenset[str]) -> list[Transition]:
    """The transitions these roles may make from this status, in table order."""
    return [t for t in TRANSITIONS.values() if status in t.sources and t.roles & set(roles)]


def transitions_offered(*, status: str, roles, resolved_at, now) -> list[Transition]:
    """What to offer these roles now: the allowed transitions, less a customer's reopen once the
    reopen window has passed (ticket_transition refuses it then too)."""
    return [
        t
        for t in available_transitions(status=status, roles=roles)
        if t.action != "reopen" or Role.AGENT in roles or reopen_window_open(resolved_at=resolved_at, now=now)
    ]


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def reopen_window_open(*, resolved_at, now) -> bool:
    """Customers may reopen a resolved request for settings.REOPEN_WINDOW_DAYS days."""
    from django.conf import settings

    return resolved_at is not None and now - resolved_at <= timedelta(days=settings.REOPEN_WINDOW_DAYS)
