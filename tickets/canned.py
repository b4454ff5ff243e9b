"""Canned responses from a YAML file (the demo's, or one an admin keeps): idempotent by desk
and title, so loading twice changes nothing. Placeholders are documented on CannedResponse."""

from pathlib import Path

import yaml

from .models import CannedResponse, ServiceDesk

DEMO_CANNED = Path(__file__).with_name("catalogue") / "demo_canned.yaml"


def canned_responses_import(*, path: Path = DEMO_CANNED) -> int:
    """Create or update each listed answer; returns how many are listed."""
    rows = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("canned_responses", [])
    desks = {desk.key: desk for desk in ServiceDesk.objects.all()}
    for row in rows:
        desk = desks.get(row["desk"]) if row.get("desk") else None
        if row.get("desk") and desk is None:
            continue  # a desk this catalogue does not have
        CannedResponse.objects.update_or_create(
            desk=desk,
            name=row["name"],
            defaults={
                "name_es": row.get("name_es", ""),
                "body": row["body"],
                "body_es": row.get("body_es", ""),
                "is_active": True,
            },
        )
    return len(rows)
