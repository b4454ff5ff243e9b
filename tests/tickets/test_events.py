"""The after-effects hook of the ticket services (tickets.events): in-transaction listeners roll
back with the change; after-commit listeners hear only of committed changes, and one failing
does not stop the others or the change."""

import pytest
from django.db import transaction

from tickets.events import ticket_event_subscribe, ticket_event_unsubscribe
from tickets.models import Activity, Ticket
from tickets.services import ticket_comment


@pytest.fixture
def heard():
    calls = {"in": [], "after": []}

    def in_transaction(activity):
        calls["in"].append(activity.kind)

    def after_commit(activity):
        calls["after"].append(activity.kind)

    def broken(activity):
        raise RuntimeError("a listener with a bug")

    ticket_event_subscribe(in_transaction)
    ticket_event_subscribe(broken, after_commit=True)
    ticket_event_subscribe(after_commit, after_commit=True)
    yield calls
    for listener in (in_transaction, broken, after_commit):
        ticket_event_unsubscribe(listener)


@pytest.mark.django_db
def test_after_commit_listeners_hear_only_committed_changes(
    submit, customer, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = submit(customer)
        ticket_comment(ticket=ticket, author=customer, body="Hello")
        assert heard == {"in": ["created", "comment"], "after": []}  # not committed yet
    assert heard["after"] == ["created", "comment"]  # the broken one in between stopped nothing


@pytest.mark.django_db
def test_a_rolled_back_change_is_heard_in_the_transaction_only(
    submit, customer, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            submit(customer)
            raise RuntimeError("fails after the activity")
    assert heard["in"] == ["created"] and heard["after"] == []
    assert not Ticket.objects.exists() and not Activity.objects.exists()
