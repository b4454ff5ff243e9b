"""A report's numbers as one table: what the page shows, what the chart draws and what the CSV
download contains are the same rows, formatted once."""

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Aggregate, FloatField
from django.utils.safestring import SafeString


def cell(value: object) -> str:
    """The one way a figure is written, on the page and in the CSV."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    chart: SafeString | None = None
    # Per row, an optional link for the first cell (e.g. a phrase to its requests).
    links: list[str] = field(default_factory=list)

    @property
    def text_rows(self) -> list[list[str]]:
        return [[cell(value) for value in row] for row in self.rows]

    @property
    def linked_rows(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Per row: its link and (column, text) per cell (the column labels a cell on a phone)."""
        links = self.links or [""] * len(self.rows)
        columns = [str(c) for c in self.columns]
        return [(link, list(zip(columns, row, strict=True))) for link, row in zip(links, self.text_rows, strict=True)]

    def column(self, index: int) -> list[Any]:
        return [row[index] for row in self.rows]


def rate(part: int | None, whole: int | None) -> float | None:
    """A percentage, or None when there is nothing to divide."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


def hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60.0, 1)


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the continuous percentile, interpolated between values."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def has_percentiles() -> bool:
    return connection.vendor == "postgresql"


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont's definition, for databases without it (SQLite)."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
