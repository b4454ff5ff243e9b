"""The reports at /agent/reports/: agents see their desks' figures, admins every desk's."""

import csv
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from accounts.models import User
from tickets.selectors import _csv_cell
from tickets.views import agent_required

from . import charts
from .cached import summary_cached
from .charts import Series
from .facts import reports_freshness, reports_refresh_if_stale
from .filters import ReportFilterForm, Scope
from .rollups import summary_version
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


def _section(function: Callable[[Scope], Table | tuple[Table, ...]], scope: Scope, version: int) -> tuple[Table, ...]:
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


def _form(request: HttpRequest) -> ReportFilterForm:
    return ReportFilterForm(request.GET, user=cast(User, request.user))  # agent_required: signed in


@agent_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, "agent/reports/dashboard.html", {"form": form, "sections": []}, status=400)
    reports_refresh_if_stale()
    scope = form.scope()
    version = summary_version()
    sections = []
    for key, heading, function in SECTIONS:
        sections.append((key, heading, _section(function, scope, version)))
    context = {
        "form": form,
        "sections": sections,
        "filter_query": request.GET.urlencode(),
        "freshness": reports_freshness(),
        "refresh_minutes": round(settings.REPORTS_REFRESH_SECONDS / 60),
        "scope": scope,
    }
    return render(request, "agent/reports/dashboard.html", context)


def table_csv(table: Table) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow([_csv_cell(str(c)) for c in table.columns])
    for row in table.text_rows:
        writer.writerow([_csv_cell(c) for c in row])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{table.key}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# Which section computes each table (the CSV computes only that section).
TABLE_SECTION: dict[str, Callable[[Scope], Table | tuple[Table, ...]]] = {
    "volume": report_volume, "backlog_status": report_backlog, "backlog_tier": report_backlog,
    "sla_desk": report_sla, "sla_type": report_sla, "channels": report_channels,
    "organizations": report_organizations, "sites": report_organizations, "provider_months": report_organizations,
    "csat": report_csat, "csat_distribution": report_csat, "csat_comments": report_csat,
    "deflection": report_deflection, "workload_agents": report_workload, "workload_teams": report_workload,
    "workload_resolved": report_workload,
}  # fmt: skip


@agent_required
def dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    """One table of the dashboard, with the same filters, exactly as the page shows it."""
    function = TABLE_SECTION.get(key)
    if function is None:
        raise Http404
    form = _form(request)
    if not form.is_valid():
        return HttpResponse(_("Check the filters: %(errors)s") % {"errors": form.errors.as_text()}, status=400,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    table = next(t for t in _section(function, form.scope(), summary_version()) if t.key == key)
    return table_csv(table)
