"""Every stored field value names its field; values of a sensitive or unknown field leave the
public column.

Before this, values were read by key through the ticket's current request type, so a value given
before its field was marked sensitive stayed public, and a type change could show it. Now:
- a public value gets the id of the field with its key in the ticket's current type, when that
  field is not sensitive;
- a public value whose key has no field there, or whose field is sensitive, moves into
  SensitiveValue (linked to that field when there is one), logged on its ticket;
- an existing sensitive value is linked to the field with its key in the current type only when
  that field is sensitive; otherwise it stays unlinked (sensitive for good: unmarking some other
  field must never publish it).
Batched by id, so it copes with large tables. Running it twice changes nothing.
"""

import json

from django.db import migrations

BATCH = 1000


class Collision(RuntimeError):
    pass


def _fields_of_type(RequestField, cache, request_type_id):
    if request_type_id not in cache:
        cache[request_type_id] = {
            f.key: f for f in RequestField.objects.filter(request_type_id=request_type_id).only("id", "key", "sensitive")
        }
    return cache[request_type_id]


def _has_field_id(item):
    field_id = item.get("field")
    return isinstance(field_id, int) and not isinstance(field_id, bool)


def _write_field_values(Ticket, tickets, connection):
    """One UPDATE … FROM VALUES per batch on PostgreSQL (bulk_update's CASE is slow in Python)."""
    if not tickets:
        return
    if connection.vendor != "postgresql":
        Ticket.objects.bulk_update(tickets, ["field_values"])
        return
    from psycopg2.extras import execute_values

    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"UPDATE {table} AS t SET field_values = v.field_values::jsonb FROM (VALUES %s) AS v(id, field_values) "
            "WHERE t.id = v.id",
            [(t.pk, json.dumps(t.field_values)) for t in tickets],
            page_size=len(tickets),
        )


def forwards(apps, schema_editor):
    from django.db import connection

    Ticket = apps.get_model("tickets", "Ticket")
    RequestField = apps.get_model("tickets", "RequestField")
    SensitiveValue = apps.get_model("tickets", "SensitiveValue")
    Activity = apps.get_model("tickets", "Activity")
    cache = {}

    # Sensitive values stored at submission first, before this adds any.
    last = 0
    while True:
        rows = list(
            SensitiveValue.objects.filter(pk__gt=last, field__isnull=True)
            .order_by("pk")
            .select_related("ticket")
            .only("pk", "field_key", "field_id", "ticket__request_type_id")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1].pk
        linked = []
        for row in rows:
            field = _fields_of_type(RequestField, cache, row.ticket.request_type_id).get(row.field_key)
            if field is not None and field.sensitive:
                row.field_id = field.pk
                linked.append(row)
        SensitiveValue.objects.bulk_update(linked, ["field_id"])

    last = 0
    while True:
        tickets = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").only("pk", "request_type_id", "field_values")[:BATCH]
        )
        if not tickets:
            break
        last = tickets[-1].pk
        taken = set(
            SensitiveValue.objects.filter(ticket_id__in=[t.pk for t in tickets]).values_list("ticket_id", "field_key")
        )
        changed, moved, activities = [], [], []
        for ticket in tickets:
            fields = _fields_of_type(RequestField, cache, ticket.request_type_id)
            kept, dirty = {}, False
            for key, item in (ticket.field_values or {}).items():
                if not isinstance(item, dict):
                    item, dirty = {"label": key, "value": item}, True
                if _has_field_id(item):
                    kept[key] = item
                    continue
                dirty = True
                field = fields.get(key)
                if field is not None and not field.sensitive:
                    kept[key] = {**item, "field": field.pk}
                    continue
                if (ticket.pk, key) in taken:
                    raise Collision(
                        f"ticket {ticket.pk} holds the field value {key!r} both publicly and in the sensitive "
                        "store; decide which is right, remove the other, and run the migration again."
                    )
                label = str(item.get("label") or key)[:160]
                moved.append(
                    SensitiveValue(
                        ticket_id=ticket.pk,
                        field_id=field.pk if field is not None else None,
                        field_key=key,
                        label=label,
                        value=str(item.get("value")),
                        display=str(item.get("display", "")),
                    )
                )
                activities.append(
                    Activity(
                        ticket_id=ticket.pk,
                        actor=None,
                        kind="field_sensitivity",
                        visibility="internal",
                        old_value="public",
                        new_value="sensitive",
                        data={"field": field.pk if field is not None else None, "key": key, "label": label},
                    )
                )
            if dirty:
                ticket.field_values = kept
                changed.append(ticket)
        SensitiveValue.objects.bulk_create(moved)
        _write_field_values(Ticket, changed, schema_editor.connection if schema_editor else connection)
        Activity.objects.bulk_create(activities)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_sensitive_values_name_their_field"),
    ]

    # Backwards leaves the data as it is: the ids are ignored by older code, and values moved to
    # the sensitive store stay there (publishing them again is never the safe default).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
