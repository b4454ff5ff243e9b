"""The dashboard's figures on the fixed week of tests/reports/conftest.py, against hand-worked ones."""

from datetime import date

import pytest

from reports.facts import backlog_snapshot, facts_refresh_tickets
from reports.filters import ReportFilterForm
from reports.models import TicketFact
from reports.selectors import _sla_groups, report_backlog, report_channels, report_sla, report_volume, report_workload

from .fixtures import WEEK_QUERY

pytestmark = pytest.mark.django_db


def scope_for(user, **extra):
    form = ReportFilterForm({**WEEK_QUERY, **extra}, user=user)
    assert form.is_valid(), form.errors
    return form.scope()


def test_it_counts_business_minutes_per_request(refreshed):
    facts = {f.ticket_id: f for f in TicketFact.objects.all()}
    a, b, c, d = (facts[refreshed[k].pk] for k in "abcd")
    assert [a.first_response_minutes, b.first_response_minutes, c.first_response_minutes, d.first_response_minutes] == [
        60,
        120,
        300,
        90,
    ]
    assert [a.resolution_minutes, b.resolution_minutes, c.resolution_minutes, d.resolution_minutes] == [
        240,
        600,
        540,
        None,
    ]
    # C answered at 15:00, due at 14:00; D is open and past its resolution due time.
    assert [f.first_response_met for f in (a, b, c, d)] == [True, True, False, True]
    assert [f.resolution_met for f in (a, b, c, d)] == [True, True, True, False]
    assert (a.reopened, b.escalated, c.escalated, d.channel) == (True, True, False, "email")


def test_it_gives_the_business_time_percentiles_of_percentile_cont(refreshed, superuser):
    (group,) = _sla_groups(scope_for(superuser), ["desk_id"])
    # First response [60, 90, 120, 300]: median (90 + 120) / 2; p90 at 2.7: 120 + 0.7 × 180.
    assert group["first_response_minutes_p50"] == pytest.approx(105)
    assert group["first_response_minutes_p90"] == pytest.approx(246)
    # Resolution [240, 540, 600]: median 540; p90 at 1.8: 540 + 0.8 × 60.
    assert group["resolution_minutes_p50"] == pytest.approx(540)
    assert group["resolution_minutes_p90"] == pytest.approx(588)


def test_it_shows_sla_compliance_per_desk_and_type_in_hours(refreshed, superuser):
    desk_table, type_table = report_sla(scope_for(superuser))
    assert desk_table.text_rows == [["Customer Service Desk", "4", "1.8", "4.1", "75.0", "9.0", "9.8", "75.0"]]
    assert type_table.text_rows == [
        ["CSD · General Request – Portal link", "4", "1.8", "4.1", "4.0", "75.0", "9.0", "9.8", "48.0", "75.0"]
    ]


def test_it_counts_created_and_resolved_per_day(refreshed, superuser):
    table = report_volume(scope_for(superuser))
    assert table.rows == [
        ["2026-11-02", 2, 1], ["2026-11-03", 1, 1], ["2026-11-04", 0, 1], ["2026-11-05", 0, 0],
        ["2026-11-06", 1, 0], ["2026-11-07", 0, 0], ["2026-11-08", 0, 0], ["2026-11-09", 0, 0],
    ]  # fmt: skip
    weekly = report_volume(scope_for(superuser, period="week"))
    assert weekly.rows == [["2026-11-02", 4, 3], ["2026-11-09", 0, 0]]


def test_it_gives_escalation_and_reopen_rates_per_channel(refreshed, superuser):
    rows = {row[0]: row[1:] for row in report_channels(scope_for(superuser)).text_rows}
    assert rows["Portal"] == ["3", "33.3", "33.3"]
    assert rows["E-mail"] == ["1", "0.0", "–"]
    assert rows["All channels"] == ["4", "25.0", "33.3"]


def test_it_draws_the_backlog_from_the_last_snapshot_of_each_period(refreshed, superuser, tier1):
    from tickets.services import ticket_transition

    backlog_snapshot(day=date(2026, 11, 3))
    ticket_transition(ticket=refreshed["d"], action="start_progress", actor=tier1)
    facts_refresh_tickets(ids=[refreshed["d"].pk])
    backlog_snapshot(day=date(2026, 11, 6))
    by_status, by_tier = report_backlog(scope_for(superuser, period="week"))
    assert by_status.columns[1:3] == ["Waiting for approval", "Waiting for support"]
    assert by_status.rows == [["2026-11-02", 0, 0, 1, 0]]
    assert by_tier.rows == [["2026-11-02", 1, 0]]
    daily, _tiers = report_backlog(scope_for(superuser))
    assert daily.rows == [["2026-11-03", 0, 1, 0, 0], ["2026-11-06", 0, 0, 1, 0]]


def test_it_counts_the_workload_per_agent_and_team(refreshed, superuser, tier1, tier2):
    agents, teams, resolved = report_workload(scope_for(superuser, period="week"))
    assert agents.rows == [[tier1.full_name, 1]]
    assert teams.rows == [["Customer Service — Tier I", 1]]
    # A and C were resolved unassigned; B by nobody assigned either (the escalation unassigned it).
    assert resolved.columns == ["Week", "Unassigned", "Total"]
    assert resolved.rows == [["2026-11-02", 3, 3]]


def test_an_agent_sees_only_the_figures_of_their_desks(refreshed, submit, customer, catalogue):
    from accounts.models import User
    from tickets.models import Team

    ccp_agent = User.objects.create_user(email="ccp@example.org", password="pw-for-tests-1", full_name="Cee")
    Team.objects.get(desk__key="CCP", tier=1).members.add(ccp_agent)
    assert report_volume(scope_for(ccp_agent)).column(1) == [0] * 8
    desk_table, _types = report_sla(scope_for(ccp_agent))
    assert desk_table.rows == []


def test_a_filter_outside_the_agents_desks_is_refused(refreshed, catalogue):
    from accounts.models import User
    from tickets.models import Team

    ccp_agent = User.objects.create_user(email="ccp@example.org", password="pw-for-tests-1", full_name="Cee")
    Team.objects.get(desk__key="CCP", tier=1).members.add(ccp_agent)
    form = ReportFilterForm({**WEEK_QUERY, "desk": "customer-service"}, user=ccp_agent)
    assert not form.is_valid() and "desk" in form.errors


def test_without_percentile_cont_the_same_figures_come_from_python(refreshed, superuser, monkeypatch):
    """The SQLite fallback (percentile_cont's definition over the group's values) agrees with PostgreSQL."""
    from reports import selectors

    scope = scope_for(superuser)
    in_sql = _sla_groups(scope, ["request_type_id"])
    monkeypatch.setattr(selectors, "has_percentiles", lambda: False)
    in_python = _sla_groups(scope, ["request_type_id"])
    assert len(in_python) == len(in_sql) == 1
    assert in_python[0] == pytest.approx(in_sql[0])
