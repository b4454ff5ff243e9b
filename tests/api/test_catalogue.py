"""The catalogue: desks, the request types open to the caller (the portal's own rule) and each
type's create form, in the caller's language."""

import pytest
from django.test import Client

from accounts.api_tokens import api_token_create
from accounts.models import Membership, Organization, Site, User
from tickets.models import RequestType

API = "/api/v1"
pytestmark = pytest.mark.usefixtures("catalogue")


def _portal_types(client, slug: str) -> set[str]:
    response = client.get(f"/desks/{slug}/")
    assert response.status_code == 200
    return {t.key for _group, types in response.context["groups"] for t in types}


def _api_types(client, key: str) -> set[str]:
    body = client.get(f"{API}/desks/{key}/request-types/").json()
    return {t["key"] for group in body["groups"] for t in group["request_types"]}


@pytest.fixture
def payer_user(db):
    payer = Organization.objects.create(name="Lone Star Plan", kind="payer", provider_id="P-1")
    user = User.objects.create_user(email="payer@example.org", password="pw-for-tests-1", full_name="Pat Payer")
    Membership.objects.create(user=user, organization=payer, role="staff")
    return user


@pytest.fixture
def newcomer(db):
    return User.objects.create_user(email="new@example.org", password="pw-for-tests-1", full_name="Nico New")


@pytest.mark.django_db
def test_it_lists_the_desks_in_the_portals_order(client, customer):
    client.force_login(customer)
    body = client.get(f"{API}/desks/").json()
    assert [d["key"] for d in body] == ["CCP", "CSD", "EDI"]
    assert body[0]["request_types_url"].endswith("/api/v1/desks/CCP/request-types/")
    assert Client().get(f"{API}/desks/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer", "payer_user", "newcomer"])
def test_it_offers_exactly_the_types_the_portal_offers(client, who, request):
    client.force_login(request.getfixturevalue(who))
    for key, slug in (("CCP", "child-care-provider"), ("CSD", "customer-service"), ("EDI", "edi-support")):
        assert _api_types(client, key) == _portal_types(client, slug), (who, key)
    # The audiences really differ, so the comparison means something.
    assert ("payer-sftp-issue" in _api_types(client, "EDI")) is (who == "payer_user")
    if who == "newcomer":
        assert _api_types(client, "CCP") == {"new-provider-sso", "new-employee-access", "general-question"}


@pytest.mark.django_db
def test_types_come_in_their_groups_with_their_help(client, customer):
    client.force_login(customer)
    body = client.get(f"{API}/desks/ccp/request-types/").json()
    assert body["desk"]["key"] == "CCP"
    group = body["groups"][0]
    assert (group["key"], group["name"]) == ("portal-access", "Provider portal access")
    first = group["request_types"][0]
    assert first["key"] == "additional-roles"
    assert first["summary"].startswith("You already have portal access")
    assert first["meaning"] and first["when_to_use"]
    assert client.get(f"{API}/desks/NOPE/request-types/").status_code == 404


@pytest.mark.django_db
def test_a_type_shows_its_create_form_with_the_portals_rules(client, customer):
    client.force_login(customer)
    request_type = RequestType.objects.get(desk__key="CCP", key="staff-terminated")
    body = client.get(f"{API}/request-types/{request_type.pk}/").json()
    fields = {f["key"]: f for f in body["fields"]}
    assert list(fields)[:2] == ["summary", "description"]
    assert fields["summary"]["required"] is True
    assert fields["summary"]["validation"]["max_length"] == 255
    assert fields["employee_full_name"]["sensitive"] is True
    assert fields["last_day_of_employment"]["type"] == "date"
    assert fields["last_day_of_employment"]["validation"] == {"format": "YYYY-MM-DD", "not_in_future": True}
    assert fields["attachments"]["type"] == "file" and fields["attachments"]["required"] is False
    assert fields["attachments"]["validation"]["max_bytes"] > 0
    assert "site" not in fields  # one site: nothing to choose

    portal_error = RequestType.objects.get(desk__key="CCP", key="portal-error")
    form = client.get(f"{API}/request-types/{portal_error.pk}/").json()["fields"]
    browser = next(f for f in form if f["key"] == "browser")
    assert browser["type"] == "choice" and {"value": "chrome", "label": "Chrome"} in browser["choices"]


@pytest.mark.django_db
def test_a_type_not_open_to_the_caller_is_a_404(client, customer):
    client.force_login(customer)
    payer_type = RequestType.objects.get(desk__key="EDI", key="payer-sftp-issue")
    assert client.get(f"{API}/request-types/{payer_type.pk}/").status_code == 404
    RequestType.objects.filter(key="staff-terminated").update(is_active=False)
    inactive = RequestType.objects.get(desk__key="CCP", key="staff-terminated")
    assert client.get(f"{API}/request-types/{inactive.pk}/").status_code == 404
    assert client.get(f"{API}/request-types/999999999/").status_code == 404


@pytest.mark.django_db
def test_people_with_several_sites_choose_one(client, customer, provider):
    east = Site.objects.create(organization=provider, name="East")
    client.force_login(customer)
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    fields = {f["key"]: f for f in client.get(f"{API}/request-types/{request_type.pk}/").json()["fields"]}
    assert fields["site"]["type"] == "site" and fields["site"]["required"] is True
    assert str(east.pk) in {c["value"] for c in fields["site"]["choices"]}


@pytest.mark.django_db
def test_a_token_caller_gets_their_profiles_language(customer):
    customer.language = "es"
    customer.save(update_fields=["language"])
    _token, key = api_token_create(user=customer, name="es")
    request_type = RequestType.objects.get(desk__key="CCP", key="staff-terminated")
    response = Client().get(f"{API}/request-types/{request_type.pk}/", HTTP_AUTHORIZATION=f"Token {key}")
    body = response.json()
    assert body["name"] == "Baja de un empleado"
    assert body["fields"][0]["label"] == "Resumen"
    assert response["Content-Language"] == "es"
    # The refusals too.
    response = Client().get(f"{API}/request-types/999999999/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404 and response.json()["detail"] != "Not found."
