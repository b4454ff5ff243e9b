"""The reports at /agent/reports/: agents see their desks' figures, admins every desk's."""

import csv
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.selectors import _csv_cell
from tickets.views import agent_required

from .facts import reports_freshness, reports_refresh_if_stale
from .filters import ReportFilterForm, Scope
from .rollups import summary_version
from .sections import SECTIONS, section_tables
from .selectors import report_backlog, report_channels, report_organizations, report_sla, report_volume, report_workload
from .selectors_feedback import report_csat, report_deflection
from .tables import Table


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
        sections.append((key, heading, section_tables(function, scope, version)))
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
    table = next(t for t in section_tables(function, form.scope(), summary_version()) if t.key == key)
    return table_csv(table)
