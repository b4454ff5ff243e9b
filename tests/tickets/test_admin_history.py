"""The admin cannot destroy or rewrite a request's history: tickets, activities, sensitive values
and attachments are not deletable or movable there, and deleting a person, a site, a desk, a type
or a team that history points at shows Django's "protected objects" page instead."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import Site, User
from tickets.attachments import attachment_stage
from tickets.models import (
    Activity,
    Attachment,
    RequestType,
    SensitiveValue,
    ServiceDesk,
    Team,
    Ticket,
    WorkItem,
)
from tickets.services import ticket_assign, ticket_change_type, ticket_comment, ticket_share, ticket_submit
from tickets.values import SubmittedValues
from tickets.work_items import work_item_create, work_item_link


def submit(customer, type_key="staff-terminated", desk="CCP", **fields) -> Ticket:
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key=desk, key=type_key),
        requester=customer,
        organization=customer.memberships.get().organization,
        site=customer.memberships.get().organization.sites.first(),
        values=SubmittedValues(summary="A leaver", description="d", fields=fields, files={}),
    )


@pytest.fixture
def history(customer, colleague, tier1, tier2):
    """One request with everything history holds: a sensitive value, a shared colleague, a reply
    with a file by Tier I, an assignment of Tier I by Tier II, a work item."""
    ticket = submit(customer, employee_full_name="Ann Smith", employee_email="ann@example.org")
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    upload = ContentFile(b"log line\n", name="log.txt")
    ticket_comment(
        ticket=ticket, author=tier1, body="See the log", uploads=[attachment_stage(uploaded_by=tier1, upload=upload)]
    )
    ticket_assign(ticket=ticket, actor=tier2, assignee=tier1)
    work_item_link(ticket=ticket, actor=tier2, work_item=work_item_create(actor=tier2, title="Sync", kind="bug"))
    return ticket


def counts():
    return {model.__name__: model.objects.count() for model in (Ticket, Activity, SensitiveValue, Attachment, WorkItem)}


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Ticket, Activity, SensitiveValue, Attachment, WorkItem])
def test_it_refuses_to_delete_history_rows(client, superuser, history, model):
    client.force_login(superuser)
    before = counts()
    row = model.objects.first()
    url = reverse(f"admin:tickets_{model._meta.model_name}_delete", args=[row.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:tickets_{model._meta.model_name}_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    client.post(changelist, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Ticket, Activity, SensitiveValue, Attachment])
def test_history_rows_are_shown_not_added_or_changed(client, superuser, history, model):
    client.force_login(superuser)
    name = model._meta.model_name
    row = model.objects.first()
    assert client.get(reverse(f"admin:tickets_{name}_change", args=[row.pk])).status_code == 200
    assert client.get(reverse(f"admin:tickets_{name}_add")).status_code == 403
    assert client.post(reverse(f"admin:tickets_{name}_add"), {}).status_code == 403


@pytest.mark.django_db
def test_an_attachment_cannot_be_moved_onto_another_request(client, superuser, history, outsider, catalogue):
    other = submit(outsider, type_key="general-request", desk="CSD")
    attachment = Attachment.objects.get()
    client.force_login(superuser)
    url = reverse("admin:tickets_attachment_change", args=[attachment.pk])
    response = client.post(
        url,
        {"ticket": other.pk, "activity": other.activities.get().pk, "uploaded_by": outsider.pk,
         "original_name": "x.txt", "content_type": "text/plain", "size": 1},
    )  # fmt: skip
    assert response.status_code == 403
    attachment.refresh_from_db()
    assert (attachment.ticket, attachment.uploaded_by, attachment.original_name) == (
        history,
        attachment.uploaded_by,
        "log.txt",
    )


@pytest.mark.django_db
def test_work_item_links_and_status_are_not_edited_in_the_admin(client, superuser, history):
    item = WorkItem.objects.get()
    client.force_login(superuser)
    url = reverse("admin:tickets_workitem_change", args=[item.pk])
    response = client.post(url, {"title": "Renamed", "kind": "bug", "status": "done", "tickets": [], "description": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status, list(item.tickets.all())) == ("Renamed", "open", [history])


def _delete_is_protected(client, model_admin: str, pk) -> None:
    response = client.post(reverse(f"admin:{model_admin}_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 200, response.status_code
    assert response.context["protected"], "nothing protected it"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer", "colleague", "tier1", "tier2"])
def test_deleting_a_person_in_the_history_shows_the_protected_page(client, superuser, history, request, who):
    """Requester, shared colleague, agent who replied with a file and was assigned, agent who
    assigned: deleting any of them would rewrite who did what."""
    person = request.getfixturevalue(who)
    client.force_login(superuser)
    before = counts()
    _delete_is_protected(client, "accounts_user", person.pk)
    assert User.objects.filter(pk=person.pk).exists()
    assert counts() == before
    assert history.participants.count() == 2


@pytest.mark.django_db
def test_deleting_configuration_that_history_points_at_shows_the_protected_page(client, superuser, history, tier1):
    client.force_login(superuser)
    # A type with no request left (its one request was filed under another type) still holds
    # the field its values were given in.
    retyped = submit(history.requester, type_key="portal-error", browser="chrome")
    ticket_change_type(
        ticket=retyped, actor=tier1, request_type=RequestType.objects.get(desk__key="CCP", key="other-issue")
    )
    left_behind = RequestType.objects.get(desk__key="CCP", key="portal-error")
    assert not left_behind.tickets.exists()
    before = counts()
    cases = [
        ("accounts_organization", history.organization_id),
        ("tickets_servicedesk", history.desk_id),
        ("tickets_requesttype", history.request_type_id),
        ("tickets_requesttype", left_behind.pk),
        ("tickets_team", history.team_id),
    ]
    for model_admin, pk in cases:
        _delete_is_protected(client, model_admin, pk)
    assert counts() == before
    assert Site.objects.filter(pk=history.site_id).exists() and ServiceDesk.objects.filter(pk=history.desk_id).exists()
    assert Team.objects.filter(pk=history.team_id).exists() and RequestType.objects.filter(pk=left_behind.pk).exists()
    retyped.refresh_from_db()
    assert retyped.field_values["browser"]["field"] in set(left_behind.fields.values_list("pk", flat=True))


@pytest.mark.django_db
def test_deleting_a_site_of_a_request_in_its_organisation_page_is_refused(client, superuser, history):
    from tests.tickets.admin_forms import admin_form_data, inline_prefix

    client.force_login(superuser)
    url = reverse("admin:accounts_organization_change", args=[history.organization_id])
    page = client.get(url)
    data = admin_form_data(page)
    data[f"{inline_prefix(page, Site, pk=history.site_id)}-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Site.objects.filter(pk=history.site_id).exists()
    history.refresh_from_db()
    assert history.site_id is not None
