"""Home, My requests (scopes, filters, search, sorting), search, profile and language."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from tickets.models import RequestType, Ticket
from tickets.services import ticket_comment, ticket_share, ticket_submit, ticket_transition
from tickets.values import SubmittedValues


def submit(user, summary="Printer on fire", type_key="general-request", desk="CSD", description=""):
    membership = user.memberships.first()
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key=desk, key=type_key),
        requester=user,
        organization=membership.organization if membership else None,
        values=SubmittedValues(summary=summary, description=description, fields={}, files={}),
    )


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
def test_the_home_page_shows_desks_search_and_the_request_count(client, catalogue, customer):
    submit(customer)
    submit(customer)
    client.force_login(customer)
    page = client.get(reverse("portal:home")).content.decode()
    for text in ("Child Care Provider Help Desk", "Customer Service Desk", "EDI Support Desk", 'type="search"'):
        assert text in page
    assert 'aria-label="2 requests"' in page
    assert "Sign out" in page and reverse("portal:profile") in page


@pytest.mark.django_db
def test_the_organisation_scope_is_for_vouching_roles_only(client, catalogue, customer, colleague):
    ticket = submit(colleague, summary="Colleague's own request")
    client.force_login(customer)  # staff
    response = client.get(reverse("portal:request_list"), {"scope": "organization"})
    assert ticket.reference.encode() not in response.content
    assert client.get(reverse("portal:request_detail", args=[ticket.reference])).status_code == 404
    Membership.objects.filter(user=customer).update(role="site_manager")
    response = client.get(reverse("portal:request_list"), {"scope": "organization"})
    assert ticket.reference.encode() in response.content
    assert client.get(reverse("portal:request_detail", args=[ticket.reference])).status_code == 200


@pytest.mark.django_db
def test_it_filters_searches_and_sorts_my_requests(client, catalogue, customer):
    first = submit(customer, summary="Alpha password reset")
    second = submit(customer, summary="Beta billing question")
    third = submit(customer, summary="Gamma EDI file", type_key="provider-request", desk="EDI")
    ticket_transition(ticket=second, action="resolve", actor=customer)
    client.force_login(customer)
    url = reverse("portal:request_list")

    def refs(**params):
        body = client.get(url, params).content.decode()
        return [t.reference for t in (first, second, third) if f">{t.reference}<" in body]

    assert refs(status="open") == [first.reference, third.reference]
    assert refs(status="resolved") == [second.reference]
    assert refs(desk="edi-support") == [third.reference]
    assert refs(q="billing") == [second.reference]
    assert refs(q=first.reference.lower()) == [first.reference]
    body = client.get(url, {"sort": "summary"}).content.decode()
    assert body.index("Alpha") < body.index("Beta") < body.index("Gamma")
    body = client.get(url, {"sort": "-created"}).content.decode()
    assert body.index("Gamma") < body.index("Alpha")


@pytest.mark.django_db
def test_bad_filters_get_a_400_not_a_500(client, catalogue, customer):
    client.force_login(customer)
    response = client.get(reverse("portal:request_list"), {"status": "nonsense", "desk": "nowhere", "sort": "x"})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


@pytest.mark.django_db
def test_it_paginates_and_keeps_the_filters(client, catalogue, customer):
    for index in range(30):
        submit(customer, summary=f"Request number {index}")
    client.force_login(customer)
    page = client.get(reverse("portal:request_list"), {"q": "Request number"}).content.decode()
    assert "Page 1" in page
    assert "q=Request+number&amp;page=2" in page


@pytest.mark.django_db
def test_the_list_runs_the_same_queries_for_one_row_as_for_fifty(client, catalogue, customer):
    client.force_login(customer)
    submit(customer)
    one = _queries(client, reverse("portal:request_list"))
    for index in range(49):
        submit(customer, summary=f"More {index}")
    assert Ticket.objects.count() == 50
    assert _queries(client, reverse("portal:request_list")) == one


@pytest.mark.django_db
def test_the_request_page_runs_the_same_queries_for_one_comment_as_for_fifty(client, catalogue, customer, colleague):
    ticket = submit(customer)
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    ticket_comment(ticket=ticket, author=customer, body="one")
    client.force_login(customer)
    url = reverse("portal:request_detail", args=[ticket.reference])
    one = _queries(client, url)
    for index in range(49):
        ticket_comment(ticket=ticket, author=colleague if index % 2 else customer, body=f"comment {index}")
    assert _queries(client, url) == one


@pytest.mark.django_db
def test_search_finds_my_requests_and_never_another_organisations(client, catalogue, customer, outsider):
    mine = submit(customer, summary="Invoice mismatch in March", description="The totals differ.")
    theirs = submit(outsider, summary="Invoice mismatch at Elsewhere")
    client.force_login(customer)
    page = client.get(reverse("portal:search"), {"q": "invoice mismatch"}).content.decode()
    assert mine.reference in page
    assert theirs.reference not in page and "Elsewhere" not in page
    page = client.get(reverse("portal:search"), {"q": theirs.reference}).content.decode()
    assert theirs.reference not in page.split("Your requests")[1]


@pytest.mark.django_db
def test_the_language_switch_is_remembered_on_the_user(client, catalogue, customer):
    client.force_login(customer)
    response = client.post(reverse("portal:set_language"), {"language": "es", "next": "/requests/"})
    assert response.status_code == 302
    assert response["Location"] == "/requests/"
    customer.refresh_from_db()
    assert customer.language == "es"
    assert client.get(reverse("portal:home"))["Content-Language"] == "es"


@pytest.mark.django_db
def test_the_language_switch_refuses_foreign_redirects(client):
    response = client.post(reverse("portal:set_language"), {"language": "es", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get(reverse("accounts:login"))["Content-Language"] == "es"


@pytest.mark.django_db
def test_the_profile_saves_name_and_language(client, customer):
    client.force_login(customer)
    response = client.post(reverse("portal:profile"), {"full_name": "Carla C.", "language": "es"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.full_name, customer.language) == ("Carla C.", "es")
    response = client.post(reverse("portal:profile"), {"full_name": "", "language": "xx"})
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/requests/%00/", "/requests/CSD-1%00/", "/agent/tickets/%00/", "/requests/CSD-1'--/"]
)
def test_odd_references_are_a_404(client, customer, path):
    client.force_login(customer)
    assert client.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("staged", ["²", "9" * 5000, "-1", "abc"])
def test_odd_staged_ids_are_ignored(client, catalogue, customer, staged):
    client.force_login(customer)
    url = reverse("portal:request_create", args=["customer-service", "general-request"])
    response = client.post(url, {"summary": "Odd ids", "description": "d", "attachments__staged": staged})
    assert response.status_code == 302
    assert not Ticket.objects.get().attachments.exists()


@pytest.mark.django_db
def test_search_returns_only_matching_requests(client, catalogue, customer):
    submit(customer, summary="Printer on fire")
    match = submit(customer, summary="Invoice missing", description="March invoice never arrived")
    client.force_login(customer)
    page = client.get(reverse("portal:search"), {"q": "invoice"}).content.decode()
    results = page.split("Your requests")[1]
    assert match.reference in results
    assert "Printer on fire" not in results
    assert "CSD-1" not in results
    page = client.get(reverse("portal:search"), {"q": "Zebra-Quartz-42"}).content.decode()
    assert "CSD-" not in page.split("Your requests")[1]
