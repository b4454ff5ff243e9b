"""A second red team, over the doors added with the API, webhooks, joining, reports and the
catalogue editor: each test reproduces one finding (they fail on the code before the fix)."""

import pytest
from django.test import Client

from accounts.joining import join_requests_to_decide
from accounts.models import Membership, Organization, User
from configuration.offboarding import _members
from reports.filters import ReportFilterForm
from tickets.catalogue import CatalogueFileError, catalogue_parse
from tickets.models import RequestType, Ticket
from tickets.services import ticket_comment
from webhooks.payloads import activities_for_scope

pytestmark = pytest.mark.django_db
API = "/api/v1"


def api(user, method, url, body=None):
    client = Client()
    client.force_login(user)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def test_a_customer_scoped_webhook_never_reads_notes_when_the_requester_is_an_agent(submit, tier1, tier2, provider):
    Membership.objects.create(user=tier1, organization=provider, role="staff")
    ticket = submit(tier1, summary="Filed by an agent for herself")
    ticket_comment(ticket=ticket, author=tier2, body="INTERNAL: the child's diagnosis", internal=True)
    ticket = Ticket.objects.get(pk=ticket.pk)
    bodies = list(activities_for_scope(ticket=ticket, scope="customer").values_list("body", flat=True))
    assert not any("diagnosis" in body for body in bodies)
    assert any("diagnosis" in body for body in activities_for_scope(ticket=ticket, scope="agent").values_list(
        "body", flat=True))  # fmt: skip


def test_the_on_behalf_api_files_under_the_organisation_it_names_by_id(tier1, customer, provider):
    decoy = Organization.objects.create(name="Decoy Home Care", kind="provider", provider_id=str(provider.pk))
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    fields = {"summary": "Called", "description": "About the roster."}
    body = {"requester_email": customer.email, "channel": "phone", "organization": provider.pk,
            "request_type": request_type.pk, "fields": fields}  # fmt: skip
    answer = api(tier1, "post", f"{API}/requests/on-behalf/", body)
    assert answer.status_code == 201, answer.content
    assert Ticket.objects.get(reference=answer.json()["reference"]).organization == provider != decoy
    missing = api(tier1, "post", f"{API}/requests/on-behalf/", {**body, "organization": 999999})
    assert missing.status_code == 400 and "organization" in missing.json()


def test_offboarding_never_offers_a_director_or_someone_of_another_organisation(
    submit, customer, colleague, voucher, outsider, provider
):
    ticket = submit(colleague, summary="Staff terminated")
    Membership.objects.create(user=outsider, organization=provider, role="staff")
    offered = set(_members(ticket))
    assert customer in offered
    assert voucher not in offered and outsider not in offered and colleague not in offered


def test_nobody_answers_their_own_request_to_join(tier1, provider):
    from accounts.joining import join_request_create

    join = join_request_create(user=tier1, query=provider.provider_id)
    assert not join_requests_to_decide(user=tier1, agent=True).filter(pk=join.pk).exists()


def test_sharing_refuses_an_outsider_and_an_unknown_address_alike(submit, customer, outsider):
    ticket = submit(customer)
    url = f"{API}/requests/{ticket.reference}/participants/"
    known, unknown = (api(customer, "post", url, {"email": e}) for e in (outsider.email, "nobody@example.org"))
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()


def test_report_dates_far_away_are_a_field_error_not_a_500(tier1):
    form = ReportFilterForm({"date_from": "9999-12-20", "date_to": "9999-12-31", "period": "month"}, user=tier1)
    assert not form.is_valid() and "date_from" in form.errors
    client = Client()
    client.force_login(tier1)
    page = client.get("/agent/reports/", {"date_from": "9999-12-20", "date_to": "9999-12-31", "period": "month"})
    assert page.status_code == 400


def test_a_deeply_nested_or_oversized_catalogue_is_refused_with_a_message():
    from tickets.catalogue.validation import SLA_MINUTES_MAX

    for text in ("[" * 20000, "{" * 20000):
        with pytest.raises(CatalogueFileError):
            catalogue_parse(text)
    assert SLA_MINUTES_MAX < 2**31


def test_an_impossible_updated_since_is_a_400(customer):
    answer = api(customer, "get", f"{API}/requests/?scope=all&updated_since=2026-13-45T10:00:00")
    assert answer.status_code == 400 and "updated_since" in answer.json()


def test_the_people_editor_cannot_make_an_admin_of_its_user_or_switch_off_a_superuser(superuser, catalogue):
    from django.contrib.auth.models import Permission

    editor = User.objects.create_user(
        email="editor@example.org", password="pw-for-tests-1", full_name="Ed", is_staff=True
    )
    editor.user_permissions.add(Permission.objects.get(codename="change_user"))
    client = Client()
    client.force_login(editor)
    from tickets.models import Team

    team = Team.objects.filter(tier=2).first()
    client.post(f"/configure/people/{editor.pk}/", {"teams": [team.pk]})
    assert not editor.teams.exists()
    client.post(f"/configure/people/{superuser.pk}/deactivate/")
    superuser.refresh_from_db()
    assert superuser.is_active
