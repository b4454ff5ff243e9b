"""The transition table, exhaustively: every status × action × role is either allowed, with its
side effects, or refused with nothing changed. The expected table is written out by hand here."""

import pytest
from django.db import transaction

from notifications.models import Notification
from tickets.models import Activity, RequestType, Ticket
from tickets.services import StaleVersion, TicketError, TransitionNotAllowed, ticket_submit, ticket_transition
from tickets.values import SubmittedValues
from tickets.workflow import TRANSITIONS, Status

WFA, WFS, IP, WFC = "waiting_for_approval", "waiting_for_support", "in_progress", "waiting_for_customer"
RES, CLO, CAN, DEC = "resolved", "closed", "canceled", "declined"

ALLOWED = {
    ("approve", WFA): {"voucher"},
    ("decline", WFA): {"voucher"},
    ("start_progress", WFS): {"agent"},
    ("stop_progress", IP): {"agent"},
    ("ask_customer", WFS): {"agent"},
    ("ask_customer", IP): {"agent"},
    ("customer_reply", WFC): {"customer"},
    ("resolve", WFS): {"agent", "customer"},
    ("resolve", IP): {"agent", "customer"},
    ("resolve", WFC): {"agent", "customer"},
    ("auto_resolve", WFC): {"system"},
    ("cancel", WFA): {"agent", "customer"},
    ("cancel", WFS): {"agent", "customer"},
    ("cancel", IP): {"agent", "customer"},
    ("cancel", WFC): {"agent", "customer"},
    ("reopen", RES): {"agent", "customer"},
    ("close", RES): {"agent", "system"},
    ("merge", WFA): {"agent"},
    ("merge", WFS): {"agent"},
    ("merge", IP): {"agent"},
    ("merge", WFC): {"agent"},
}
TARGET = {
    "approve": WFS, "decline": DEC, "start_progress": IP, "stop_progress": WFS, "ask_customer": WFC,
    "customer_reply": WFS, "resolve": RES, "auto_resolve": RES, "cancel": CAN, "reopen": WFS, "close": CLO,
    "merge": CLO,
}  # fmt: skip
ROLES = ["customer", "voucher", "agent", "system", "outsider"]
STATUSES = [WFA, WFS, IP, WFC, RES, CLO, CAN, DEC]


def test_the_table_here_matches_the_workflow_module():
    assert set(TRANSITIONS) == set(TARGET)
    for action, transition in TRANSITIONS.items():
        assert transition.target == TARGET[action]
        for status in Status.values:
            roles = set(transition.roles) if status in transition.sources else set()
            assert roles == ALLOWED.get((action, status), set()), (action, status)


def _in_status(status, people) -> Ticket:
    """Bring a request to a status through the real services."""
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    if status in (WFA, DEC):
        RequestType.objects.filter(pk=request_type.pk).update(needs_approval=True)
        request_type.refresh_from_db()
    customer, agent, voucher = people["customer"], people["agent"], people["voucher"]
    ticket = ticket_submit(
        request_type=request_type,
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary=f"In {status}", description="", fields={}, files={}),
    )
    steps = {
        WFA: [],
        WFS: [],
        IP: [("start_progress", agent)],
        WFC: [("ask_customer", agent)],
        RES: [("resolve", agent)],
        CLO: [("resolve", agent), ("close", agent)],
        CAN: [("cancel", customer)],
        DEC: [("decline", voucher)],
    }[status]
    for action, actor in steps:
        ticket = ticket_transition(ticket=ticket, action=action, actor=actor, note="Because.")
    assert ticket.status == status
    return ticket


@pytest.mark.django_db
@pytest.mark.parametrize("status", STATUSES)
def test_every_action_and_role_from_each_status(people, status):
    ticket = _in_status(status, people)
    for action, role in [(action, role) for action in sorted(TARGET) for role in ROLES]:
        actor = people[role]
        allowed = role in ALLOWED.get((action, status), set())
        before = (Activity.objects.filter(ticket=ticket).count(), Notification.objects.count())
        sid = transaction.savepoint()
        try:
            if allowed:
                result = ticket_transition(
                    ticket=ticket, action=action, actor=actor, note="Because.", expected_version=ticket.version
                )
                assert result.status == TARGET[action], (role, action, status)
                assert result.version == ticket.version + 1
                change = Activity.objects.filter(ticket=ticket, kind="status").latest("id")
                assert (change.old_value, change.new_value, change.actor) == (status, TARGET[action], actor)
            else:
                with pytest.raises(TransitionNotAllowed) as refused:
                    ticket_transition(ticket=ticket, action=action, actor=actor, note="Because.")
                assert refused.value.status_code == 403
                fresh = Ticket.objects.get(pk=ticket.pk)
                assert (fresh.status, fresh.version) == (status, ticket.version), (role, action, status)
                assert (Activity.objects.filter(ticket=ticket).count(), Notification.objects.count()) == before
        finally:
            transaction.savepoint_rollback(sid)


@pytest.mark.django_db
def test_a_public_transition_tells_the_participants_but_not_the_actor(people):
    ticket = _in_status(WFS, people)
    before = Notification.objects.filter(kind="status_changed").count()
    ticket_transition(ticket=ticket, action="start_progress", actor=people["agent"])
    assert Notification.objects.filter(kind="status_changed").count() == before + 1
    assert Notification.objects.filter(kind="status_changed").latest("created_at").to_email == people["customer"].email


@pytest.mark.django_db
def test_a_note_is_required_where_the_table_says_so(people):
    ticket = _in_status(WFS, people)
    with pytest.raises(TicketError):
        ticket_transition(ticket=ticket, action="ask_customer", actor=people["agent"], note=" ")
    assert Ticket.objects.get(pk=ticket.pk).status == WFS


@pytest.mark.django_db
def test_a_stale_version_is_refused_with_409(people):
    ticket = _in_status(WFS, people)
    ticket_transition(ticket=ticket, action="start_progress", actor=people["agent"], expected_version=1)
    with pytest.raises(StaleVersion) as stale:
        ticket_transition(ticket=ticket, action="resolve", actor=people["agent"], expected_version=1)
    assert stale.value.status_code == 409
