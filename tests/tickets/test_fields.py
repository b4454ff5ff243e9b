"""Field values name their field; marking a field sensitive (or not) moves every stored value."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tickets.fields import request_field_set_sensitive
from tickets.models import Activity, RequestField, RequestType, SensitiveValue, Ticket
from tickets.selectors import queue_export_rows, ticket_field_rows_keyed
from tickets.services import sensitive_values_reveal, ticket_change_type, ticket_submit
from tickets.values import SubmittedValues


def submit(customer, type_key="mobile-sign-in", fields=None, desk="CSD") -> Ticket:
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key=desk, key=type_key),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="App sign-in fails", description="d", fields=fields or {}, files={}),
    )


def field(type_key, key, desk="CSD") -> RequestField:
    return RequestField.objects.get(request_type__desk__key=desk, request_type__key=type_key, key=key)


def rows(ticket) -> dict:
    ticket.refresh_from_db()
    return {row["key"]: (row["label"], row["value"]) for row in ticket_field_rows_keyed(ticket=ticket)}


@pytest.mark.django_db
def test_it_stores_the_field_id_with_every_value(customer, catalogue):
    ticket = submit(customer, fields={"phone_type": "ios"})
    phone = field("mobile-sign-in", "phone_type")
    assert ticket.field_values == {
        "phone_type": {"field": phone.pk, "label": "Phone type", "value": "ios", "display": "iPhone or iPad"}
    }


@pytest.mark.django_db
def test_old_values_keep_their_field_label_and_choice_labels_after_a_type_change(customer, tier1, catalogue):
    ticket = submit(customer, fields={"phone_type": "ios"})
    # The new type has its own field with the same key, labelled differently.
    other = field("mobile-visit-sync", "phone_type")
    other.name = "Device"
    other.choices = [{"value": "ios", "label": "Apple device"}]
    other.save()
    ticket_change_type(ticket=ticket, actor=tier1, request_type=other.request_type)
    assert rows(ticket) == {"phone_type": ("Phone type", "iPhone or iPad")}
    with translation.override("es"):
        assert rows(ticket) == {"phone_type": ("Tipo de teléfono", "iPhone o iPad")}


@pytest.mark.django_db
def test_a_value_whose_field_is_unknown_is_never_shown(customer, catalogue):
    ticket = submit(customer, fields={"phone_type": "ios"})
    Ticket.objects.filter(pk=ticket.pk).update(
        field_values={
            "phone_type": {"label": "Phone type", "value": "ios"},  # no field id
            "legacy": {"field": 999999, "label": "Gone", "value": "x"},  # no such field
            "odd": "not an item",
            "flag": {"field": True, "label": "Bool id", "value": "y"},
        }
    )
    assert rows(ticket) == {}


@pytest.mark.django_db
def test_marking_moves_every_stored_value_whatever_the_tickets_type_is_now(customer, tier1, tier2, catalogue):
    phone = field("mobile-sign-in", "phone_type")
    first = submit(customer, fields={"phone_type": "ios"})
    moved_away = submit(customer, fields={"phone_type": "android"})
    ticket_change_type(
        ticket=moved_away, actor=tier1, request_type=field("mobile-visit-sync", "phone_type").request_type
    )
    # Same key, another field: not this field's value, so it stays where it is.
    unrelated = submit(customer, type_key="mobile-visit-sync", fields={"phone_type": "other"})
    untouched = submit(customer, fields={})

    assert request_field_set_sensitive(field=phone, sensitive=True, actor=tier2) == 2

    phone.refresh_from_db()
    assert phone.sensitive
    for ticket, value, display in ((first, "ios", "iPhone or iPad"), (moved_away, "android", "Android")):
        assert rows(ticket) == {}
        assert "phone_type" not in ticket.field_values
        stored = SensitiveValue.objects.get(ticket=ticket)
        assert (stored.field, stored.field_key, stored.label, stored.value, stored.display) == (
            phone,
            "phone_type",
            "Phone type",
            value,
            display,
        )
        (logged,) = Activity.objects.filter(ticket=ticket, kind="field_sensitivity")
        assert (logged.actor, logged.visibility, logged.old_value, logged.new_value) == (
            tier2,
            "internal",
            "public",
            "sensitive",
        )
        assert logged.data == {"field": phone.pk, "key": "phone_type", "label": "Phone type"}
        assert [v.value for v in sensitive_values_reveal(ticket=ticket, actor=tier2)] == [value]
    assert rows(unrelated) == {"phone_type": ("Phone type", "Other")}
    assert not SensitiveValue.objects.filter(ticket__in=[unrelated, untouched]).exists()
    assert not Activity.objects.filter(ticket__in=[unrelated, untouched], kind="field_sensitivity").exists()
    # A new request files the value on the sensitive side from the start.
    fresh = submit(customer, fields={"phone_type": "ios"})
    assert fresh.field_values == {} and SensitiveValue.objects.get(ticket=fresh).field == phone


@pytest.mark.django_db
def test_unmarking_moves_the_values_back_as_they_were(customer, tier1, tier2, catalogue):
    phone = field("mobile-sign-in", "phone_type")
    ticket = submit(customer, fields={"phone_type": "ios"})
    before = Ticket.objects.get(pk=ticket.pk).field_values
    request_field_set_sensitive(field=phone, sensitive=True, actor=tier2)
    assert request_field_set_sensitive(field=phone, sensitive=False, actor=tier2) == 1
    ticket.refresh_from_db()
    assert ticket.field_values == before
    assert not SensitiveValue.objects.exists()
    assert list(
        Activity.objects.filter(ticket=ticket, kind="field_sensitivity").values_list("old_value", "new_value")
    ) == [("public", "sensitive"), ("sensitive", "public")]


@pytest.mark.django_db
def test_unmarking_restores_a_number_as_a_number(customer, tier2, catalogue):
    request_type = RequestType.objects.get(desk__key="CSD", key="general-request")
    count = RequestField.objects.create(request_type=request_type, key="children", kind="number", name="Children")
    ticket = submit(customer, type_key="general-request", fields={"children": 12})
    assert ticket.field_values["children"]["value"] == 12
    request_field_set_sensitive(field=count, sensitive=True, actor=tier2)
    assert SensitiveValue.objects.get(ticket=ticket).value == "12"
    request_field_set_sensitive(field=count, sensitive=False, actor=tier2)
    ticket.refresh_from_db()
    assert ticket.field_values["children"] == {"field": count.pk, "label": "Children", "value": 12}


@pytest.mark.django_db
def test_values_given_while_sensitive_are_published_when_unmarked(customer, tier2, catalogue):
    """A value submitted while the field was already sensitive moves out too, with its choice label."""
    phone = field("mobile-sign-in", "phone_type")
    request_field_set_sensitive(field=phone, sensitive=True, actor=tier2)
    ticket = submit(customer, fields={"phone_type": "android"})
    assert ticket.field_values == {}
    request_field_set_sensitive(field=phone, sensitive=False, actor=tier2)
    assert rows(ticket) == {"phone_type": ("Phone type", "Android")}
    assert ticket.field_values["phone_type"]["display"] == "Android"


@pytest.mark.django_db
def test_it_works_in_batches_with_a_bounded_number_of_queries(customer, tier2, catalogue):
    phone = field("mobile-sign-in", "phone_type")
    tickets = [submit(customer, fields={"phone_type": "ios"}) for _ in range(7)]
    with CaptureQueriesContext(connection) as marking:
        assert request_field_set_sensitive(field=phone, sensitive=True, actor=tier2, batch_size=3) == 7
    with CaptureQueriesContext(connection) as unmarking:
        assert request_field_set_sensitive(field=phone, sensitive=False, actor=tier2, batch_size=3) == 7
    # Per batch: select, insert values, update tickets, insert activities (and a last empty select).
    assert len(marking) <= 4 + 4 * 3 + 1, [q["sql"][:80] for q in marking]
    assert len(unmarking) <= 4 + 5 * 3 + 1, [q["sql"][:80] for q in unmarking]
    assert all(rows(t) == {"phone_type": ("Phone type", "iPhone or iPad")} for t in tickets)


@pytest.mark.django_db(transaction=True)
def test_it_is_one_transaction_nothing_moves_when_a_batch_fails(customer, tier2, catalogue):
    phone = field("mobile-sign-in", "phone_type")
    tickets = [submit(customer, fields={"phone_type": "ios"}) for _ in range(4)]
    # The last ticket already holds a sensitive value under that key: its batch cannot be written.
    SensitiveValue.objects.create(ticket=tickets[-1], field_key="phone_type", label="x", value="y")
    with pytest.raises(IntegrityError):
        request_field_set_sensitive(field=phone, sensitive=True, actor=tier2, batch_size=2)
    phone.refresh_from_db()
    assert not phone.sensitive
    assert all("phone_type" in Ticket.objects.get(pk=t.pk).field_values for t in tickets)
    assert SensitiveValue.objects.count() == 1
    assert not Activity.objects.filter(kind="field_sensitivity").exists()


@pytest.mark.django_db
def test_it_refuses_to_mark_a_file_field(tier2, catalogue):
    files = field("mobile-sign-in", "attachments")
    with pytest.raises(ValidationError):
        request_field_set_sensitive(field=files, sensitive=True, actor=tier2)
    files.refresh_from_db()
    assert not files.sensitive


@pytest.mark.django_db
def test_the_queue_export_reads_values_through_their_field(customer, tier1, tier2, catalogue):
    first = submit(customer, fields={"phone_type": "ios"})
    second = submit(customer, type_key="mobile-visit-sync", fields={"phone_type": "android"})
    request_field_set_sensitive(field=field("mobile-sign-in", "phone_type"), sensitive=True, actor=tier2)
    ticket_change_type(ticket=second, actor=tier1, request_type=first.request_type)
    details = {row[0]: row[-1] for row in list(queue_export_rows(queue="unassigned", user=tier1))[1:]}
    assert details == {first.reference: "", second.reference: "Phone type: Android"}


def admin_set_sensitive(client, request_field: RequestField, sensitive: bool):
    from tests.tickets.admin_forms import admin_form_data, inline_prefix

    url = reverse("admin:tickets_requesttype_change", args=[request_field.request_type_id])
    page = client.get(url)
    data = admin_form_data(page)
    prefix = inline_prefix(page, RequestField, pk=request_field.pk)
    data.pop(f"{prefix}-sensitive", None)
    if sensitive:
        data[f"{prefix}-sensitive"] = "on"
    data[f"{prefix}-name"] = "Phone model"  # another change in the same save
    response = client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["inline_admin_formsets"][0].formset.forms if f.errors
    ]
    return response


@pytest.mark.django_db
def test_the_admin_marks_and_unmarks_through_the_service(client, superuser, customer, catalogue):
    phone = field("mobile-sign-in", "phone_type")
    ticket = submit(customer, fields={"phone_type": "ios"})
    client.force_login(superuser)

    admin_set_sensitive(client, phone, True)
    phone.refresh_from_db()
    assert phone.sensitive and phone.name == "Phone model"
    assert rows(ticket) == {}
    assert SensitiveValue.objects.get(ticket=ticket).value == "ios"
    assert Activity.objects.get(ticket=ticket, kind="field_sensitivity").actor == superuser
    page = client.get(reverse("agent:ticket_detail", args=[ticket.reference])).content.decode()
    assert "The field “Phone model” is now sensitive" in page and "iPhone" not in page

    admin_set_sensitive(client, phone, False)
    phone.refresh_from_db()
    assert not phone.sensitive
    assert rows(ticket) == {"phone_type": ("Phone model", "iPhone or iPad")}
    assert not SensitiveValue.objects.exists()


@pytest.mark.django_db
def test_the_catalogue_import_marks_through_the_service(customer, catalogue):
    from tickets.catalogue import DEMO_CATALOGUE, catalogue_import, catalogue_load_file

    ticket = submit(customer, fields={"phone_type": "ios"})
    data = catalogue_load_file(DEMO_CATALOGUE)
    csd = next(d for d in data["desks"] if d["key"] == "CSD")
    types = [t for g in csd["groups"] for t in g["types"] if t["key"] == "mobile-sign-in"]
    (phone_data,) = [f for f in types[0]["fields"] if f["key"] == "phone_type"]
    phone_data["sensitive"] = True
    catalogue_import(data=data)
    assert field("mobile-sign-in", "phone_type").sensitive
    assert rows(ticket) == {} and SensitiveValue.objects.get(ticket=ticket).value == "ios"
    assert Activity.objects.get(ticket=ticket, kind="field_sensitivity").actor is None
    phone_data["sensitive"] = False
    catalogue_import(data=data)
    assert rows(ticket) == {"phone_type": ("Phone type", "iPhone or iPad")}


@pytest.mark.django_db(transaction=True)
def test_a_submission_racing_a_marking_files_its_value_on_the_sensitive_side(customer, tier2, catalogue):
    """The marking locks the field; a submission of its type waits for it and then sees the flag."""
    import threading

    from django.db import transaction

    phone = field("mobile-sign-in", "phone_type")
    marked, release, result = threading.Event(), threading.Event(), {}

    def mark():
        try:
            with transaction.atomic():
                request_field_set_sensitive(field=phone, sensitive=True, actor=tier2)
                marked.set()
                release.wait(10)
        finally:
            connection.close()

    def send():
        try:
            result["ticket"] = submit(customer, fields={"phone_type": "ios"})
        finally:
            connection.close()

    marking = threading.Thread(target=mark)
    marking.start()
    assert marked.wait(10)
    sending = threading.Thread(target=send)
    sending.start()
    sending.join(1.0)
    assert sending.is_alive(), "the submission did not wait for the marking to commit"
    release.set()
    marking.join(10)
    sending.join(10)
    ticket = result["ticket"]
    assert ticket.field_values == {}
    assert SensitiveValue.objects.get(ticket=ticket).value == "ios"


@pytest.mark.django_db
def test_the_admin_refuses_to_change_a_fields_key(client, superuser, customer, catalogue):
    from tests.tickets.admin_forms import admin_form_data, inline_prefix

    phone = field("mobile-sign-in", "phone_type")
    ticket = submit(customer, fields={"phone_type": "ios"})
    client.force_login(superuser)
    url = reverse("admin:tickets_requesttype_change", args=[phone.request_type_id])
    page = client.get(url)
    data = admin_form_data(page)
    data[f"{inline_prefix(page, RequestField, pk=phone.pk)}-key"] = "device"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "key never changes" in response.content.decode()
    phone.refresh_from_db()
    assert phone.key == "phone_type"
    assert rows(ticket) == {"phone_type": ("Phone type", "iPhone or iPad")}
