"""The transition table again, over HTTP: every status × action × role through the API is either
200 with the new status, or refused (403 not allowed, 404 not visible, 400 not an action of this
endpoint) with nothing changed. The expected table is the hand-written one in test_transitions."""

import pytest
from django.db import transaction
from django.test import Client

from notifications.models import Notification
from tests.tickets.test_transitions import ALLOWED, STATUSES, TARGET, _in_status
from tickets.models import Activity, Ticket

HUMAN_ROLES = ["customer", "voucher", "agent", "outsider"]
NOT_HERE = {"merge", "customer_reply"}  # their own endpoints: …/merge/ and …/comments/


def expected_code(action: str, status: str, role: str) -> int:
    if role == "outsider":
        return 404
    if action in NOT_HERE:
        return 400
    return 200 if role in ALLOWED.get((action, status), set()) else 403


@pytest.mark.django_db
@pytest.mark.parametrize("status", STATUSES)
def test_every_action_and_role_over_http(people, status):
    ticket = _in_status(status, people)
    clients = {}
    for role in HUMAN_ROLES:
        clients[role] = Client()
        clients[role].force_login(people[role])
    url = f"/api/v1/requests/{ticket.reference}/transitions/"
    for action in sorted(TARGET):
        for role in HUMAN_ROLES:
            code = expected_code(action, status, role)
            before = (
                Activity.objects.filter(ticket=ticket).count(),
                Notification.objects.count(),
                Ticket.objects.values_list("status", "version").get(pk=ticket.pk),
            )
            sid = transaction.savepoint()
            try:
                response = clients[role].post(
                    url,
                    {"action": action, "note": "Because.", "version": ticket.version},
                    content_type="application/json",
                )
                assert response.status_code == code, (status, action, role, response.content)
                if code == 200:
                    assert response.json()["status"] == TARGET[action]
                    assert response.json()["version"] == ticket.version + 1
                else:
                    after = (
                        Activity.objects.filter(ticket=ticket).count(),
                        Notification.objects.count(),
                        Ticket.objects.values_list("status", "version").get(pk=ticket.pk),
                    )
                    assert after == before, (status, action, role)
            finally:
                transaction.savepoint_rollback(sid)
