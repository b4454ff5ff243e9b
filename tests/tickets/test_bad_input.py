"""Regressions for the 500s the fuzz test (tests/tickets/test_fuzz.py) found: ids, references and
"next" addresses from user input are parsed, never handed raw to the database or to reverse()."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tickets.forms import parse_id, parse_reference, safe_next_url
from tickets.models import Activity, RequestType, Ticket
from tickets.services import ticket_submit
from tickets.values import SubmittedValues
from tickets.work_items import work_item_create


@pytest.fixture(autouse=True)
def _english_afterwards():
    """Requests here switch people to Spanish; the test client leaves the last request's
    language active in this thread, so put English back for the tests that follow."""
    yield
    translation.activate("en")


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("12", 12), (" 12 ", 12), (12, 12), ("abc", None), ("", None), (None, None), ("-1", None), ("0", None),
     ("1.5", None), ("1e3", None), ("99999999999999999999", None), ("9223372036854775807", 2**63 - 1),
     ("١٢", None), ("²", None), ("1\x00", None)],
)  # fmt: skip
def test_parse_id_takes_only_a_plain_positive_id(raw, parsed):
    assert parse_id(raw) == parsed


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("CSD-12", "CSD-12"), (" csd-012 ", "CSD-12"), ("CSD-12\x00", None), ("abc", None), ("", None), (None, None)],
)
def test_parse_reference_normalises_or_refuses(raw, parsed):
    assert parse_reference(raw) == parsed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("/agent/queues/mine/?desk=x", "/agent/queues/mine/?desk=x"), ("abc", "/d/"), ("", "/d/"), (None, "/d/"),
     ("//evil.example/", "/d/"), ("https://evil.example/", "/d/"), ("/\\\\evil.example", "/d/"),
     ("/a\x00b", "/d/"), ("/a\r\nSet-Cookie: x=1", "/d/"), ("javascript:alert(1)", "/d/")],
)  # fmt: skip
def test_safe_next_url_keeps_only_a_path_on_this_site(raw, expected):
    request = RequestFactory().post("/")
    assert safe_next_url(raw, request=request, default="/d/") == expected


def _ticket(customer) -> Ticket:
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="Bulk", description="d", fields={}, files={}),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("work_item", ["abc", "", "-1", "1.5", "99999999999999999999", "1\x00"])
def test_bulk_linking_a_work_item_with_a_bad_id_is_refused_not_a_500(client, customer, tier2, work_item):
    ticket = _ticket(customer)
    work_item_create(actor=tier2, title="Sync", kind="bug")
    client.force_login(tier2)
    response = client.post(
        reverse("agent:bulk"), {"action": "work_item", "work_item": work_item, "tickets": [ticket.reference]}
    )
    assert response.status_code == 302
    assert not Activity.objects.filter(ticket=ticket, kind="work_item").exists()
    assert "Not possible for" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["abc", "a\x00b", "/a\r\nb", "//evil.example/"])
def test_bulk_goes_home_for_a_next_address_that_is_not_ours(client, tier1, catalogue, next_url):
    client.force_login(tier1)
    response = client.post(reverse("agent:bulk"), {"action": "assign_me", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("agent:home")


@pytest.mark.django_db
def test_bulk_refuses_a_ticked_reference_with_a_nul(client, customer, tier1):
    ticket = _ticket(customer)
    client.force_login(tier1)
    response = client.post(reverse("agent:bulk"), {"action": "assign_me", "tickets": ["CSD-1\x00", ticket.reference]})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == tier1


@pytest.mark.django_db
@pytest.mark.parametrize("type_id", ["abc", " ", "1.5", "-1", "99999999999999999999"])
def test_the_on_behalf_form_with_a_bad_type_shows_the_type_picker(client, tier1, catalogue, type_id):
    client.force_login(tier1)
    response = client.get(reverse("agent:ticket_create"), {"type": type_id})
    assert response.status_code == 200
    assert "agent/create_pick_type.html" in [t.name for t in response.templates]


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["abc", "a\x00b", "/a\nb", "https://evil.example/"])
def test_switching_language_with_a_bad_next_address_goes_home(client, customer, next_url):
    client.force_login(customer)
    response = client.post(reverse("portal:set_language"), {"language": "es", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"
    customer.refresh_from_db()
    assert customer.language == "es"
