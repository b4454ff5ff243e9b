"""The whole catalogue in the import format: importing the export changes nothing, and exporting
again gives the same file."""

from typing import Any

from django.db.models import Prefetch

from ..models import RequestField, RequestType, ServiceDesk
from .importer import LOCALIZED, TYPE_TEXTS, optional_type_flags

FIELD_TEXTS = ("name", "name_es", "help_text", "help_text_es")


def _field(field: RequestField) -> dict[str, Any]:
    return {
        "key": field.key,
        "kind": field.kind,
        **{k: getattr(field, k) for k in FIELD_TEXTS},
        "required": field.required,
        "sensitive": field.sensitive,
        "choices": field.choices or [],
        "validation": field.validation or {},
    }


def _type(request_type: RequestType) -> dict[str, Any]:
    data = {
        "key": request_type.key,
        **{k: getattr(request_type, k) for k in LOCALIZED + TYPE_TEXTS},
        "audience": request_type.audience,
        "team": request_type.default_team.name,
        "escalation_team": request_type.escalation_team.name if request_type.escalation_team else None,
        "needs_approval": request_type.needs_approval,
        "approval_adds_membership": request_type.approval_adds_membership,
        "is_catch_all": request_type.is_catch_all,
        "offboards_member": request_type.offboards_member,
        **{flag: getattr(request_type, flag) for flag in optional_type_flags()},
    }
    return {
        **data,
        "sla": {
            "first_response_minutes": request_type.sla_first_response_minutes,
            "resolution_minutes": request_type.sla_resolution_minutes,
        },
        "is_active": request_type.is_active,
        "fields": [_field(f) for f in request_type.fields.all() if not f.archived],
    }


def catalogue_export() -> dict[str, Any]:
    """Every desk with its teams, groups, request types and live fields, in their order."""
    types = RequestType.objects.select_related("default_team", "escalation_team").order_by("position", "name")
    desks = ServiceDesk.objects.select_related("calendar").prefetch_related(
        "teams",
        "groups",
        Prefetch("groups__request_types", queryset=types),
        Prefetch("groups__request_types__fields", queryset=RequestField.objects.order_by("position", "id")),
    )
    return {
        "version": 1,
        "desks": [
            {
                "key": desk.key,
                "slug": desk.slug,
                **{k: getattr(desk, k) for k in ("name", "name_es", "description", "description_es")},
                "email_address": desk.email_address,
                "calendar": desk.calendar.name if desk.calendar else None,
                "is_active": desk.is_active,
                "csat_enabled": desk.csat_enabled,
                "teams": [{"name": t.name, "tier": t.tier} for t in desk.teams.all()],
                "groups": [
                    {
                        "key": group.key,
                        **{k: getattr(group, k) for k in LOCALIZED},
                        "types": [_type(t) for t in group.request_types.all()],
                    }
                    for group in desk.groups.all()
                ],
            }
            for desk in desks
        ],
    }
