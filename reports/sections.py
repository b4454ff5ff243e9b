"""The dashboard's sections and their charts: what each section computes, drawn and cached
with its tables (the page, its CSVs and the warm-up after a refresh all read them here)."""

from collections.abc import Callable

from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from . import charts
from .cached import summary_cached
from .charts import Series
from .filters import Scope
from .selectors import report_backlog, report_channels, report_organizations, report_sla, report_volume, report_workload
from .selectors_feedback import report_csat, report_deflection
from .tables import Table

# The dashboard's sections in page order: (heading, function giving its tables).
SECTIONS: list[tuple[str, StrOrPromise, Callable[[Scope], Table | tuple[Table, ...]]]] = [
    ("volume", gettext_lazy("Volume"), report_volume),
    ("backlog", gettext_lazy("Backlog"), report_backlog),
    ("sla", gettext_lazy("Times and SLA"), report_sla),
    ("channels", gettext_lazy("Channels, escalations and reopens"), report_channels),
    ("organizations", gettext_lazy("Organisations and sites"), report_organizations),
    ("csat", gettext_lazy("Customer satisfaction"), report_csat),
    ("deflection", gettext_lazy("Knowledge base"), report_deflection),
    ("workload", gettext_lazy("Agents' workload"), report_workload),
]


# The sections that read live rows rather than the summary tables: never cached.
LIVE = {report_csat, report_deflection}


def section_tables(
    function: Callable[[Scope], Table | tuple[Table, ...]], scope: Scope, version: int
) -> tuple[Table, ...]:
    """A section's tables with their charts drawn: cached with them, unless the section is live."""

    def drawn(scope: Scope) -> tuple[Table, ...]:
        tables = _as_tuple(function(scope))
        for table in tables:
            _draw(table)
        return tables

    if function in LIVE:
        return drawn(scope)
    return summary_cached(function.__name__, scope, drawn, version=version)


def _as_tuple(result: Table | tuple[Table, ...]) -> tuple[Table, ...]:
    return result if isinstance(result, tuple) else (result,)


def _numbers(table: Table, index: int) -> list[float]:
    return [v if isinstance(v, int | float) else 0 for v in table.column(index)]


def _series(table: Table, first: int = 1, last: int | None = None) -> list[Series]:
    last = len(table.columns) if last is None else last
    return [Series(str(table.columns[i]), _numbers(table, i)) for i in range(first, last)]


def _labels(table: Table) -> list[str]:
    return [str(v) for v in table.column(0)]


def _draw(table: Table) -> None:
    """The chart of a table, if it has one."""
    uid, title = f"chart-{table.key}", str(table.title)
    if not any(isinstance(v, int | float) and v for row in table.rows for v in row[1:]):
        return  # nothing but zeros: the table says so, an empty plot would not
    if table.key == "volume":
        table.chart = charts.bar_chart(uid=uid, title=title, categories=_labels(table), series=_series(table))
    elif table.key in ("backlog_status", "backlog_tier"):
        table.chart = charts.bar_chart(
            uid=uid, title=title, categories=_labels(table), series=_series(table), stacked=True
        )
    elif table.key in ("sla_desk", "sla_type"):
        columns = [i for i, c in enumerate(table.columns) if str(c).endswith("(%)")]
        series = [Series(str(table.columns[i]), [v for v in table.column(i)]) for i in columns]
        table.chart = charts.hbar_chart(uid=uid, title=title, labels=_labels(table), series=series, unit=" %",
                                        axis_max=100)  # fmt: skip
    elif table.key == "channels":
        body = Table(table.key, table.title, table.columns, table.rows[:-1])
        table.chart = charts.bar_chart(uid=uid, title=title, categories=_labels(body), series=_series(body, 1, 2))
    elif table.key in ("organizations", "workload_agents", "workload_teams", "deflection"):
        table.chart = charts.hbar_chart(uid=uid, title=title, labels=_labels(table), series=_series(table, 1, 2))
    elif table.key == "sites":
        labels = [f"{site} ({org})" for site, org in zip(table.column(0), table.column(1), strict=True)]
        table.chart = charts.hbar_chart(uid=uid, title=title, labels=labels, series=_series(table, 2, 3))
    elif table.key == "csat_distribution":
        table.chart = charts.bar_chart(uid=uid, title=title, categories=_labels(table), series=_series(table, 1, 2))
    elif table.key == "workload_resolved":
        table.chart = charts.bar_chart(
            uid=uid, title=title, categories=_labels(table), series=_series(table, 1, len(table.columns) - 1),
            stacked=True,
        )  # fmt: skip
