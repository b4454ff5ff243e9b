"""The reports in headless Chromium: the dashboard and the "Other" trend, wide and at 375 px."""

import pytest

from tests.conftest import check_accessibility, check_fits, screenshot, sign_in
from tests.reports.fixtures import WEEK_QUERY, refreshed, week  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_the_dashboard_draws_every_chart_with_its_table(page, live_server, refreshed, superuser, width):  # noqa: F811
    from reports.deflection import deflection_record

    visit = "6f1c2d4e-8a9b-4c3d-9e8f-7a6b5c4d3e2f"
    deflection_record(visit=visit, kind="shown", user=superuser, desk_id=refreshed["a"].desk_id, article_ids=[1, 2])
    deflection_record(visit=visit, kind="opened", user=superuser, desk_id=refreshed["a"].desk_id, article_ids=[1])
    site = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, site, superuser.email)
    query = "&".join(f"{k}={v}" for k, v in WEEK_QUERY.items())
    page.goto(f"{site}/agent/reports/?{query}")
    page.get_by_role("heading", name="Reports", exact=True).wait_for()
    charts = page.locator("svg.chart")
    assert charts.count() >= 9
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        # Readable on a phone: never shrunk below 520 px (the figure scrolls instead).
        assert box and 520 <= box["width"] <= 720 and box["height"] > 30
    assert page.get_by_role("img", name="Requests created and resolved").count() == 1
    check_accessibility(page, f"reports {width}")
    check_fits(page, f"reports {width}")
    screenshot(page, f"reports-dashboard-{width}")
    for key in ("volume", "sla_type", "channels", "sites", "workload_agents", "workload_resolved"):
        page.locator(f"#{key}").screenshot(path=f"test-artifacts/reports-chart-{key}-{width}.png")
    page.emulate_media(media="print")
    screenshot(page, f"reports-dashboard-print-{width}")
    page.emulate_media(media="screen")
    # Today's figures: the backlog snapshot of the refresh and the deflection events just recorded.
    page.goto(f"{site}/agent/reports/?period=day")
    for key in ("backlog_status", "backlog_tier", "deflection"):
        page.locator(f"#{key} svg").wait_for()
        page.locator(f"#{key}").screenshot(path=f"test-artifacts/reports-chart-{key}-{width}.png")
    check_accessibility(page, f"reports today {width}")


@pytest.mark.parametrize("width", [1280, 375])
def test_the_other_trend_leads_from_a_phrase_to_a_drafted_type(page, live_server, submit, customer, superuser, width):
    from tickets.models import RequestType

    for summary in (
        "Direct deposit missing",
        "Where is our direct deposit?",
        "Direct deposit late",
        "No direct deposit this week",
        "Direct deposit amount wrong",
        "Depósito: direct deposit",
    ):
        submit(customer, key="general-request", summary=summary, description="It did not arrive.")  # fmt: skip
    for subject in ("printer settings", "holiday hours", "badge photo"):
        submit(customer, key="general-request", summary=f"Question about the {subject}", description="Please help.")
    from reports.facts import reports_refresh

    reports_refresh()
    site = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, site, superuser.email)
    page.goto(f"{site}/agent/reports/")
    page.get_by_role("link", name="The “Other” trend: what to add to the catalogue").click()
    page.get_by_role("heading", name="The “Other” trend").wait_for()
    first = page.locator("table[data-report=other_phrases] tbody tr").first
    assert first.locator("th").inner_text() == "direct deposit"
    check_accessibility(page, f"other trend {width}")
    check_fits(page, f"other trend {width}")
    screenshot(page, f"reports-other-{width}")
    for key in ("other_trend", "other_phrases"):
        page.locator(f"#{key}").screenshot(path=f"test-artifacts/reports-chart-{key}-{width}.png")

    first.get_by_role("link", name="direct deposit").click()
    page.get_by_role("heading", name="“direct deposit” in “Other” requests").wait_for()
    assert page.locator("table tbody tr").count() == 6
    check_accessibility(page, f"other phrase {width}")
    check_fits(page, f"other phrase {width}")
    screenshot(page, f"reports-other-phrase-{width}")
    page.get_by_role("button", name="Draft a new request type").click()
    page.wait_for_url("**/admin/tickets/requesttype/*/change/")
    draft = RequestType.objects.get(name="Direct deposit")
    assert not draft.is_active and page.get_by_text("created, inactive").count() == 1
    screenshot(page, f"reports-other-draft-{width}")


@pytest.mark.parametrize("width", [1280, 375])
def test_the_customer_rates_a_resolved_request_from_the_email_link(
    page, live_server, settings, submit, customer, tier1, width
):
    import re

    from notifications.models import Notification
    from reports.models import SatisfactionSurvey
    from tickets.services import ticket_transition

    site = settings.SITE_URL = live_server.url
    ticket = ticket_transition(ticket=submit(customer, summary="Roster will not print"), action="resolve", actor=tier1)
    mail = Notification.objects.get(kind="request_resolved")
    link = re.search(r"^4: (\S+)$", mail.body_text, re.MULTILINE).group(1)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(link)  # not signed in
    page.get_by_role("heading", name="Rate our help").wait_for()
    assert page.get_by_label("4 – Satisfied").is_checked()
    check_accessibility(page, f"csat link {width}")
    check_fits(page, f"csat link {width}")
    screenshot(page, f"reports-csat-link-{width}")
    page.get_by_label("Anything you would like to tell us? (optional)").fill("Fixed the same day.")
    page.get_by_role("button", name="Send my rating").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    assert SatisfactionSurvey.objects.get(ticket=ticket).score == 4
    page.goto(link)
    page.get_by_text("This request has already been rated. Thank you!").wait_for()
    check_accessibility(page, f"csat refused {width}")
    screenshot(page, f"reports-csat-refused-{width}")

    # Resolved again after a reopen: the request page asks anew.
    ticket = ticket_transition(ticket=ticket, action="reopen", actor=customer)
    ticket_transition(ticket=ticket, action="resolve", actor=tier1)
    sign_in(page, site, customer.email)
    page.goto(f"{site}/requests/{ticket.reference}/")
    page.get_by_role("heading", name="How did we do?").wait_for()
    check_accessibility(page, f"csat request page {width}")
    check_fits(page, f"csat request page {width}")
    screenshot(page, f"reports-csat-request-page-{width}")
    page.get_by_label("2 – Dissatisfied").check()
    page.get_by_role("button", name="Send my rating").click()
    page.get_by_text("You rated this resolution 2 out of 5").wait_for()
    assert list(
        SatisfactionSurvey.objects.filter(ticket=ticket).order_by("asked_at").values_list("score", flat=True)
    ) == [4, 2]
