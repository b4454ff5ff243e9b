"""People in the editor: organisations, sites, members and roles, agents' teams, deactivation
that ends sessions and API tokens at once and keeps the requests, and the one-click offboarding a
resolved "Staff terminated" request offers its Tier II agent."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.api_tokens import api_token_create, api_token_user
from accounts.models import Membership, Organization, Site, User, UserSession
from tickets.models import Activity, Team, Ticket
from tickets.services import ticket_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def _signed_in(user) -> Client:
    other = Client()
    assert other.login(email=user.email, password="pw-for-tests-1")
    return other


def test_only_staff_with_the_people_permission_reach_it(client, customer, tier2, catalogue):
    for person in (customer, tier2):
        client.force_login(person)
        assert client.get(reverse("configuration:people")).status_code == 404
        assert client.get(reverse("configuration:person_detail", args=[customer.pk])).status_code == 404


def test_it_finds_people_and_organisations(admin_client, customer, provider):
    page = admin_client.get(reverse("configuration:people"), {"q": "CUSTOMER@example.org"}).content.decode()
    assert "Carla Customer" in page
    page = admin_client.get(reverse("configuration:people"), {"q": "Sunny"}).content.decode()
    assert "Sunny Days Child Care" in page


def test_an_admin_creates_an_organisation_with_sites_and_members(admin_client, customer):
    response = admin_client.post(
        reverse("configuration:organization_new"), {"name": "Tiny Steps", "kind": "provider", "provider_id": "CC-9"}
    )
    organization = Organization.objects.get(provider_id="CC-9")
    assert response.status_code == 302
    url = reverse("configuration:organization_edit", args=[organization.pk])
    data = {"name": "Tiny Steps", "kind": "provider", "provider_id": "CC-9", "is_active": "on",
            "sites-TOTAL_FORMS": "1", "sites-INITIAL_FORMS": "0",
            "sites-0-name": "North", "sites-0-address": "1 North Rd", "sites-0-is_primary": "on"}  # fmt: skip
    assert admin_client.post(url, data).status_code == 302
    north = Site.objects.get(organization=organization)
    assert north.is_primary
    # A second site made primary: the first one stops being primary.
    data.update({"sites-TOTAL_FORMS": "2", "sites-INITIAL_FORMS": "1", "sites-0-id": north.pk,
                 "sites-1-name": "South", "sites-1-is_primary": "on"})  # fmt: skip
    data.pop("sites-0-is_primary")
    assert admin_client.post(url, data).status_code == 302
    assert organization.sites.get(is_primary=True).name == "South"
    # Two primaries are refused with a message, not a crash.
    data.update({"sites-TOTAL_FORMS": "3", "sites-INITIAL_FORMS": "2", "sites-0-is_primary": "on",
                 "sites-1-id": organization.sites.get(name="South").pk, "sites-2-name": "", })  # fmt: skip
    response = admin_client.post(url, data)
    assert response.status_code == 400 and "exactly one site" in response.content.decode()

    add = reverse("configuration:member_add", args=[organization.pk])
    response = admin_client.post(add, {"member-email": " Customer@Example.org ", "member-role": "site_manager"})
    assert response.status_code == 302
    membership = Membership.objects.get(organization=organization, user=customer)
    assert membership.role == "site_manager"
    response = admin_client.post(add, {"member-email": "nobody@example.org", "member-role": "staff"})
    assert response.status_code == 400 and "Nobody has an account" in response.content.decode()
    edit = reverse("configuration:membership_edit", args=[membership.pk])
    south = organization.sites.get(name="South")
    admin_client.post(edit, {f"m{membership.pk}-role": "staff", f"m{membership.pk}-sites": [south.pk]})
    assert Membership.objects.get(pk=membership.pk).role == "staff"
    assert list(membership.sites.all()) == [south]
    other_site = Site.objects.create(organization=Organization.objects.create(name="Other"), name="Elsewhere")
    admin_client.post(edit, {f"m{membership.pk}-role": "site_admin", f"m{membership.pk}-sites": [other_site.pk]})
    assert Membership.objects.get(pk=membership.pk).role == "staff"  # refused: not a site of this organisation
    admin_client.post(edit, {"action": "remove"})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_sets_an_agents_teams(admin_client, tier1):
    tier2_teams = list(Team.objects.filter(tier=2).values_list("pk", flat=True))
    url = reverse("configuration:person_detail", args=[tier1.pk])
    assert admin_client.post(url, {"teams": tier2_teams}).status_code == 302
    assert set(tier1.teams.values_list("pk", flat=True)) == set(tier2_teams)
    assert admin_client.post(url, {"teams": ["abc"]}).status_code == 400


def test_deactivating_ends_sessions_and_tokens_at_once_and_keeps_requests(admin_client, customer, submit):
    ticket = submit(customer, summary="Still here afterwards")
    browser = _signed_in(customer)
    assert browser.get(reverse("portal:home")).status_code == 200
    _token, key = api_token_create(user=customer, name="script")
    assert api_token_user(key=key) == customer
    assert UserSession.objects.filter(user_id=customer.pk).exists()
    url = reverse("configuration:person_deactivate", args=[customer.pk])
    assert "Deactivate Carla Customer?" in admin_client.get(url).content.decode()
    response = admin_client.post(url, follow=True)
    assert "1 sessions ended, 1 API tokens revoked" in response.content.decode()
    assert not User.objects.get(pk=customer.pk).is_active
    assert not UserSession.objects.filter(user_id=customer.pk).exists()
    assert api_token_user(key=key) is None
    assert browser.get(reverse("portal:home")).status_code == 302  # signed out
    assert Ticket.objects.filter(pk=ticket.pk, requester=customer).exists()


def test_an_admin_cannot_deactivate_themselves(admin_client, superuser):
    admin_client.post(reverse("configuration:person_deactivate", args=[superuser.pk]))
    assert User.objects.get(pk=superuser.pk).is_active


@pytest.fixture
def former(provider):
    """The employee who left: a member of the customer's organisation, signed in somewhere."""
    user = User.objects.create_user(email="dana@example.org", password="pw-for-tests-1", full_name="Dana Example")
    Membership.objects.create(user=user, organization=provider, role="staff")
    return user


def _terminated(submit, voucher, **fields):
    ticket = submit(voucher, desk="CCP", key="staff-terminated", summary="Remove access for a former teacher",
                    description="Please switch her off.", last_day_of_employment="2026-11-27", **fields)  # fmt: skip
    return ticket


def _resolve(ticket, agent):
    ticket_transition(ticket=ticket, action="resolve", actor=agent, note="Done.")
    return Ticket.objects.get(pk=ticket.pk)


def test_a_resolved_staff_terminated_request_offers_tier_two_a_confirmed_deactivation(
    submit, voucher, former, tier1, tier2
):
    ticket = _terminated(submit, voucher, employee_full_name="  dana   EXAMPLE ")
    browser = _signed_in(former)
    page = reverse("agent:ticket_detail", args=[ticket.reference])
    offboard = reverse("configuration:offboard", args=[ticket.reference])
    agent = _signed_in(tier2)
    assert "Deactivate the named member" not in agent.get(page).content.decode()  # not resolved yet
    ticket = _resolve(ticket, tier2)
    assert "Deactivate the named member" in agent.get(page).content.decode()
    tier_one = _signed_in(tier1)
    assert "Deactivate the named member" not in tier_one.get(page).content.decode()
    assert tier_one.post(offboard, {"user": former.pk}).status_code == 302
    assert User.objects.get(pk=former.pk).is_active

    confirm = agent.post(offboard)
    assert confirm.status_code == 200 and "Yes, deactivate Dana Example" in confirm.content.decode()
    assert Activity.objects.filter(ticket=ticket, kind="reveal", actor=tier2).exists()  # the look is audited
    assert User.objects.get(pk=former.pk).is_active  # not before the confirmation
    response = agent.post(offboard, {"user": former.pk}, follow=True)
    assert "Dana Example is deactivated" in response.content.decode()
    assert not User.objects.get(pk=former.pk).is_active
    assert browser.get(reverse("portal:home")).status_code == 302
    logged = Activity.objects.get(ticket=ticket, kind="member_deactivated")
    assert logged.actor == tier2 and logged.visibility == "internal" and logged.data["user"] == former.pk
    assert "Dana" not in str(logged.data) + logged.body + logged.new_value  # the name stays sensitive
    assert "member this request names is deactivated" in agent.get(page).content.decode()


def test_the_member_is_found_by_e_mail_and_only_inside_the_requests_organisation(
    submit, voucher, former, outsider, tier2
):
    ticket = _resolve(_terminated(submit, voucher, employee_full_name="Someone Else",
                                  employee_email="DANA@example.org"), tier2)  # fmt: skip
    agent = _signed_in(tier2)
    offboard = reverse("configuration:offboard", args=[ticket.reference])
    assert "Yes, deactivate Dana Example" in agent.post(offboard).content.decode()
    # Someone of another organisation is never deactivated from it, even by id.
    agent.post(offboard, {"user": outsider.pk})
    assert User.objects.get(pk=outsider.pk).is_active
    assert not Activity.objects.filter(kind="member_deactivated").exists()
    assert agent.post(offboard, {"user": "x"}).status_code == 302


def test_an_agent_or_admin_named_in_the_request_is_not_offered(submit, voucher, provider, tier2):
    Membership.objects.create(user=tier2, organization=provider, role="staff")
    ticket = _resolve(_terminated(submit, voucher, employee_full_name=tier2.full_name), tier2)
    response = _signed_in(tier2).post(reverse("configuration:offboard", args=[ticket.reference]))
    assert "No active member of the organisation matches" in response.content.decode()


def test_other_types_offer_nothing_and_strangers_get_404(submit, customer, tier2, outsider):
    ticket = _resolve(submit(customer, desk="CCP", key="portal-error", summary="x", browser="edge"), tier2)
    agent = _signed_in(tier2)
    assert (
        "Deactivate the named member"
        not in agent.get(reverse("agent:ticket_detail", args=[ticket.reference])).content.decode()
    )
    response = agent.post(reverse("configuration:offboard", args=[ticket.reference]), follow=True)
    assert "does not offer a deactivation" in response.content.decode()
    stranger = _signed_in(outsider)
    assert stranger.post(reverse("configuration:offboard", args=[ticket.reference])).status_code == 404
    assert Client().post(reverse("configuration:offboard", args=[ticket.reference])).status_code == 404


def test_staff_who_may_manage_only_people_land_on_the_people_pages(client, catalogue):
    from django.contrib.auth.models import Permission

    staff = User.objects.create_user(email="hr@example.org", password="x", full_name="HR", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_user"))
    client.force_login(staff)
    response = client.get(reverse("configuration:index"))
    assert response.status_code == 302 and response["Location"] == reverse("configuration:people")
    assert client.get(reverse("configuration:people")).status_code == 200
    assert client.get(reverse("configuration:catalogue_file")).status_code == 404
