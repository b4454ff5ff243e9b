"""The Django admin edits the whole model, for admins only."""

import pytest
from django.contrib import admin
from django.urls import reverse

REGISTERED = sorted((m._meta.app_label, m._meta.model_name) for m in admin.site._registry)


def test_every_domain_model_is_in_the_admin():
    expected = {
        ("accounts", "user"), ("accounts", "organization"), ("accounts", "membership"),
        ("tickets", "servicedesk"), ("tickets", "team"), ("tickets", "requesttypegroup"),
        ("tickets", "requesttype"), ("tickets", "ticket"), ("tickets", "activity"),
        ("tickets", "attachment"), ("tickets", "sensitivevalue"), ("tickets", "workitem"),
        ("tickets", "savedqueue"), ("tickets", "cannedresponse"), ("notifications", "notification"),
        ("mailin", "mailbox"), ("mailin", "inboundmessage"),
    }  # fmt: skip
    assert expected <= set(REGISTERED)


@pytest.mark.django_db
@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_an_admin_opens_every_list_and_add_page(client, superuser, catalogue, app_label, model_name):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200
    add = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code in (200, 403)  # 403 where adding by hand is refused (the outbox)


@pytest.mark.django_db
def test_an_admin_edits_a_request_type_with_its_fields(client, superuser, catalogue):
    from tickets.models import RequestType

    client.force_login(superuser)
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    assert client.get(reverse("admin:tickets_requesttype_change", args=[request_type.pk])).status_code == 200


@pytest.mark.django_db
def test_agents_and_customers_do_not_reach_the_admin(client, customer, tier1):
    for user in (customer, tier1):
        client.force_login(user)
        response = client.get(reverse("admin:tickets_ticket_changelist"))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
