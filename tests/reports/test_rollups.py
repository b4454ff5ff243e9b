"""The daily rollups give the same figures as the per-request facts, for every filter, before and
after a refresh that follows new and changed requests; the cached figures follow the refresh."""

import pytest
from django.urls import reverse

from reports import selectors
from reports.facts import reports_refresh
from reports.models import DailyRollup, TicketFact
from reports.rollups import rollups_refresh_days
from reports.selectors import report_channels, report_organizations, report_sla, report_volume, report_workload
from tickets.models import RequestType, Ticket
from tickets.services import ticket_escalate_tier, ticket_transition

from .fixtures import WEEK_QUERY, local
from .test_selectors import scope_for
from .test_views import tables_of

pytestmark = pytest.mark.django_db

REPORTS = (report_volume, report_channels, report_sla, report_organizations, report_workload)


def _rows(scope):
    rows = []
    for report in REPORTS:
        result = report(scope)
        for table in result if isinstance(result, tuple) else (result,):
            rows.append((table.key, table.rows))
    return rows


def _figures(user, **filters):
    """The figures through the rollups and through the facts alone."""
    scope = scope_for(user, **filters)
    from_rollups = _rows(scope)
    original = selectors._rollups
    selectors._rollups = lambda scope: None
    try:
        from_facts = _rows(scope)
    finally:
        selectors._rollups = original
    return from_rollups, from_facts


def _filters(catalogue_type):
    return [
        {},
        {"period": "week"},
        {"period": "month", "date_from": "2026-10-01", "date_to": "2026-11-30"},
        {"date_from": "2026-11-03", "date_to": "2026-11-05"},
        {"desk": "customer-service"},
        {"request_type": str(catalogue_type.pk)},
        {"channel": "email"},
        {"channel": "portal", "period": "week"},
    ]


def test_the_rollups_give_the_facts_figures_for_every_filter(refreshed, superuser):
    assert DailyRollup.objects.exists()
    general = RequestType.objects.get(pk=refreshed["a"].request_type_id)
    for filters in _filters(general):
        from_rollups, from_facts = _figures(superuser, **filters)
        assert from_rollups == from_facts, filters
    volume = report_volume(scope_for(superuser, period="week"))
    assert volume.rows == [["2026-11-02", 4, 3], ["2026-11-09", 0, 0]]


def test_an_organisation_filter_reads_the_facts(refreshed, superuser):
    scope = scope_for(superuser, organization=str(refreshed["a"].organization_id))
    assert selectors._rollups(scope) is None
    assert report_volume(scope).column(1) == [2, 1, 0, 0, 1, 0, 0, 0]


def test_after_a_refresh_of_new_and_changed_requests_they_still_agree(refreshed, superuser, submit, customer, tier1,
                                                                      settings):  # fmt: skip
    settings.REPORTS_REFRESH_OVERLAP_SECONDS = 0
    week = refreshed
    # A new request on Thursday 5 Nov by e-mail, C reopened and resolved again on Monday 9 Nov,
    # D escalated and resolved on Tuesday 10 Nov (outside the range: its Friday row loses it).
    e = submit(customer, summary="Another one")
    Ticket.objects.filter(pk=e.pk).update(created_at=local(5, 11), channel="email")
    ticket_transition(ticket=week["c"], action="reopen", actor=tier1)
    ticket_transition(ticket=week["c"], action="resolve", actor=tier1)
    Ticket.objects.filter(pk=week["c"].pk).update(resolved_at=local(9, 12))
    ticket_escalate_tier(ticket=week["d"], actor=tier1, to_tier=2, reason="Needs the claims team.")
    ticket_transition(ticket=week["d"], action="resolve", actor=tier1)
    Ticket.objects.filter(pk=week["d"].pk).update(resolved_at=local(10, 9))
    before = list(DailyRollup.objects.order_by("day", "request_type_id", "channel").values())
    reports_refresh()
    assert TicketFact.objects.count() == 5
    general = RequestType.objects.get(pk=week["a"].request_type_id)
    for filters in _filters(general):
        from_rollups, from_facts = _figures(superuser, **filters)
        assert from_rollups == from_facts, filters
    assert report_volume(scope_for(superuser)).rows == [
        ["2026-11-02", 2, 1], ["2026-11-03", 1, 1], ["2026-11-04", 0, 0], ["2026-11-05", 1, 0],
        ["2026-11-06", 1, 0], ["2026-11-07", 0, 0], ["2026-11-08", 0, 0], ["2026-11-09", 0, 1],
    ]  # fmt: skip
    # The incremental rows are those a full sum gives.
    incremental = list(DailyRollup.objects.order_by("day", "request_type_id", "channel").values(*_COLUMNS))
    rollups_refresh_days()
    assert incremental == list(DailyRollup.objects.order_by("day", "request_type_id", "channel").values(*_COLUMNS))
    assert incremental != [{k: row[k] for k in _COLUMNS} for row in before]


_COLUMNS = [f.attname for f in DailyRollup._meta.concrete_fields if f.name != "id"]


def test_the_dashboard_shows_the_new_figures_after_a_refresh(client, refreshed, superuser, submit, customer, settings):
    settings.REPORTS_REFRESH_OVERLAP_SECONDS = 0
    client.force_login(superuser)
    url = reverse("reports:dashboard")
    first = tables_of(client.get(url, WEEK_QUERY))["volume"]
    assert first[4] == ["2026-11-05", "0", "0"]
    e = submit(customer, summary="Another one")
    Ticket.objects.filter(pk=e.pk).update(created_at=local(5, 11))
    # Until the refresh the page shows the summary tables as they were (cached or not) ...
    assert tables_of(client.get(url, WEEK_QUERY))["volume"] == first
    reports_refresh()
    # ... and the refresh is seen at once, on the page and in the CSV.
    assert tables_of(client.get(url, WEEK_QUERY))["volume"][4] == ["2026-11-05", "1", "0"]
    csv_text = client.get(reverse("reports:csv", args=["volume"]), WEEK_QUERY).content.decode()
    assert "2026-11-05,1,0" in csv_text.replace("\r", "")


def test_the_refresh_task_warms_the_default_view_for_every_set_of_desks(
    refreshed, superuser, tier1, django_assert_num_queries
):
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from reports.filters import ReportFilterForm
    from reports.rollups import summary_version
    from reports.sections import LIVE, SECTIONS, section_tables
    from reports.tasks import refresh_reports

    customer_service = RequestType.objects.filter(desk__slug="customer-service").first()
    Ticket.objects.filter(pk=Ticket.objects.filter(request_type=customer_service).first().pk).update(summary="Moved")
    refresh_reports()  # as beat runs it: refresh, then warm
    version = summary_version()
    cached = [function for _key, _heading, function in SECTIONS if function not in LIVE]
    for person in (tier1, superuser):
        for language in ("en", "es"):
            with translation.override(language):
                form = ReportFilterForm(QueryDict(""), user=person)
                assert form.is_valid()
                scope = form.scope()
                with django_assert_num_queries(0):  # every section from the cache
                    for function in cached:
                        section_tables(function, scope, version)
    # The control: a version nothing was warmed for computes from the tables.
    with translation.override("en"):
        form = ReportFilterForm(QueryDict(""), user=tier1)
        assert form.is_valid()
        with CaptureQueriesContext(connection) as queries:
            section_tables(cached[0], form.scope(), version + 1000)
        assert queries.captured_queries
