"""Phone-first pages at 375 px (and the same pages on a desktop): a tapped category brings its
request types into view, and a request page shows its status and actions before the log."""

import pytest

from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.services import ticket_comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _top(page, selector) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def test_a_tapped_category_scrolls_to_its_types_on_a_phone(browser, live_server, settings, catalogue, customer):
    site = settings.SITE_URL = live_server.url
    page = new_page(browser, width=375, height=740)
    sign_in(page, site, customer.email)
    page.goto(f"{site}/desks/child-care-provider/")
    groups = page.locator(".groups a")
    assert groups.count() > 1
    groups.nth(1).click()
    page.wait_for_url("**#types")
    heading = page.get_by_role("heading", name="What can we help you with?")
    box = heading.bounding_box()
    assert 0 <= box["y"] < 740 / 2, box  # the types start at the top of the screen, not below the fold
    check_accessibility(page, "desk phone")
    check_fits(page, "desk phone")
    screenshot(page, "phone-desk-category")
    page.console_errors.check()
    page.context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_request_page_puts_status_and_actions_before_the_log(
    browser, live_server, settings, submit, customer, tier1, width
):
    site = settings.SITE_URL = live_server.url
    ticket = submit(customer, summary="The attendance report will not load")
    for i in range(4):
        ticket_comment(ticket=ticket, author=customer if i % 2 else tier1, body=f"Message number {i}. " * 12)

    portal = new_page(browser, width=width, height=800)
    sign_in(portal, site, customer.email)
    portal.goto(f"{site}/requests/{ticket.reference}/")
    if width < 400:
        assert _top(portal, ".request-side") < _top(portal, "#activity-heading")
        assert _top(portal, ".request-side") < 800  # the status is on the first screen
    else:  # side by side on a desktop
        assert (
            portal.locator(".request-side").bounding_box()["x"]
            > portal.locator("#activity-heading").bounding_box()["x"]
        )
    check_accessibility(portal, f"portal request {width}")
    check_fits(portal, f"portal request {width}")
    screenshot(portal, f"request-portal-{width}")
    portal.console_errors.check()
    portal.context.close()

    agent = new_page(browser, width=width, height=800)
    sign_in(agent, site, tier1.email)
    agent.goto(f"{site}/agent/tickets/{ticket.reference}/")
    if width < 400:
        assert _top(agent, ".request-side") < _top(agent, "#activity-heading")
        assert _top(agent, ".request-side") < 800
    check_accessibility(agent, f"agent request {width}")
    check_fits(agent, f"agent request {width}")
    screenshot(agent, f"request-agent-{width}")
    agent.console_errors.check()
    agent.context.close()
