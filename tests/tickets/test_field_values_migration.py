"""The data migration: stored values get their field's id; values of an unknown or sensitive
field leave the public column for the sensitive store."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tickets.models import Activity, RequestField, RequestType, SensitiveValue, Ticket
from tickets.services import ticket_submit
from tickets.values import SubmittedValues

BEFORE = ("tickets", "0008_sensitive_values_name_their_field")
MIGRATION = importlib.import_module("tickets.migrations.0009_field_values_name_their_field")


def submit(customer, desk, type_key, legacy_values):
    ticket = ticket_submit(
        request_type=RequestType.objects.get(desk__key=desk, key=type_key),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="Old request", description="d", fields={}, files={}),
    )
    Ticket.objects.filter(pk=ticket.pk).update(field_values=legacy_values)
    return ticket


def field(desk, type_key, key):
    return RequestField.objects.get(request_type__desk__key=desk, request_type__key=type_key, key=key)


def run_migration():
    """Back to just before the migration, then forward again to the latest state."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_it_names_every_field_and_moves_what_must_not_be_public(customer, catalogue):
    phone = field("CSD", "mobile-sign-in", "phone_type")
    plain = submit(customer, "CSD", "mobile-sign-in", {"phone_type": {"label": "Phone type", "value": "ios"}})
    # Marked sensitive the old way, by the flag alone: its old values were still public.
    provider_id = field("CCP", "new-provider-sso", "provider_id")
    RequestField.objects.filter(pk=provider_id.pk).update(sensitive=True)
    marked = submit(
        customer,
        "CCP",
        "new-provider-sso",
        {
            "provider_id": {"label": "Provider ID", "value": "PRV-778"},
            "organisation_name": {"label": "Organisation name", "value": "Sunny Days"},
            "from_a_type_left_behind": {"label": "Licence", "value": "LIC-42"},
        },
    )
    # Sensitive values stored at submission: linked only to a sensitive field of the same key.
    leaver = submit(customer, "CCP", "staff-terminated", {})
    SensitiveValue.objects.create(ticket=leaver, field_key="employee_full_name", label="Name", value="Ann Smith")
    retyped = submit(customer, "CSD", "mobile-sign-in", {})
    SensitiveValue.objects.create(ticket=retyped, field_key="phone_type", label="Phone", value="android")

    run_migration()

    assert Ticket.objects.get(pk=plain.pk).field_values == {
        "phone_type": {"field": phone.pk, "label": "Phone type", "value": "ios"}
    }
    organisation = field("CCP", "new-provider-sso", "organisation_name")
    assert Ticket.objects.get(pk=marked.pk).field_values == {
        "organisation_name": {"field": organisation.pk, "label": "Organisation name", "value": "Sunny Days"}
    }
    moved = {(v.field_id, v.field_key, v.label, v.value) for v in SensitiveValue.objects.filter(ticket=marked)}
    assert moved == {
        (provider_id.pk, "provider_id", "Provider ID", "PRV-778"),
        (None, "from_a_type_left_behind", "Licence", "LIC-42"),
    }
    logged = Activity.objects.filter(ticket=marked, kind="field_sensitivity")
    assert sorted((a.actor_id, a.visibility, a.new_value, a.data["key"]) for a in logged) == [
        (None, "internal", "sensitive", "from_a_type_left_behind"),
        (None, "internal", "sensitive", "provider_id"),
    ]
    assert SensitiveValue.objects.get(ticket=leaver).field == field("CCP", "staff-terminated", "employee_full_name")
    assert SensitiveValue.objects.get(ticket=retyped).field is None  # phone_type is not sensitive there

    # Running it again changes nothing.
    snapshot = (
        list(Ticket.objects.order_by("pk").values_list("field_values", flat=True)),
        list(SensitiveValue.objects.order_by("pk").values_list("ticket_id", "field_id", "field_key", "value")),
        Activity.objects.count(),
    )
    run_migration()
    assert snapshot == (
        list(Ticket.objects.order_by("pk").values_list("field_values", flat=True)),
        list(SensitiveValue.objects.order_by("pk").values_list("ticket_id", "field_id", "field_key", "value")),
        Activity.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_a_value_both_public_and_sensitive_stops_the_migration_with_a_clear_message(customer, catalogue):
    ticket = submit(customer, "CSD", "mobile-sign-in", {"gone": {"label": "Gone", "value": "x"}})
    SensitiveValue.objects.create(ticket=ticket, field_key="gone", label="Gone", value="y")
    from django.apps import apps

    with pytest.raises(MIGRATION.Collision, match=f"ticket {ticket.pk} holds the field value 'gone'"):
        MIGRATION.forwards(apps, None)
