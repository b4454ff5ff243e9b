"""A submission's number of queries does not grow with the request type's fields or with the
tickets already stored: every value goes into the ticket row (or one bulk insert for the
sensitive ones), and nothing reads the tickets table beyond the new row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets.models import RequestField, RequestType, Ticket

CREATE_URL = reverse("portal:request_create", args=["customer-service", "general-request"])


def _add_fields(count: int, prefix: str) -> dict[str, str]:
    """`count` optional text fields on the general request, the last one sensitive; their values."""
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    values = {}
    for index in range(count):
        key = f"{prefix}-{index}"
        RequestField.objects.create(
            request_type=request_type, key=key, name=f"Extra {key}", sensitive=index == count - 1, position=100 + index
        )
        values[key] = f"value {key}"
    return values


def _queries_of_one_submission(client, values: dict[str, str], summary: str) -> int:
    data = {"summary": summary, "description": "Counting the queries of one submission.", **values}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(CREATE_URL, data)
    assert response.status_code == 302, response.content[:500]
    return len(queries)


@pytest.mark.django_db
def test_a_submission_makes_as_many_queries_whatever_the_fields_and_the_tickets(client, catalogue, customer, submit):
    client.force_login(customer)
    two = _add_fields(2, "a")
    client.post(CREATE_URL, {"summary": "Warm", "description": "The first one fills per-process caches.", **two})
    with_two_fields = _queries_of_one_submission(client, two, "Two fields")

    RequestField.objects.filter(key__startswith="a-").update(archived=True)
    nine = _add_fields(9, "b")
    with_nine_fields = _queries_of_one_submission(client, nine, "Nine fields")

    for index in range(30):
        submit(customer, summary=f"Earlier {index}")
    with_more_tickets = _queries_of_one_submission(client, nine, "Thirty tickets later")

    ticket = Ticket.objects.get(summary="Thirty tickets later")
    assert set(ticket.field_values) == set(nine) - {"b-8"}  # the sensitive one is stored apart
    assert with_two_fields == with_nine_fields == with_more_tickets
    assert with_two_fields <= 25
