"""The lifecycle module: the status graph and its one service."""

import pytest

from notifications.models import Notification
from tickets import workflow
from tickets.models import Activity, RequestType, Ticket
from tickets.services import StaleVersion, TransitionNotAllowed, ticket_submit, ticket_transition
from tickets.values import SubmittedValues
from tickets.workflow import Role, Status


def test_every_status_is_reachable_or_initial():
    targets = {t.target for t in workflow.TRANSITIONS.values()}
    initial = {workflow.initial_status(needs_approval=True), workflow.initial_status(needs_approval=False)}
    assert set(Status.values) == targets | initial


def test_only_resolved_leads_on_from_a_finished_request():
    for status in (Status.CLOSED, Status.CANCELED, Status.DECLINED):
        assert workflow.available_transitions(status=status, roles=set(Role.values)) == []
    actions = {t.action for t in workflow.available_transitions(status=Status.RESOLVED, roles=set(Role.values))}
    assert actions == {"reopen", "close"}


def test_a_customer_reply_hands_a_waiting_request_back_to_support():
    (reply,) = [
        t
        for t in workflow.available_transitions(status=Status.WAITING_FOR_CUSTOMER, roles={Role.CUSTOMER})
        if t.action == "customer_reply"
    ]
    assert reply.target == Status.WAITING_FOR_SUPPORT


def _submit(customer, type_key="general-request", desk="CSD"):
    request_type = RequestType.objects.get(desk__key=desk, key=type_key)
    return ticket_submit(
        request_type=request_type,
        requester=customer,
        organization=customer.memberships.first().organization if customer.memberships.exists() else None,
        values=SubmittedValues(summary="Lifecycle", description="", fields={}, files={}),
    )


@pytest.mark.django_db
def test_it_starts_a_request_that_needs_approval_in_waiting_for_approval(catalogue, customer):
    ticket = _submit(customer, type_key="new-employee-access", desk="CCP")
    assert ticket.status == Status.WAITING_FOR_APPROVAL


@pytest.mark.django_db
def test_it_lets_the_requester_resolve_and_logs_it(catalogue, customer):
    ticket = _submit(customer)
    ticket = ticket_transition(ticket=ticket, action="resolve", actor=customer, expected_version=ticket.version)
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at is not None
    assert ticket.version == 2
    activity = Activity.objects.get(ticket=ticket, kind="status")
    assert (activity.old_value, activity.new_value, activity.actor) == ("waiting_for_support", "resolved", customer)


@pytest.mark.django_db
def test_it_refuses_a_customer_starting_progress_and_changes_nothing(catalogue, customer):
    ticket = _submit(customer)
    before = Notification.objects.count()
    with pytest.raises(TransitionNotAllowed):
        ticket_transition(ticket=ticket, action="start_progress", actor=customer)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    assert ticket.version == 1
    assert not Activity.objects.filter(ticket=ticket, kind="status").exists()
    assert Notification.objects.count() == before


@pytest.mark.django_db
def test_it_refuses_a_change_made_on_a_stale_version(catalogue, customer, tier1):
    ticket = _submit(customer)
    ticket_transition(ticket=ticket, action="start_progress", actor=tier1, expected_version=1)
    with pytest.raises(StaleVersion):
        ticket_transition(ticket=ticket, action="resolve", actor=customer, expected_version=1)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_it_hides_the_request_from_an_outsider_in_the_roles(catalogue, customer, outsider):
    from tickets.selectors import ticket_roles

    ticket = _submit(customer)
    assert ticket_roles(ticket=ticket, user=outsider) == frozenset()
    with pytest.raises(TransitionNotAllowed):
        ticket_transition(ticket=ticket, action="cancel", actor=outsider)
