"""The catalogue as YAML: desks, teams, groups, request types and their fields.

The same format is used for the demo data and for an admin's export and import. Importing is
idempotent: rows are matched by their keys and updated in place; nothing is deleted (fields
missing from the file are archived, so old requests stay readable). A field whose `sensitive`
flag changes goes through tickets.fields.request_field_set_sensitive, which moves its stored values.
"""

from pathlib import Path

import yaml
from django.db import transaction

from accounts.models import User

from ..fields import request_field_set_sensitive
from ..models import RequestField, RequestType, RequestTypeGroup, ServiceDesk, Team

DEMO_CATALOGUE = Path(__file__).with_name("demo_catalogue.yaml")
DEMO_PEOPLE = Path(__file__).with_name("demo_people.yaml")

_LOCALIZED = ("name", "name_es")
_TYPE_TEXTS = ("summary", "summary_es", "meaning", "meaning_es", "when_to_use", "when_to_use_es")


class CatalogueError(ValueError):
    pass


SENSITIVE_FILE_REFUSED = "a file field cannot be sensitive (files are not kept apart from Tier I)"


def catalogue_load_file(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict) or data.get("version") != 1:
        raise CatalogueError(f"{path}: not a version 1 catalogue")
    return data


@transaction.atomic
def catalogue_import(*, data: dict, actor: User | None = None) -> dict:
    """Create or update every desk in the catalogue; returns counts of what it touched. `actor`
    is who the activity rows of a sensitivity change name (None: the system)."""
    counts = {"desks": 0, "teams": 0, "groups": 0, "types": 0, "fields": 0}
    for desk_position, desk_data in enumerate(data.get("desks", [])):
        desk, _ = ServiceDesk.objects.update_or_create(
            key=desk_data["key"],
            defaults={
                "slug": desk_data["slug"],
                "name": desk_data["name"],
                "name_es": desk_data.get("name_es", ""),
                "description": desk_data.get("description", ""),
                "description_es": desk_data.get("description_es", ""),
                "email_address": desk_data.get("email_address", ""),
                "position": desk_data.get("position", desk_position),
                "is_active": desk_data.get("is_active", True),
            },
        )
        counts["desks"] += 1
        teams = {}
        for team_data in desk_data.get("teams", []):
            team, _ = Team.objects.update_or_create(
                desk=desk, name=team_data["name"], defaults={"tier": team_data.get("tier", 1)}
            )
            teams[team.name] = team
            counts["teams"] += 1
        tier_teams = {team.tier: team for team in reversed(list(teams.values()))}
        if 1 not in tier_teams:
            raise CatalogueError(f"desk {desk.key}: a Tier I team is required")
        for group_position, group_data in enumerate(desk_data.get("groups", [])):
            group, _ = RequestTypeGroup.objects.update_or_create(
                desk=desk,
                key=group_data["key"],
                defaults={
                    **{k: group_data.get(k, "") for k in _LOCALIZED},
                    "position": group_data.get("position", group_position),
                },
            )
            counts["groups"] += 1
            for type_position, type_data in enumerate(group_data.get("types", [])):
                _import_type(
                    desk=desk,
                    group=group,
                    data=type_data,
                    position=type_position,
                    teams=teams,
                    tier_teams=tier_teams,
                    counts=counts,
                    actor=actor,
                )
    return counts


def _import_type(*, desk, group, data, position, teams, tier_teams, counts, actor) -> None:
    sla = data.get("sla") or {}
    default_team = teams[data["team"]] if data.get("team") else tier_teams[1]
    escalation_team = teams[data["escalation_team"]] if data.get("escalation_team") else tier_teams.get(2)
    request_type, _ = RequestType.objects.update_or_create(
        desk=desk,
        key=data["key"],
        defaults={
            "group": group,
            **{k: data.get(k, "") for k in _LOCALIZED + _TYPE_TEXTS},
            "audience": data.get("audience", RequestType.Audience.MEMBERS),
            "needs_approval": data.get("needs_approval", False),
            "approval_adds_membership": data.get("approval_adds_membership", False),
            "default_team": default_team,
            "escalation_team": escalation_team,
            "sla_first_response_minutes": sla.get("first_response_minutes"),
            "sla_resolution_minutes": sla.get("resolution_minutes"),
            "position": data.get("position", position),
            "is_active": data.get("is_active", True),
            "is_catch_all": data.get("is_catch_all", False),
        },
    )
    counts["types"] += 1
    keys = []
    for field_position, field_data in enumerate(data.get("fields", [])):
        kind = field_data.get("kind", RequestField.Kind.SHORT_TEXT)
        if kind not in RequestField.Kind.values:
            raise CatalogueError(f"{desk.key}/{request_type.key}/{field_data['key']}: unknown kind {kind}")
        if kind == RequestField.Kind.FILE and field_data.get("sensitive"):
            raise CatalogueError(f"{desk.key}/{request_type.key}/{field_data['key']}: {SENSITIVE_FILE_REFUSED}")
        if field_data["key"] in (RequestField.SUMMARY, RequestField.DESCRIPTION) and field_data.get("sensitive"):
            raise CatalogueError(
                f"{desk.key}/{request_type.key}/{field_data['key']}: summary and description cannot be sensitive"
            )
        defaults = {
            "kind": kind,
            "name": field_data["name"],
            "name_es": field_data.get("name_es", ""),
            "help_text": field_data.get("help_text", ""),
            "help_text_es": field_data.get("help_text_es", ""),
            "required": field_data.get("required", False),
            "choices": field_data.get("choices", []),
            "validation": field_data.get("validation", {}),
            "position": field_data.get("position", field_position),
            "archived": False,
        }
        sensitive = bool(field_data.get("sensitive", False))
        field, created = RequestField.objects.update_or_create(
            request_type=request_type,
            key=field_data["key"],
            defaults=defaults,
            create_defaults={**defaults, "sensitive": sensitive},
        )
        if not created and field.sensitive != sensitive:
            request_field_set_sensitive(field=field, sensitive=sensitive, actor=actor)
        keys.append(field_data["key"])
        counts["fields"] += 1
    if RequestField.SUMMARY not in keys:
        raise CatalogueError(f"{desk.key}/{request_type.key}: every request type needs a summary field")
    request_type.fields.exclude(key__in=keys).update(archived=True)


def catalogue_export() -> dict:
    """The whole catalogue in the import format."""
    desks = []
    for desk in ServiceDesk.objects.prefetch_related("teams", "groups__request_types__fields"):
        groups = []
        for group in desk.groups.all():
            types = []
            for request_type in group.request_types.all():
                types.append(
                    {
                        "key": request_type.key,
                        **{k: getattr(request_type, k) for k in _LOCALIZED + _TYPE_TEXTS},
                        "audience": request_type.audience,
                        "team": request_type.default_team.name,
                        "escalation_team": request_type.escalation_team.name if request_type.escalation_team else None,
                        "needs_approval": request_type.needs_approval,
                        "approval_adds_membership": request_type.approval_adds_membership,
                        "is_catch_all": request_type.is_catch_all,
                        "sla": {
                            "first_response_minutes": request_type.sla_first_response_minutes,
                            "resolution_minutes": request_type.sla_resolution_minutes,
                        },
                        "fields": [
                            {
                                "key": f.key,
                                "kind": f.kind,
                                "name": f.name,
                                "name_es": f.name_es,
                                "help_text": f.help_text,
                                "help_text_es": f.help_text_es,
                                "required": f.required,
                                "sensitive": f.sensitive,
                                "choices": f.choices,
                                "validation": f.validation,
                            }
                            for f in request_type.fields.all()
                            if not f.archived
                        ],
                    }
                )
            groups.append({"key": group.key, "name": group.name, "name_es": group.name_es, "types": types})
        desks.append(
            {
                "key": desk.key,
                "slug": desk.slug,
                "name": desk.name,
                "name_es": desk.name_es,
                "description": desk.description,
                "description_es": desk.description_es,
                "teams": [{"name": t.name, "tier": t.tier} for t in desk.teams.all()],
                "groups": groups,
            }
        )
    return {"version": 1, "desks": desks}
