"""The summary tables' refresh: a first build over several runs, then only what changed."""

import pytest

from reports import facts
from reports.facts import reports_freshness, reports_refresh
from reports.models import ReportRefresh, TicketFact
from tickets.services import ticket_transition

pytestmark = pytest.mark.django_db


def test_a_first_build_goes_on_over_several_runs_within_its_budget(week, monkeypatch):
    monkeypatch.setattr(facts, "BATCH", 1)
    first = reports_refresh(budget_seconds=0)
    # One batch per run: a run out of time leaves the figures "not computed yet" and its place.
    assert TicketFact.objects.count() == 1 and first.build_cursor == week["a"].pk
    assert reports_freshness() is None
    for _run in range(3):
        reports_refresh(budget_seconds=0)
    assert TicketFact.objects.count() == 4
    done = reports_refresh(budget_seconds=0)
    assert done.finished_at is not None and done.build_cursor == 0 and done.tickets == 4
    assert done.watermark == ReportRefresh.objects.get().watermark


def test_later_runs_refresh_only_the_changed_requests(week, tier1, settings):
    settings.REPORTS_REFRESH_OVERLAP_SECONDS = 0  # the fixture's own activity is minutes old
    reports_refresh()
    assert TicketFact.objects.get(pk=week["d"].pk).status == "waiting_for_support"
    ticket_transition(ticket=week["d"], action="start_progress", actor=tier1)
    state = reports_refresh()
    assert state.tickets == 1
    assert TicketFact.objects.get(pk=week["d"].pk).status == "in_progress"


def test_a_full_rebuild_starts_again_from_the_first_request(week, settings):
    settings.REPORTS_REFRESH_OVERLAP_SECONDS = 0
    reports_refresh()
    TicketFact.objects.all().delete()
    assert reports_refresh().tickets == 0
    assert reports_refresh(full=True).tickets == 4 and TicketFact.objects.count() == 4
