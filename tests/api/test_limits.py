"""Throttles and limits: every 429 says when to come back, bodies over the size limits are a
413, and every refusal has the one error shape."""

import pytest
from django.test import Client

from accounts.api_tokens import api_token_create
from tickets.models import RequestType

API = "/api/v1"
pytestmark = pytest.mark.usefixtures("catalogue")


def token_client(user, ip="198.51.100.30") -> Client:
    _token, key = api_token_create(user=user, name="limits")
    return Client(REMOTE_ADDR=ip, HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.django_db
def test_a_429_always_carries_retry_after_even_far_past_the_rate(customer, settings):
    settings.API_THROTTLE_USER = "10/min"
    settings.API_THROTTLE_ADDRESS = "100/min"
    client = token_client(customer)
    assert [client.get(f"{API}/desks/").status_code for _ in range(6)] == [200] * 6
    # The rate lowered under a client that already made more requests than it now allows: DRF's
    # own wait() is None here, and its 429 had no Retry-After.
    settings.API_THROTTLE_USER = "2/min"
    for _ in range(3):
        limited = client.get(f"{API}/desks/")
        assert limited.status_code == 429
        assert 1 <= int(limited["Retry-After"]) <= 60
        assert set(limited.json()) == {"detail"}


@pytest.mark.django_db
def test_the_address_limit_also_says_when(customer, colleague, settings):
    settings.API_THROTTLE_USER = "100/min"
    settings.API_THROTTLE_ADDRESS = "3/min"
    mine, theirs = token_client(customer), token_client(colleague)
    assert [mine.get(f"{API}/desks/").status_code for _ in range(3)] == [200] * 3
    limited = theirs.get(f"{API}/desks/")
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60


@pytest.mark.django_db
def test_a_body_over_the_size_limit_is_a_413_in_the_error_shape(customer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    client = token_client(customer)
    big = '{"request_type": "1", "fields": {"summary": "' + "x" * 5000 + '"}}'
    response = client.post(f"{API}/requests/", big, content_type="application/json")
    assert response.status_code == 413
    assert set(response.json()) == {"detail"}
    response = client.post(f"{API}/attachments/", {"note": "x" * 5000})
    assert response.status_code == 413 and set(response.json()) == {"detail"}


@pytest.mark.django_db
def test_every_refusal_has_the_one_shape(client, customer, outsider, submit):
    ticket = submit(customer)
    api = token_client(customer)
    url = f"{API}/requests/{ticket.reference}"
    refusals = {
        400: api.post(f"{API}/requests/", {"request_type": ""}, content_type="application/json"),
        401: Client().get(f"{API}/requests/"),
        403: api.post(f"{url}/approval/", {"decision": "approve"}, content_type="application/json"),
        404: token_client(outsider, ip="198.51.100.31").get(f"{url}/"),
        405: api.delete(f"{API}/desks/"),
        409: api.post(f"{url}/comments/", {"body": "x", "version": 99}, content_type="application/json"),
        415: api.post(f"{url}/comments/", "body=x", content_type="text/plain"),
    }
    for status, response in refusals.items():
        assert response.status_code == status, (status, response.content)
        assert response["Content-Type"] == "application/json", status
        body = response.json()
        if status == 400:
            assert body == {"request_type": ["This field may not be blank."]}
        else:
            assert set(body) == {"detail"} and body["detail"], status


@pytest.mark.django_db
def test_unknown_api_addresses_answer_the_apis_404(customer):
    api = token_client(customer)
    for path in ("nothing/", "requests/not-a-reference/", "request-types/abc/", "requests/CSD-1/nope/"):
        response = api.get(f"{API}/{path}")
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}, path
    assert RequestType.objects.exists()
