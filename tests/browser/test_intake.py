"""An agent takes a call in headless Chromium (desktop and 375 px): the organisation is
suggested as they type, its sites follow, no file is needed, and the number to call back shows
on the request page."""

import pytest

from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.models import RequestType, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1280, 900), "phone": (375, 740)}


@pytest.mark.parametrize("screen", SCREENS)
def test_an_agent_takes_a_call_for_a_provider(browser, live_server, settings, catalogue, provider, tier1, screen):
    settings.SITE_URL = live_server.url
    provider.sites.create(name="Eastside", address="9 East Road")
    request_type = RequestType.objects.get(desk__key="CCP", key="portal-error")
    request_type.fields.filter(kind="file").update(required=True)
    page = new_page(browser, width=SCREENS[screen][0], height=SCREENS[screen][1])
    sign_in(page, live_server.url, tier1.email)
    page.goto(f"{live_server.url}/agent/new/?type={request_type.pk}")

    page.get_by_label("Requester's e-mail address").fill("caller@example.org")
    page.get_by_label("Requester's full name").fill("Cal Caller")
    page.get_by_label("Phone number").fill("(512) 555-0134")
    page.get_by_label("Organisation").press_sequentially("sunny", delay=30)
    option = page.locator("#organization-options option")
    option.first.wait_for(state="attached")
    assert option.first.get_attribute("value") == "Sunny Days Child Care (CC-1)"
    page.get_by_label("Organisation").fill("Sunny Days Child Care (CC-1)")
    page.get_by_label("Organisation").dispatch_event("change")
    assert page.locator("#site-options option").evaluate_all("o => o.map(x => x.value)") == ["Main", "Eastside"]
    page.get_by_label("Site", exact=True).fill("Eastside")
    page.get_by_label("Summary").fill("Attendance page shows an error")
    page.get_by_label("Description").fill("The caller sees an error when opening attendance.")
    page.get_by_label("Browser").select_option("chrome")
    check_accessibility(page, f"intake {screen}")
    check_fits(page, f"intake {screen}")
    screenshot(page, f"intake-form-{screen}")
    page.get_by_role("button", name="Create request").click()

    page.wait_for_url("**/agent/tickets/CCP-*/")
    ticket = Ticket.objects.get()
    assert (ticket.site.name, ticket.contact_phone, ticket.channel) == ("Eastside", "(512) 555-0134", "phone")
    assert page.get_by_role("link", name="(512) 555-0134").get_attribute("href") == "tel:(512)555-0134"
    screenshot(page, f"intake-created-{screen}")
    page.context.close()
    page.console_errors.check()
