"""A request's field values: how they are stored, read, and moved between the public column
(Ticket.field_values) and the sensitive store (SensitiveValue) when a field's sensitivity changes.

Every stored value names the RequestField it was given in (`"field": <id>`), and is always read
through that field, whatever the ticket's request type is now: a value whose field is unknown,
or sensitive, is treated as sensitive and never shown."""

import json

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.translation import get_language

from accounts.models import User

from .models import Activity, RequestField, RequestType, SensitiveValue, Ticket

# Tickets (or sensitive values) moved per round trip: big enough to be quick over 100k tickets,
# small enough that one batch stays a few hundred kilobytes in memory.
BATCH_SIZE = 500
PUBLIC, SENSITIVE = "public", "sensitive"


# --- Writing at submission ---------------------------------------------------------------------


def request_fields_for_submit(*, request_type: RequestType) -> dict[str, RequestField]:
    """The type's live fields by key, row-locked until the submission commits, so a change of a
    field's sensitivity (which locks the field first, FOR UPDATE) cannot pass a value filed on the
    wrong side. On PostgreSQL the lock is FOR SHARE: it still excludes that change (and any UPDATE
    of the field), but not other submissions, which an exclusive lock would queue one behind the
    other from here to their commit."""
    fields = request_type.fields.filter(archived=False).order_by("pk")
    if connection.vendor != "postgresql":
        return {field.key: field for field in fields.select_for_update(no_key=True)}
    sql, params = fields.query.sql_with_params()
    return {field.key: field for field in RequestField.objects.raw(f"{sql} FOR SHARE", params)}


def _choice_label(field: RequestField, value, language_key: str = "label"):
    labels = {c.get("value"): c.get(language_key) or c.get("label") or c.get("value") for c in field.choices or []}
    return labels.get(value, value)


def field_value_item(*, field: RequestField, value) -> dict:
    """The stored form of one non-sensitive value: its field, the label and (for a choice) the
    choice's label as they were when it was given."""
    item = {"field": field.pk, "label": field.name, "value": value}
    if field.kind == RequestField.Kind.CHOICE:
        item["display"] = _choice_label(field, value)
    return item


def field_values_split(*, fields: dict[str, RequestField], values: dict) -> tuple[dict, list[tuple]]:
    """Submitted values as (the public column's content, [(field, value)] for the sensitive store)."""
    public, sensitive = {}, []
    for key, value in values.items():
        if value in (None, "", []):
            continue
        field = fields[key]
        if field.sensitive:
            sensitive.append((field, value))
        else:
            public[key] = field_value_item(field=field, value=value)
    return public, sensitive


def _sensitive_value(*, ticket_id: int, field: RequestField | None, key: str, item: dict) -> SensitiveValue:
    return SensitiveValue(
        ticket_id=ticket_id,
        field=field,
        field_key=key,
        label=str(item.get("label") or (field.name if field else key))[:160],
        value=str(item.get("value")),
        display=str(item.get("display", "")),
    )


def sensitive_values_create(*, ticket: Ticket, values: list[tuple]) -> None:
    SensitiveValue.objects.bulk_create(
        _sensitive_value(ticket_id=ticket.pk, field=field, key=field.key, item=field_value_item(field=field, value=v))
        for field, v in values
    )


# --- Reading -----------------------------------------------------------------------------------


def _field_id(item) -> int | None:
    field_id = item.get("field") if isinstance(item, dict) else None
    return field_id if isinstance(field_id, int) and not isinstance(field_id, bool) else None


def fields_of_values(field_values_list) -> dict[int, RequestField]:
    """The fields the given field_values name, by id, in one query (for lists and exports)."""
    ids = {_field_id(item) for values in field_values_list for item in (values or {}).values()} - {None}
    return RequestField.objects.in_bulk(ids) if ids else {}


def field_rows(*, field_values: dict, fields_by_id: dict[int, RequestField]) -> list[dict]:
    """The showable values as {key, label, value}, in the reader's language, each read through the
    field it was given in: its label and choice labels stay the original field's after a type
    change. Values of a sensitive or unknown field are left out."""
    language_key = "label_es" if (get_language() or "en").startswith("es") else "label"
    rows = []
    for key, item in (field_values or {}).items():
        field_id = _field_id(item)
        field = fields_by_id.get(field_id) if field_id is not None else None
        if field is None or field.sensitive:
            continue
        value = item.get("display", item.get("value"))
        if field.kind == RequestField.Kind.CHOICE:
            value = _choice_label(field, item.get("value"), language_key)
        rows.append({"key": key, "label": field.display_name, "value": value})
    return rows


# --- Changing a field's sensitivity ------------------------------------------------------------


def _tickets_holding(field: RequestField) -> QuerySet[Ticket]:
    """Tickets whose public column holds a value of this field, whatever their type is now.
    KeyTransform, not a `field_values__<key>` lookup: a key may contain "__" or name a lookup."""
    return Ticket.objects.annotate(_value_field=KeyTransform("field", KeyTransform(field.key, "field_values"))).filter(
        _value_field=field.pk
    )


def _log(*, ticket_ids: list[int], field: RequestField, actor: User | None, to: str) -> None:
    Activity.objects.bulk_create(
        Activity(
            ticket_id=ticket_id,
            actor=actor,
            kind=Activity.Kind.FIELD_SENSITIVITY,
            visibility=Activity.Visibility.INTERNAL,
            old_value=PUBLIC if to == SENSITIVE else SENSITIVE,
            new_value=to,
            data={"field": field.pk, "key": field.key, "label": field.name},
        )
        for ticket_id in ticket_ids
    )


def _write_field_values(tickets: list[Ticket]) -> None:
    """Store these tickets' field_values in one statement. On PostgreSQL an UPDATE … FROM VALUES:
    bulk_update's CASE over hundreds of rows costs more in Python than the move itself."""
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


def _move_to_sensitive(*, field: RequestField, actor: User | None, batch_size: int) -> int:
    moved, last = 0, 0
    while True:
        # Locked in id order, re-read after the lock: nothing else rewrites a ticket's values.
        batch = list(
            _tickets_holding(field)
            .filter(pk__gt=last)
            .order_by("pk")
            .select_for_update(of=("self",))
            .only("pk", "field_values")[:batch_size]
        )
        if not batch:
            return moved
        last = batch[-1].pk
        values = []
        for ticket in batch:
            item = ticket.field_values.pop(field.key)
            values.append(_sensitive_value(ticket_id=ticket.pk, field=field, key=field.key, item=item))
        SensitiveValue.objects.bulk_create(values)
        _write_field_values(batch)
        _log(ticket_ids=[t.pk for t in batch], field=field, actor=actor, to=SENSITIVE)
        moved += len(batch)


def _restored_value(field: RequestField, stored: SensitiveValue):
    if field.kind == RequestField.Kind.NUMBER:
        try:
            return int(stored.value)
        except ValueError:
            return stored.value
    return stored.value


def _move_to_public(*, field: RequestField, actor: User | None, batch_size: int) -> int:
    moved, last = 0, 0
    while True:
        stored = list(SensitiveValue.objects.filter(field=field, pk__gt=last).order_by("pk")[:batch_size])
        if not stored:
            return moved
        last = stored[-1].pk
        tickets = {
            t.pk: t
            for t in Ticket.objects.filter(pk__in={s.ticket_id for s in stored})
            .order_by("pk")
            .select_for_update()
            .only("pk", "field_values")
        }
        changed, done = {}, []
        for value in stored:
            ticket = tickets[value.ticket_id]
            if field.key in ticket.field_values:  # never overwrite: leave that one where it is
                continue
            item = {"field": field.pk, "label": value.label, "value": _restored_value(field, value)}
            if field.kind == RequestField.Kind.CHOICE:
                item["display"] = value.display or _choice_label(field, item["value"])
            ticket.field_values[field.key] = item
            changed[ticket.pk] = ticket
            done.append(value.pk)
        _write_field_values(list(changed.values()))
        SensitiveValue.objects.filter(pk__in=done).delete()
        _log(ticket_ids=list(changed), field=field, actor=actor, to=PUBLIC)
        moved += len(done)


@transaction.atomic
def request_field_set_sensitive(
    *, field: RequestField, sensitive: bool, actor: User | None, batch_size: int = BATCH_SIZE
) -> int:
    """Mark a field sensitive, or not: in one transaction, flip the flag and move every stored value
    of the field (on every ticket, whatever its type is now) to the matching store, each move
    logged on its ticket. Safe to repeat: it only moves what is on the wrong side. Returns how
    many values moved."""
    locked = RequestField.objects.select_for_update().get(pk=field.pk)
    if sensitive:
        locked.sensitive = True
        locked.clean()  # file fields, the summary and the description cannot be sensitive
    RequestField.objects.filter(pk=locked.pk).update(sensitive=sensitive)
    locked.sensitive = field.sensitive = sensitive
    move = _move_to_sensitive if sensitive else _move_to_public
    return move(field=locked, actor=actor, batch_size=batch_size)


# --- What a field holds (the catalogue editor asks before changing a field) --------------------


def field_stored_value_count(*, field: RequestField) -> int:
    """How many requests hold a value given in this field, on either side."""
    return _tickets_holding(field).count() + SensitiveValue.objects.filter(field=field).count()


def field_stored_choice_values(*, field: RequestField) -> set[str]:
    """The choice values requests hold for this field (a choice in use is retired, not removed)."""
    public = (
        _tickets_holding(field)
        .annotate(_stored=KeyTransform("value", KeyTransform(field.key, "field_values")))
        .values_list("_stored", flat=True)
        .distinct()
    )
    sensitive = SensitiveValue.objects.filter(field=field).values_list("value", flat=True).distinct()
    return {str(v) for v in public if v is not None} | set(sensitive)


# Kinds whose stored values read the same either way: a field holding values may switch between them.
_COMPATIBLE_KINDS = {frozenset({RequestField.Kind.SHORT_TEXT, RequestField.Kind.LONG_TEXT})}


def field_kinds_compatible(old: str, new: str) -> bool:
    return old == new or frozenset({old, new}) in _COMPATIBLE_KINDS


def field_choices_keeping_stored(*, field: RequestField, choices: list[dict]) -> list[dict]:
    """The new choices, plus every old choice that requests still hold, kept retired (hidden from
    new requests, still naming the stored value)."""
    wanted = {c.get("value") for c in choices}
    dropped = [c for c in field.choices or [] if c.get("value") not in wanted]
    if not dropped or field.pk is None:
        return choices
    in_use = field_stored_choice_values(field=field)
    return choices + [{**c, "archived": True} for c in dropped if str(c.get("value")) in in_use]
