"""Everything that is wrong with a catalogue file, each with its place (path and line), found
before anything is written: the import then either does it all or nothing."""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ..fields import field_kinds_compatible, field_stored_value_count
from ..models import RequestField, RequestType, ServiceDesk, SlaCalendar
from .fileformat import Path

DESK_KEY = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
AUDIENCES = set(RequestType.Audience.values)
KINDS = set(RequestField.Kind.values)
RULES = {"min_length": int, "max_length": int, "min": int, "max": int, "not_in_future": bool}

DESK_KEYS = {"key", "slug", "name", "name_es", "description", "description_es", "email_address", "calendar",
             "is_active", "csat_enabled", "position", "teams", "groups"}  # fmt: skip
TEAM_KEYS = {"name", "tier"}
GROUP_KEYS = {"key", "name", "name_es", "position", "types"}
TYPE_KEYS = {"key", "name", "name_es", "summary", "summary_es", "meaning", "meaning_es", "when_to_use",
             "when_to_use_es", "audience", "team", "escalation_team", "needs_approval", "approval_adds_membership",
             "offboards_member", "is_catch_all", "sla", "position", "is_active", "fields"}  # fmt: skip
FIELD_KEYS = {"key", "kind", "name", "name_es", "help_text", "help_text_es", "required", "sensitive", "choices",
              "validation", "position"}  # fmt: skip
CHOICE_KEYS = {"value", "label", "label_es", "archived"}


# Ten years: an SLA target longer than that is a typing mistake (and would overflow the column).
SLA_MINUTES_MAX = 10 * 366 * 24 * 60


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    message: str

    @property
    def place(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        where = text or "(the file)"
        return f"line {self.line}, {where}" if self.line else where

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class _Checker:
    def __init__(self, lines: dict[Path, int]):
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str) -> None:
        line = None
        for end in range(len(path), -1, -1):  # the nearest place the file has a line for
            line = self.lines.get(tuple(path[:end]))
            if line:
                break
        self.problems.append(Problem(tuple(path), line, message))

    def mapping(self, value: object, path: Path, allowed: set[str], required: tuple[str, ...] = ()) -> bool:
        if not isinstance(value, dict):
            self.add(path, "expected a mapping of keys to values")
            return False
        for key in value:
            if key not in allowed:
                self.add((*path, key), f"unknown key “{key}” (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if value.get(key) in (None, ""):
                self.add((*path, key), "required")
        return True

    def text(
        self,
        data: dict[str, Any],
        key: str,
        path: Path,
        *,
        max_length: int | None = None,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
    ) -> None:
        value = data.get(key)
        if value is None:
            return
        if not isinstance(value, str):
            self.add((*path, key), "expected text")
        elif max_length and len(value) > max_length:
            self.add((*path, key), f"at most {max_length} characters ({len(value)} given)")
        elif pattern and value and not pattern.match(value):
            self.add((*path, key), f"“{value}” is not valid: {hint}")

    def boolean(self, data: dict[str, Any], key: str, path: Path) -> None:
        if key in data and not isinstance(data[key], bool):
            self.add((*path, key), "expected true or false")

    def listing(self, data: dict[str, Any], key: str, path: Path) -> list[Any]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.add((*path, key), "expected a list")
            return []
        return value


def catalogue_validate(data: Any, lines: dict[Path, int] | None = None) -> list[Problem]:
    """Every problem of the file; an empty list means the import will go through."""
    check = _Checker(lines or {})
    if not isinstance(data, dict):
        check.add((), "expected a catalogue: a mapping with `version: 1` and `desks`")
        return check.problems
    if data.get("version") != 1:
        check.add(("version",), "must be 1")
    desk_keys: dict[str, Any] = {}
    desk_slugs: dict[str, Any] = {}
    for index, desk in enumerate(check.listing(data, "desks", ())):
        path = ("desks", index)
        if not check.mapping(desk, path, DESK_KEYS, ("key", "slug", "name")):
            continue
        check.text(desk, "key", path, max_length=10, pattern=DESK_KEY, hint="upper-case letters and digits")
        check.text(desk, "slug", path, max_length=50, pattern=SLUG, hint="letters, digits and hyphens")
        for key in ("name", "name_es"):
            check.text(desk, key, path, max_length=120)
        for key in ("description", "description_es", "email_address", "calendar"):
            check.text(desk, key, path)
        check.boolean(desk, "is_active", path)
        check.boolean(desk, "csat_enabled", path)
        _unique(check, desk_keys, desk.get("key"), (*path, "key"), "desk key")
        _unique(check, desk_slugs, desk.get("slug"), (*path, "slug"), "desk slug")
        if isinstance(desk.get("email_address"), str) and desk["email_address"]:
            try:
                validate_email(desk["email_address"])
            except ValidationError:
                check.add((*path, "email_address"), "not an e-mail address")
        if desk.get("calendar") and not SlaCalendar.objects.filter(name=desk["calendar"]).exists():
            check.add((*path, "calendar"), f"no SLA calendar is named “{desk['calendar']}”")
        if isinstance(desk.get("slug"), str) and isinstance(desk.get("key"), str):
            other = ServiceDesk.objects.filter(slug=desk["slug"]).exclude(key=desk["key"]).first()
            if other is not None:
                check.add((*path, "slug"), f"desk {other.key} already uses this slug")
        _check_desk(check, desk, path)
    return check.problems


def _unique(check: _Checker, seen: dict[Any, str], value: Any, path: Path, what: str) -> None:
    if not isinstance(value, str | int) or value in (None, ""):
        return
    if value in seen:
        check.add(path, f"the {what} “{value}” is used twice (also at {seen[value]})")
    else:
        seen[value] = Problem(path, check.lines.get(path), "").place


def _check_desk(check: _Checker, desk: dict[str, Any], path: Path) -> None:
    teams: dict[str, Any] = {}
    tiers: set[Any] = set()
    for index, team in enumerate(check.listing(desk, "teams", path)):
        team_path = (*path, "teams", index)
        if not check.mapping(team, team_path, TEAM_KEYS, ("name",)):
            continue
        check.text(team, "name", team_path, max_length=120)
        if team.get("tier", 1) not in (1, 2):
            check.add((*team_path, "tier"), "must be 1 or 2")
        else:
            tiers.add(team.get("tier", 1))
        _unique(check, teams, team.get("name"), (*team_path, "name"), "team name")
    if 1 not in tiers:
        check.add((*path, "teams"), "a Tier I team is required")
    group_keys: dict[str, Any] = {}
    type_keys: dict[str, Any] = {}
    for index, group in enumerate(check.listing(desk, "groups", path)):
        group_path = (*path, "groups", index)
        if not check.mapping(group, group_path, GROUP_KEYS, ("key", "name")):
            continue
        check.text(group, "key", group_path, max_length=50, pattern=SLUG, hint="letters, digits and hyphens")
        for key in ("name", "name_es"):
            check.text(group, key, group_path, max_length=120)
        _unique(check, group_keys, group.get("key"), (*group_path, "key"), "group key")
        for type_index, request_type in enumerate(check.listing(group, "types", group_path)):
            type_path = (*group_path, "types", type_index)
            if check.mapping(request_type, type_path, TYPE_KEYS, ("key", "name")):
                _unique(check, type_keys, request_type.get("key"), (*type_path, "key"), "request type key")
                _check_type(check, request_type, type_path, desk, set(teams))


def _check_type(check: _Checker, data: dict[str, Any], path: Path, desk: dict[str, Any], teams: set[str]) -> None:
    check.text(data, "key", path, max_length=50, pattern=SLUG, hint="letters, digits and hyphens")
    check.text(data, "name", path, max_length=160)
    check.text(data, "name_es", path, max_length=160)
    for key in ("summary", "summary_es"):
        check.text(data, key, path, max_length=255)
    for key in ("meaning", "meaning_es", "when_to_use", "when_to_use_es"):
        check.text(data, key, path)
    if data.get("audience", RequestType.Audience.MEMBERS) not in AUDIENCES:
        check.add((*path, "audience"), f"one of {', '.join(sorted(AUDIENCES))}")
    for key in ("needs_approval", "approval_adds_membership", "offboards_member", "is_catch_all", "is_active"):
        check.boolean(data, key, path)
    for key in ("team", "escalation_team"):
        if data.get(key) is not None and data[key] not in teams:
            check.add((*path, key), f"no team of this desk is named “{data[key]}”")
    sla = data.get("sla") or {}
    if not isinstance(sla, dict):
        check.add((*path, "sla"), "expected first_response_minutes and resolution_minutes")
    else:
        for key, value in sla.items():
            if key not in ("first_response_minutes", "resolution_minutes"):
                check.add((*path, "sla", key), "unknown key (first_response_minutes or resolution_minutes)")
            elif value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= SLA_MINUTES_MAX
            ):
                check.add((*path, "sla", key), f"a whole number of minutes up to {SLA_MINUTES_MAX}, or nothing")
    keys: dict[str, Any] = {}
    stored = _stored_fields(desk.get("key"), data.get("key"))
    for index, field in enumerate(check.listing(data, "fields", path)):
        field_path = (*path, "fields", index)
        if check.mapping(field, field_path, FIELD_KEYS, ("key", "name")):
            _unique(check, keys, field.get("key"), (*field_path, "key"), "field key")
            _check_field(check, field, field_path, stored)
    if RequestField.SUMMARY not in keys:
        check.add((*path, "fields"), "every request type needs a summary field")


def _stored_fields(desk_key: str | None, type_key: str | None) -> dict[str, RequestField]:
    if not isinstance(desk_key, str) or not isinstance(type_key, str):
        return {}
    return {f.key: f for f in RequestField.objects.filter(request_type__desk__key=desk_key, request_type__key=type_key)}


def _check_field(check: _Checker, field: dict[str, Any], path: Path, stored: dict[Any, RequestField]) -> None:
    check.text(field, "key", path, max_length=64, pattern=SLUG, hint="letters, digits, hyphens and underscores")
    for key in ("name", "name_es"):
        check.text(field, key, path, max_length=160)
    for key in ("help_text", "help_text_es"):
        check.text(field, key, path)
    for key in ("required", "sensitive"):
        check.boolean(field, key, path)
    kind = field.get("kind", RequestField.Kind.SHORT_TEXT)
    if kind not in KINDS:
        check.add((*path, "kind"), f"unknown kind “{kind}” (one of {', '.join(sorted(KINDS))})")
    if field.get("sensitive") and kind == RequestField.Kind.FILE:
        check.add((*path, "sensitive"), "a file field cannot be sensitive (files are not kept apart from Tier I)")
    if field.get("sensitive") and field.get("key") in (RequestField.SUMMARY, RequestField.DESCRIPTION):
        check.add((*path, "sensitive"), "summary and description cannot be sensitive")
    values: dict[str, Any] = {}
    for index, choice in enumerate(check.listing(field, "choices", path)):
        choice_path = (*path, "choices", index)
        if check.mapping(choice, choice_path, CHOICE_KEYS, ("value", "label")):
            for key in ("value", "label", "label_es"):
                check.text(choice, key, choice_path, max_length=160)
            check.boolean(choice, "archived", choice_path)
            _unique(check, values, choice.get("value"), (*choice_path, "value"), "choice value")
    rules = field.get("validation") or {}
    if not isinstance(rules, dict):
        check.add((*path, "validation"), "expected a mapping of rules")
    else:
        for rule, value in rules.items():
            wanted = RULES.get(rule)
            if wanted is None:
                check.add((*path, "validation", rule), f"unknown rule (one of {', '.join(RULES)})")
            elif not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
                check.add((*path, "validation", rule), "expected a whole number" if wanted is int else "true or false")
    existing = stored.get(field.get("key"))
    if existing is not None and kind in KINDS and not field_kinds_compatible(existing.kind, kind):
        count = field_stored_value_count(field=existing)
        if count:
            check.add((*path, "kind"), f"{count} requests hold values of this {existing.kind} field: its kind "
                      "cannot change (archive it by leaving it out, and add a field with a new key)")  # fmt: skip
