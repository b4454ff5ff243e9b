"""Changes an admin makes in the catalogue editor. Every rule that keeps stored values readable
lives here, so the editor's pages and any later door share it: a field that holds values keeps
its key and its kind of value, a choice that requests hold is retired rather than removed, and a
change of sensitivity moves the stored values (tickets.fields.request_field_set_sensitive)."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.fields import (
    field_choices_keeping_stored,
    field_kinds_compatible,
    field_stored_value_count,
    request_field_set_sensitive,
)
from tickets.models import RequestField, RequestType, RequestTypeGroup, ServiceDesk, Team

logger = logging.getLogger(__name__)

FIELD_ATTRIBUTES = ("name", "name_es", "help_text", "help_text_es", "required", "validation")


class ChangeRefused(Exception):
    """A change that would break stored values; `errors` maps form fields to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


# --- Order ----------------------------------------------------------------------------------


@transaction.atomic
def positions_set(*, items: QuerySet[Any], ordered_ids: list[int]) -> bool:
    """Number these rows 0, 1, 2 … in the given order. Refused (False) unless the ids are exactly
    the rows': a stale page must not drop or duplicate one."""
    rows = {row.pk: row for row in items.select_for_update()}
    if sorted(ordered_ids) != sorted(rows) or len(set(ordered_ids)) != len(ordered_ids):
        return False
    changed = []
    for position, pk in enumerate(ordered_ids):
        if rows[pk].position != position:
            rows[pk].position = position
            changed.append(rows[pk])
    items.model.objects.bulk_update(changed, ["position"])
    return True


def position_move(*, items: QuerySet[Any], item_id: int, direction: str) -> bool:
    """Move one row up or down by one place (the keyboard's and the no-script way to reorder)."""
    ids = list(items.order_by("position", "pk").values_list("pk", flat=True))
    if item_id not in ids or direction not in ("up", "down"):
        return False
    index = ids.index(item_id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return positions_set(items=items, ordered_ids=ids)


def _next_position(items: QuerySet[Any]) -> int:
    highest = items.aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else highest + 1


# --- Desks, groups, types ------------------------------------------------------------------


@transaction.atomic
def desk_create(*, key: str, slug: str, name: str, name_es: str = "", actor: User) -> ServiceDesk:
    """A new desk, inactive until its types are ready, with its Tier I and Tier II teams."""
    desk = ServiceDesk.objects.create(
        key=key, slug=slug, name=name, name_es=name_es, is_active=False,
        position=_next_position(ServiceDesk.objects.all()),
    )  # fmt: skip
    Team.objects.create(desk=desk, name=f"{name} — Tier I", tier=Team.Tier.TIER_1)
    Team.objects.create(desk=desk, name=f"{name} — Tier II", tier=Team.Tier.TIER_2)
    logger.info("desk %s created by %s", desk.key, actor.pk)
    return desk


def group_create(*, desk: ServiceDesk, key: str, name: str, name_es: str = "") -> RequestTypeGroup:
    return RequestTypeGroup.objects.create(
        desk=desk, key=key, name=name, name_es=name_es, position=_next_position(desk.groups.all())
    )


@transaction.atomic
def request_type_create(
    *, group: RequestTypeGroup, key: str, name: str, name_es: str = "", default_team: Team, actor: User
) -> RequestType:
    """A new type, inactive until the admin activates it, with the summary and description every
    request has (they are the request's own columns)."""
    request_type = RequestType.objects.create(
        desk=group.desk, group=group, key=key, name=name, name_es=name_es, default_team=default_team,
        escalation_team=group.desk.teams.filter(tier=Team.Tier.TIER_2).first(),
        position=_next_position(group.request_types.all()), is_active=False,
    )  # fmt: skip
    RequestField.objects.create(
        request_type=request_type, key=RequestField.SUMMARY, kind=RequestField.Kind.SHORT_TEXT,
        name="Summary", name_es="Resumen", required=True, position=0,
    )  # fmt: skip
    RequestField.objects.create(
        request_type=request_type, key=RequestField.DESCRIPTION, kind=RequestField.Kind.LONG_TEXT,
        name="Description", name_es="Descripción", required=False, position=1,
    )  # fmt: skip
    logger.info("request type %s/%s created by %s", group.desk.key, key, actor.pk)
    return request_type


# --- Fields -----------------------------------------------------------------------------------


def field_key_taken(*, request_type: RequestType, key: str, exclude: RequestField | None = None) -> str | None:
    """Why this key cannot be used on the type (None: it can). Archived fields keep their keys."""
    fields = request_type.fields.filter(key=key)
    if exclude is not None:
        fields = fields.exclude(pk=exclude.pk)
    taken = fields.first()
    if taken is None:
        return None
    if taken.archived:
        return _("An archived field uses this key: restore it instead of adding a new one.")
    return _("Another field of this request type uses this key.")


def field_add(
    *, request_type: RequestType, key: str, kind: str, name: str, name_es: str = "", required: bool = False
) -> RequestField:
    reason = field_key_taken(request_type=request_type, key=key)
    if reason:
        raise ChangeRefused({"key": reason})
    return RequestField.objects.create(
        request_type=request_type, key=key, kind=kind, name=name, name_es=name_es, required=required,
        position=_next_position(request_type.fields.all()),
    )  # fmt: skip


@transaction.atomic
def field_update(
    *, field: RequestField, changes: dict[str, Any], choices: list[dict[str, Any]] | None, actor: User
) -> RequestField:
    """Apply an admin's edit to a field. Refused (ChangeRefused) when it would break the values
    requests hold: a new key or an incompatible kind on a field with stored values."""
    field = RequestField.objects.select_for_update().get(pk=field.pk)
    key, kind = changes.get("key", field.key), changes.get("kind", field.kind)
    errors = {}
    if key != field.key or not field_kinds_compatible(field.kind, kind):
        stored = field_stored_value_count(field=field)
        if stored and key != field.key:
            errors["key"] = _(
                "%(count)d requests hold a value of this field under its key, so the key cannot change. "
                "Archive the field and add a new one instead."
            ) % {"count": stored}
        if stored and not field_kinds_compatible(field.kind, kind):
            errors["kind"] = _(
                "%(count)d requests hold a value of this field, so it cannot become another kind of value. "
                "Archive the field and add a new one instead."
            ) % {"count": stored}
    if key != field.key and not errors.get("key"):
        reason = field_key_taken(request_type=field.request_type, key=key, exclude=field)
        if reason:
            errors["key"] = reason
    if errors:
        raise ChangeRefused(errors)
    field.key, field.kind = key, kind
    for attribute in FIELD_ATTRIBUTES:
        if attribute in changes:
            setattr(field, attribute, changes[attribute])
    if kind == RequestField.Kind.CHOICE and choices is not None:
        field.choices = field_choices_keeping_stored(field=field, choices=choices)
    try:
        field.full_clean(exclude=["request_type"])
    except ValidationError as error:
        raise ChangeRefused({k: " ".join(v) for k, v in error.message_dict.items()}) from None
    field.save()
    return field


def field_set_archived(*, field: RequestField, archived: bool) -> None:
    """Archive (hide from new requests, keep every stored value readable) or restore a field."""
    if archived and field.key == RequestField.SUMMARY:
        raise ChangeRefused({"archived": _("Every request type needs its summary field.")})
    RequestField.objects.filter(pk=field.pk).update(archived=archived)
    field.archived = archived


def field_change_sensitivity(*, field: RequestField, sensitive: bool, actor: User) -> tuple[str, int]:
    """Mark a field sensitive or not, moving its stored values. A field with many values is moved
    by a Celery task after this commits (the page would time out); returns ("done", moved) or
    ("queued", stored values to move)."""
    if field.sensitive == sensitive:
        return "done", 0
    if sensitive:
        probe = RequestField(key=field.key, kind=field.kind, sensitive=True)
        try:
            probe.clean()
        except ValidationError as error:
            raise ChangeRefused({"sensitive": " ".join(error.messages)}) from None
    stored = field_stored_value_count(field=field)
    if stored > settings.CATALOGUE_SENSITIVE_SYNC_MAX:
        from .tasks import field_set_sensitive

        transaction.on_commit(
            lambda: field_set_sensitive.delay(field_id=field.pk, sensitive=sensitive, actor_id=actor.pk)
        )
        return "queued", stored
    return "done", request_field_set_sensitive(field=field, sensitive=sensitive, actor=actor)


@transaction.atomic
def field_save(
    *, field: RequestField, changes: dict[str, Any], choices: list[dict[str, Any]] | None, sensitive: bool, actor: User
) -> tuple[str, int]:
    """An edit of a field and of its sensitivity, all or nothing (field_update, then
    field_change_sensitivity)."""
    was_sensitive = field.sensitive
    updated = field_update(field=field, changes=changes, choices=choices, actor=actor)
    updated.sensitive = was_sensitive
    return field_change_sensitivity(field=updated, sensitive=sensitive, actor=actor)
