"""Importing a catalogue file: validated first (tickets.catalogue.validation), then written in one
transaction; a dry run does the same and rolls back, so what it lists is exactly what an import
would change. Rows are matched by their keys; nothing is deleted: fields left out are archived
(old requests stay readable), a choice requests hold is kept retired, and a field whose
sensitivity changes goes through tickets.fields.request_field_set_sensitive."""

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction

from accounts.models import User

from ..fields import field_choices_keeping_stored, field_stored_value_count, request_field_set_sensitive
from ..models import RequestField, RequestType, RequestTypeGroup, ServiceDesk, SlaCalendar, Team
from .fileformat import Path
from .validation import Problem, catalogue_validate

M = TypeVar("M", bound=models.Model)

LOCALIZED = ("name", "name_es")
# Flags of a request type that other parts of the product add (the reports' "Other" catch-all):
# carried by the file as soon as the model has them.
OPTIONAL_TYPE_FLAGS = ("is_catch_all",)


def optional_type_flags() -> list[str]:
    names = {f.name for f in RequestType._meta.get_fields()}
    return [flag for flag in OPTIONAL_TYPE_FLAGS if flag in names]


TYPE_TEXTS = ("summary", "summary_es", "meaning", "meaning_es", "when_to_use", "when_to_use_es")


class CatalogueError(ValueError):
    pass


class CatalogueInvalid(CatalogueError):
    """The file has problems; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class CatalogueReport:
    counts: dict[str, int]
    changes: list[str] = field(default_factory=list)
    dry_run: bool = False


class _DryRun(Exception):
    pass


def catalogue_import(
    *, data: Any, actor: User | None = None, dry_run: bool = False, lines: dict[Path, int] | None = None
) -> CatalogueReport:
    """Create or update every desk of the file. Raises CatalogueInvalid (listing every problem
    with its place) before anything changes. `actor` is who the activity rows of a sensitivity
    change name (None: the system)."""
    problems = catalogue_validate(data, lines)
    if problems:
        raise CatalogueInvalid(problems)
    importer = _Importer(actor=actor, dry_run=dry_run)
    try:
        with transaction.atomic():
            for position, desk_data in enumerate(data.get("desks") or []):
                importer.desk(desk_data, position)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return CatalogueReport(counts=importer.counts, changes=importer.changes, dry_run=dry_run)


def _same(obj: models.Model, name: str, value: Any) -> bool:
    model_field = obj._meta.get_field(name)
    if isinstance(model_field, models.ForeignKey):
        same: bool = getattr(obj, model_field.attname) == (value.pk if value is not None else None)
        return same
    same = getattr(obj, name) == value
    return same


class _Importer:
    def __init__(self, *, actor: User | None, dry_run: bool):
        self.actor, self.dry_run = actor, dry_run
        self.counts = {"desks": 0, "teams": 0, "groups": 0, "types": 0, "fields": 0}
        self.changes: list[str] = []

    def upsert(
        self,
        model: type[M],
        label: str,
        lookup: dict[str, Any],
        values: dict[str, Any],
        create_extra: dict[str, Any] | None = None,
    ) -> M:
        # The stubs know `objects` on each model class, not on a type variable bound to Model.
        manager: models.Manager[M] = model.objects  # type: ignore[attr-defined]
        obj = manager.filter(**lookup).first()
        if obj is None:
            self.changes.append(f"create {label}")
            return manager.create(**lookup, **values, **(create_extra or {}))
        changed = [name for name, value in values.items() if not _same(obj, name, value)]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.save(update_fields=changed)
            self.changes.append(f"update {label}: {', '.join(changed)}")
        return obj

    def desk(self, data: dict[str, Any], position: int) -> None:
        values = {
            **{k: data.get(k, "") for k in ("name", "name_es", "description", "description_es", "email_address")},
            "slug": data["slug"],
            "position": data.get("position", position),
            "is_active": data.get("is_active", True),
            "csat_enabled": data.get("csat_enabled", True),
        }
        if "calendar" in data:
            values["calendar"] = SlaCalendar.objects.get(name=data["calendar"]) if data["calendar"] else None
        desk = self.upsert(ServiceDesk, f"desk {data['key']}", {"key": data["key"]}, values)
        self.counts["desks"] += 1
        teams: dict[str, Team] = {}
        for team_data in data.get("teams") or []:
            label = f"team {desk.key} / {team_data['name']}"
            team = self.upsert(
                Team, label, {"desk": desk, "name": team_data["name"]}, {"tier": team_data.get("tier", 1)}
            )
            teams[team.name] = team
            self.counts["teams"] += 1
        tier_teams = {team.tier: team for team in reversed(list(teams.values()))}
        for group_position, group_data in enumerate(data.get("groups") or []):
            values = {
                **{k: group_data.get(k, "") for k in LOCALIZED},
                "position": group_data.get("position", group_position),
            }
            lookup = {"desk": desk, "key": group_data["key"]}
            group = self.upsert(RequestTypeGroup, f"group {desk.key} / {group_data['key']}", lookup, values)
            self.counts["groups"] += 1
            for type_position, type_data in enumerate(group_data.get("types") or []):
                self.request_type(desk, group, type_data, type_position, teams, tier_teams)

    def request_type(
        self,
        desk: ServiceDesk,
        group: RequestTypeGroup,
        data: dict[str, Any],
        position: int,
        teams: dict[str, Team],
        tier_teams: dict[int, Team],
    ) -> None:
        sla = data.get("sla") or {}
        if "escalation_team" in data:
            escalation_team = teams[data["escalation_team"]] if data["escalation_team"] else None
        else:
            escalation_team = tier_teams.get(2)
        values = {
            "group": group,
            **{k: data.get(k, "") for k in LOCALIZED + TYPE_TEXTS},
            "audience": data.get("audience", RequestType.Audience.MEMBERS),
            "needs_approval": data.get("needs_approval", False),
            "approval_adds_membership": data.get("approval_adds_membership", False),
            "is_catch_all": data.get("is_catch_all", False),
            "default_team": teams[data["team"]] if data.get("team") else tier_teams[1],
            "escalation_team": escalation_team,
            "sla_first_response_minutes": sla.get("first_response_minutes"),
            "sla_resolution_minutes": sla.get("resolution_minutes"),
            "position": data.get("position", position),
            "offboards_member": data.get("offboards_member", False),
            "is_active": data.get("is_active", True),
        }
        for flag in optional_type_flags():
            values[flag] = data.get(flag, False)
        label = f"request type {desk.key} / {data['key']}"
        request_type = self.upsert(RequestType, label, {"desk": desk, "key": data["key"]}, values)
        self.counts["types"] += 1
        keys = []
        for field_position, field_data in enumerate(data.get("fields") or []):
            self.field(request_type, label, field_data, field_position)
            keys.append(field_data["key"])
        for archived in request_type.fields.filter(archived=False).exclude(key__in=keys).order_by("position"):
            self.changes.append(f"archive field {desk.key} / {request_type.key} / {archived.key}")
            RequestField.objects.filter(pk=archived.pk).update(archived=True)

    def field(self, request_type: RequestType, type_label: str, data: dict[str, Any], position: int) -> None:
        label = f"field {type_label.removeprefix('request type ')} / {data['key']}"
        existing = request_type.fields.filter(key=data["key"]).first()
        choices = data.get("choices") or []
        if existing is not None:
            choices = field_choices_keeping_stored(field=existing, choices=choices)
        values = {
            "kind": data.get("kind", RequestField.Kind.SHORT_TEXT),
            **{k: data.get(k, "") for k in ("name", "name_es", "help_text", "help_text_es")},
            "required": data.get("required", False),
            "choices": choices,
            "validation": data.get("validation") or {},
            "position": data.get("position", position),
            "archived": False,
        }
        sensitive = bool(data.get("sensitive", False))
        lookup = {"request_type": request_type, "key": data["key"]}
        field = self.upsert(RequestField, label, lookup, values, create_extra={"sensitive": sensitive})
        self.counts["fields"] += 1
        if existing is None or existing.sensitive == sensitive:
            return
        becomes = "sensitive" if sensitive else "not sensitive"
        if self.dry_run:
            count = field_stored_value_count(field=field)
            self.changes.append(f"{label} becomes {becomes}: {count} stored values move")
        else:
            moved = request_field_set_sensitive(field=field, sensitive=sensitive, actor=self.actor)
            self.changes.append(f"{label} becomes {becomes}: {moved} stored values moved")
