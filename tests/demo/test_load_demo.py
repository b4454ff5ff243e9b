import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organization, User
from tickets.models import RequestField, RequestType, ServiceDesk, Team, Ticket

DEMO_USERS = [
    "admin@example.com",
    "tier1@example.com",
    "tier2@example.com",
    "customer@example.com",
    "colleague@example.com",
    "payer@example.com",
]


def _snapshot():
    return (
        ServiceDesk.objects.count(),
        Team.objects.count(),
        RequestType.objects.count(),
        RequestField.objects.count(),
        Organization.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )


@pytest.mark.django_db
def test_it_loads_the_demo_twice_without_duplicating(settings):
    settings.DEBUG = True
    call_command("load_demo")
    first = _snapshot()
    assert Ticket.objects.count() == 5
    assert set(Ticket.objects.values_list("status", flat=True)) == {
        "waiting_for_customer", "waiting_for_support", "resolved",
    }  # fmt: skip
    assert Ticket.objects.filter(tier=2).count() == 1
    call_command("load_demo")
    assert _snapshot() == first
    assert Ticket.objects.count() == 5
    assert set(ServiceDesk.objects.values_list("key", flat=True)) == {"CCP", "CSD", "EDI"}
    for desk in ServiceDesk.objects.all():
        assert set(desk.teams.values_list("tier", flat=True)) == {1, 2}


@pytest.mark.django_db
def test_it_gives_the_demo_users_their_roles_and_password(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "another-demo-pass"
    call_command("load_demo")
    for email in DEMO_USERS:
        assert authenticate(username=email, password="another-demo-pass") is not None, email
    customer = User.objects.get(email="customer@example.com")
    colleague = User.objects.get(email="colleague@example.com")
    assert customer.organizations.get() == colleague.organizations.get()
    assert customer.organizations.get().sites.count() == 2
    assert User.objects.get(email="payer@example.com").organizations.get().kind == "payer"
    assert User.objects.get(email="admin@example.com").is_staff
    assert Team.objects.filter(tier=2, members__email="tier2@example.com").count() == 3
    assert not Team.objects.filter(tier=2, members__email="tier1@example.com").exists()


@pytest.mark.django_db
def test_it_carries_the_rules_of_the_seeds():
    from tickets.catalogue import DEMO_CATALOGUE, catalogue_import, catalogue_load_file

    catalogue_import(data=catalogue_load_file(DEMO_CATALOGUE))
    provider_request = RequestType.objects.get(desk__key="EDI", key="provider-request")
    assert not provider_request.fields.get(key="description").required
    assert set(RequestType.objects.filter(desk__key="EDI", group__key="payer").values_list("audience", flat=True)) == {
        "payer"
    }
    terminated = RequestField.objects.filter(request_type__desk__key="CCP", key="last_day_of_employment").get()
    assert terminated.required and terminated.validation.get("not_in_future")
    for request_type in RequestType.objects.all():
        keys = list(request_type.fields.values_list("key", flat=True))
        assert keys[0] == "summary", request_type
        assert request_type.name_es, request_type


@pytest.mark.django_db
def test_it_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("load_demo")
    assert not User.objects.exists()
    call_command("load_demo", "--force")
    assert User.objects.filter(email="admin@example.com").exists()


@pytest.mark.django_db
def test_loading_the_demo_again_keeps_the_demo_users_signed_in(client, settings):
    settings.DEBUG = True
    call_command("load_demo")
    client.force_login(User.objects.get(email="customer@example.com"))
    assert client.get("/").status_code == 200
    call_command("load_demo")
    assert client.get("/").status_code == 200
