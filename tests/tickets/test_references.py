"""References are unique and gap-free per desk under concurrent submissions."""

import threading

import pytest
from django.db import connection

from tickets.models import RequestType, ServiceDesk, Ticket
from tickets.services import ticket_submit
from tickets.values import SubmittedValues

SUBMISSIONS = 50


@pytest.mark.django_db(transaction=True)
def test_it_allocates_distinct_gap_free_references_under_concurrency(catalogue, customer):
    request_type = RequestType.objects.select_related("desk").get(desk__key="CSD", key="general-request")
    organization = customer.memberships.get().organization
    barrier = threading.Barrier(SUBMISSIONS)
    references, errors = [], []

    def submit(index):
        # Each thread has its own database connection (Django's are per thread).
        try:
            barrier.wait(timeout=30)
            ticket = ticket_submit(
                request_type=request_type,
                requester=customer,
                organization=organization,
                values=SubmittedValues(summary=f"Concurrent {index}", description="", fields={}, files={}),
            )
            references.append(ticket.reference)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(SUBMISSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(references, key=lambda r: int(r.split("-")[1])) == [f"CSD-{n}" for n in range(1, SUBMISSIONS + 1)]
    assert Ticket.objects.filter(desk__key="CSD").count() == SUBMISSIONS
    assert ServiceDesk.objects.get(key="CSD").last_number == SUBMISSIONS


@pytest.mark.django_db(transaction=True)
def test_it_gives_back_the_number_when_the_submission_rolls_back(catalogue, customer):
    from django.db import transaction

    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    values = SubmittedValues(summary="Rolled back", description="", fields={}, files={})
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_submit(request_type=request_type, requester=customer, values=values)
        raise RuntimeError
    ticket = ticket_submit(request_type=request_type, requester=customer, values=values)
    assert ticket.reference == "CSD-1"
