"""The catalogue as a file: desks, teams, groups, request types and their fields, in YAML (or
JSON). The same format serves the demo data (`load_demo`), `manage.py catalogue_export` /
`catalogue_import` and the editor's download and upload (/configure/catalogue-file/)."""

from pathlib import Path
from typing import Any

from .exporter import catalogue_export
from .fileformat import CatalogueFileError, catalogue_dump, catalogue_parse
from .importer import CatalogueError, CatalogueInvalid, CatalogueReport, catalogue_import
from .validation import Problem, catalogue_validate

DEMO_CATALOGUE = Path(__file__).with_name("demo_catalogue.yaml")
DEMO_PEOPLE = Path(__file__).with_name("demo_people.yaml")

__all__ = [
    "DEMO_CATALOGUE", "DEMO_PEOPLE", "CatalogueError", "CatalogueFileError", "CatalogueInvalid", "CatalogueReport",
    "Problem", "catalogue_dump", "catalogue_export", "catalogue_import", "catalogue_load_file", "catalogue_parse",
    "catalogue_validate",
]  # fmt: skip


def catalogue_load_file(path: Path) -> dict[str, Any]:
    """A version 1 file's data (the demo catalogue and the demo people)."""
    data, _lines = catalogue_parse(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") != 1:
        raise CatalogueError(f"{path}: not a version 1 catalogue")
    return data
