"""Day one in the portal: a person in no organisation sends a general question, asks to join,
and their organisation's vouching roles (or an agent) answer from "Waiting for my approval"."""

import pytest
from django.urls import reverse

from accounts.joining import join_request_create
from accounts.models import JoinRequest, Membership, User
from tickets.models import RequestType, Ticket

JOIN = reverse("portal:join")
APPROVALS = reverse("portal:approvals")


@pytest.fixture
def newcomer(db):
    return User.objects.create_user(email="newcomer@example.org", password="pw-for-tests-1", full_name="Nina Newcomer")


def answer_url(join_request):
    return reverse("portal:join_request_answer", args=[join_request.pk])


@pytest.mark.parametrize("slug", ["child-care-provider", "customer-service", "edi-support"])
def test_a_newcomer_can_send_a_general_question_on_every_desk(client, catalogue, newcomer, slug):
    client.force_login(newcomer)
    page = client.get(reverse("portal:desk_detail", args=[slug]), {"group": "getting-started"}).content.decode()
    assert "A general question" in page and JOIN in page
    response = client.post(
        reverse("portal:request_create", args=[slug, "general-question"]),
        {"summary": "Where do I start?", "description": "I just signed up and work at a new centre."},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(requester=newcomer)
    assert (ticket.organization, ticket.status, ticket.request_type.key) == (None, "waiting_for_support",
                                                                           "general-question")  # fmt: skip


def test_a_desk_with_nothing_for_a_newcomer_says_why_and_how_to_join(client, catalogue, newcomer):
    RequestType.objects.filter(desk__key="EDI", audience="everyone").update(is_active=False)
    client.force_login(newcomer)
    page = client.get(reverse("portal:desk_detail", args=["edi-support"])).content.decode()
    assert "you do not belong to one here yet" in page and JOIN in page


def test_a_desk_for_other_kinds_of_organisations_says_so(client, catalogue, customer):
    RequestType.objects.filter(desk__key="EDI").exclude(audience="payer").update(is_active=False)
    client.force_login(customer)
    page = client.get(reverse("portal:desk_detail", args=["edi-support"])).content.decode()
    assert "serves other kinds of organisations than yours" in page


def test_the_home_page_shows_a_newcomer_the_way_in(client, catalogue, newcomer, customer):
    client.force_login(newcomer)
    assert "You do not belong to an organisation here yet" in client.get("/").content.decode()
    client.force_login(customer)
    assert "You do not belong to an organisation here yet" not in client.get("/").content.decode()


def test_a_newcomer_asks_to_join_and_sees_it_waiting(client, provider, voucher, newcomer):
    client.force_login(newcomer)
    response = client.post(JOIN, {"organization": "cc-1", "message": "Assistant teacher at Main."})
    assert response.status_code == 302
    assert JoinRequest.objects.get().organization == provider
    page = client.get(JOIN).content.decode()
    assert "We asked Sunny Days Child Care to approve you" in page and "Waiting for approval" in page


@pytest.mark.parametrize("query", ["CC-404", "Sunny", ""])
def test_it_answers_an_unknown_organisation_on_the_field(client, provider, newcomer, query):
    client.force_login(newcomer)
    response = client.post(JOIN, {"organization": query})
    assert response.status_code == 400
    assert 'id="id_organization_errors"' in response.content.decode()
    assert not JoinRequest.objects.exists()


def test_it_limits_lookups_per_person(client, provider, newcomer, settings):
    settings.RATELIMIT_JOIN_LOOKUP = "3/3600"
    client.force_login(newcomer)
    codes = [client.post(JOIN, {"organization": f"CC-{n}00"}).status_code for n in range(4)]
    assert codes == [400, 400, 400, 429]
    assert client.post(JOIN, {"organization": "CC-1"}).status_code == 429
    assert not JoinRequest.objects.exists()


def test_the_approvals_page_is_for_vouching_roles_and_agents(client, catalogue, customer, voucher, tier1, newcomer):
    join_request_create(user=newcomer, query="CC-1")
    client.force_login(customer)
    assert client.get(APPROVALS).status_code == 404
    for approver in (voucher, tier1):
        client.force_login(approver)
        page = client.get(APPROVALS).content.decode()
        assert "Nina Newcomer" in page and "newcomer@example.org" in page


def test_a_voucher_approves_from_the_list(client, provider, voucher, newcomer):
    join_request = join_request_create(user=newcomer, query="CC-1")
    client.force_login(voucher)
    response = client.post(answer_url(join_request), {"decision": "approve"})
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).organization == provider
    assert "Nina Newcomer is now a member of Sunny Days Child Care." in client.get(APPROVALS).content.decode()
    client.force_login(newcomer)
    home = client.get("/").content.decode()
    assert "Your requests to join" in home and "Approved" in home


def test_a_decline_without_a_note_is_shown_on_the_field(client, provider, voucher, newcomer):
    join_request = join_request_create(user=newcomer, query="CC-1")
    client.force_login(voucher)
    response = client.post(answer_url(join_request), {"decision": "decline", "note": ""})
    assert response.status_code == 400
    assert "Please say why" in response.content.decode()
    assert JoinRequest.objects.get().status == "pending"


@pytest.mark.parametrize("decision", ["maybe", ""])
def test_it_refuses_an_unknown_decision(client, provider, voucher, newcomer, decision):
    join_request = join_request_create(user=newcomer, query="CC-1")
    client.force_login(voucher)
    assert client.post(answer_url(join_request), {"decision": decision}).status_code == 400
    assert JoinRequest.objects.get().status == "pending"


@pytest.mark.parametrize("raw_id", ["0", "99999999", "99999999999999999999999"])
def test_it_answers_404_for_a_bad_id(client, provider, voucher, raw_id):
    client.force_login(voucher)
    assert client.post(reverse("portal:join_request_answer", args=[raw_id]), {"decision": "approve"}).status_code == 404


def test_another_organisations_director_cannot_answer(client, provider, other_provider, newcomer):
    other = User.objects.create_user(email="od@example.org", password="x", full_name="Other Director")
    Membership.objects.create(user=other, organization=other_provider, role=Membership.Role.SITE_ADMIN)
    join_request = join_request_create(user=newcomer, query="CC-1")
    client.force_login(other)
    assert client.post(answer_url(join_request), {"decision": "approve"}).status_code == 404
    assert "Nina" not in client.get(APPROVALS).content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_second_answer_is_told_it_was_answered(client, provider, voucher, newcomer):
    join_request = join_request_create(user=newcomer, query="CC-1")
    client.force_login(voucher)
    client.post(answer_url(join_request), {"decision": "decline", "note": "Not ours."})
    response = client.post(answer_url(join_request), {"decision": "approve"}, follow=True)
    assert "Someone already answered this request." in response.content.decode()
    assert JoinRequest.objects.get().status == "declined"


def test_a_vouching_role_sees_the_provider_id_and_sites_on_the_profile(client, provider, voucher, customer):
    provider.sites.create(name="Eastside", address="9 East Road")
    client.force_login(voucher)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "CC-1" in page and "Eastside" in page and "9 East Road" in page and "Main" in page
    client.force_login(customer)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "Sunny Days Child Care" in page and "CC-1" not in page and "9 East Road" not in page


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for url in (JOIN, APPROVALS):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_admin_shows_requests_to_join_read_only(client, provider, voucher, newcomer, superuser):
    join_request = join_request_create(user=newcomer, query="CC-1")
    client.force_login(superuser)
    assert client.get(reverse("admin:accounts_joinrequest_changelist"), {"status__exact": "pending"}).status_code == 200
    page = client.get(reverse("admin:accounts_joinrequest_change", args=[join_request.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
