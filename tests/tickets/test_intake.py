"""Requests an agent takes by phone or e-mail: the agents' rules, the caller's organisation and
site found as the agent types, the number to call back, and a "set your password" link for a
caller with no password."""

import re

import pytest
from django.urls import reverse

from accounts.models import Organization, User
from notifications.models import Notification
from tickets.intake import organization_for_intake, organizations_matching
from tickets.models import RequestType, Ticket

LOOKUP = reverse("agent:organization_lookup")


@pytest.fixture
def form_url(catalogue):
    request_type = RequestType.objects.get(desk__key="CCP", key="portal-error")
    assert request_type.fields.filter(kind="file").exists()
    return reverse("agent:ticket_create") + f"?type={request_type.pk}"


@pytest.fixture
def caller_data(provider):
    provider.sites.create(name="Eastside", address="9 East Road")
    return {
        "requester_email": "caller@example.org",
        "requester_name": "Cal Caller",
        "channel": "phone",
        "phone": "(512) 555-0134",
        "organization": "Sunny Days Child Care (CC-1)",
        "site": "eastside",
        "summary": "The attendance page shows an error",
        "description": "The caller sees an error when she opens attendance.",
        "browser": "chrome",
    }


def test_an_agent_files_without_files_and_keeps_the_number_to_call_back(client, tier1, form_url, caller_data,
                                                                         provider):  # fmt: skip
    client.force_login(tier1)
    response = client.post(form_url, caller_data)
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert (ticket.organization, ticket.site.name, ticket.channel, ticket.contact_phone) == (
        provider, "Eastside", "phone", "(512) 555-0134")  # fmt: skip
    page = client.get(reverse("agent:ticket_detail", args=[ticket.reference])).content.decode()
    assert 'href="tel:(512)555-0134"' in page


def test_the_portal_still_asks_customers_for_a_required_file(client, catalogue, customer):
    RequestType.objects.filter(desk__key="CCP", key="portal-error").update(audience="everyone")
    request_type = RequestType.objects.get(desk__key="CCP", key="portal-error")
    request_type.fields.filter(kind="file").update(required=True)
    client.force_login(customer)
    response = client.post(reverse("portal:request_create", args=["child-care-provider", "portal-error"]), {
        "summary": "Error", "description": "An error on the page.", "browser": "chrome"})  # fmt: skip
    assert response.status_code == 400 and b"Please attach at least one file." in response.content


def test_the_agents_form_leaves_a_required_file_optional(client, tier1, form_url, caller_data):
    RequestType.objects.get(desk__key="CCP", key="portal-error").fields.filter(kind="file").update(required=True)
    client.force_login(tier1)
    assert client.post(form_url, caller_data).status_code == 302


def test_a_caller_with_no_password_is_mailed_a_set_your_password_link(client, tier1, form_url, caller_data):
    client.force_login(tier1)
    client.post(form_url, caller_data)
    [mail] = Notification.objects.filter(kind="request_received", to_email="caller@example.org")
    assert mail.confidential
    assert "You do not have a password for the Help Center yet" in mail.body_text
    link = re.search(r"http://testserver(/accounts/claim/\S+)", mail.body_text).group(1)
    client.logout()
    page = client.get(link, follow=True)
    assert page.context["validlink"] and b"Set your password" in page.content


def test_a_caller_with_a_password_gets_the_usual_link(client, tier1, form_url, caller_data, customer):
    client.force_login(tier1)
    client.post(form_url, {**caller_data, "requester_email": customer.email})
    [mail] = Notification.objects.filter(kind="request_received", to_email=customer.email)
    assert "/accounts/claim/" not in mail.body_text and not mail.confidential


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "call me maybe", "Enter a phone number"),
    ("phone", "12", "Enter a phone number"),
    ("phone", "+1 512 555 0134 5555 5555 5555", "Enter a phone number"),
    ("organization", "Sunny", "No organisation matches this"),
    ("organization", "CC-404", "No organisation matches this"),
    ("site", "Nowhere", "has no site of this name"),
    ("channel", "fax", "Select a valid choice"),
])  # fmt: skip
def test_it_answers_bad_input_on_the_field(client, tier1, form_url, caller_data, field, value, message):
    client.force_login(tier1)
    response = client.post(form_url, {**caller_data, field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_errors"' in page and message in page
    assert not Ticket.objects.exists()


def test_a_site_needs_an_organisation(client, tier1, form_url, caller_data):
    client.force_login(tier1)
    response = client.post(form_url, {**caller_data, "organization": ""})
    assert response.status_code == 400 and "Choose the organisation first." in response.content.decode()


@pytest.mark.parametrize("phone", ["512-555-0134", "+34 912 345 678", "(512) 555.0134 ext. 12", "5125550134 x3"])
def test_it_takes_phone_numbers_as_people_write_them(client, tier1, form_url, caller_data, phone):
    client.force_login(tier1)
    assert client.post(form_url, {**caller_data, "phone": phone}).status_code == 302
    assert Ticket.objects.get().contact_phone == phone


def test_it_finds_organisations_by_id_label_or_exact_name(provider):
    assert organization_for_intake(text="CC-1") == provider
    assert organization_for_intake(text="Sunny Days Child Care (CC-1)") == provider
    assert organization_for_intake(text="sunny days child care") == provider
    assert organization_for_intake(text="Sunny") is None
    Organization.objects.filter(pk=provider.pk).update(is_active=False)
    assert organization_for_intake(text="CC-1") is None


def test_it_suggests_organisations_and_their_sites_to_agents_only(client, tier1, customer, provider, other_provider):
    assert [o.name for o in organizations_matching(query="days sunny")] == ["Sunny Days Child Care"]
    assert [o.name for o in organizations_matching(query="cc-")] == ["Elsewhere Kids", "Sunny Days Child Care"]
    client.force_login(tier1)
    data = client.get(LOOKUP, {"q": "sunny"}).json()
    assert data == {"organizations": [{"label": "Sunny Days Child Care (CC-1)", "sites": ["Main"]}]}
    assert client.get(LOOKUP, {"q": ""}).json() == {"organizations": []}
    client.force_login(customer)
    assert client.get(LOOKUP, {"q": "sunny"}).status_code == 404


def test_the_form_offers_the_phone_number_channel_and_searchable_organisation(client, tier1, form_url):
    client.force_login(tier1)
    page = client.get(form_url).content.decode()
    assert 'type="tel"' in page and 'list="organization-options"' in page and 'list="site-options"' in page
    assert reverse("agent:organization_lookup") in page
    assert User.objects.filter(email="caller@example.org").count() == 0
