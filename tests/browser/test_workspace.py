"""The newer screens in headless Chromium, on a desktop and a phone: the agent's search, a
saved queue with its CSV export, and the profile's e-mail choices. Every page must have no
console errors, no serious accessibility violation and nothing wider than the screen."""

import pytest

from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.models import SavedQueue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, settings, catalogue):
    settings.SITE_URL = live_server.url
    return live_server.url


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_searches_and_exports_a_saved_queue(browser, site, customer, tier1, width, submit):
    printer = submit(customer, summary="Printer on fire")
    SavedQueue.objects.create(name="Everything open", slug="open")
    page = new_page(browser, width=width, height=900)
    sign_in(page, site, tier1.email)
    page.goto(f"{site}/agent/")
    page.get_by_label("Search requests").fill(customer.email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=printer.reference).wait_for()
    check_accessibility(page, "agent search")
    check_fits(page, "agent search")
    screenshot(page, f"agent-search-{width}")
    page.goto(f"{site}/agent/saved/open/")
    page.get_by_role("heading", name="Everything open").wait_for()
    check_accessibility(page, "saved queue")
    check_fits(page, "saved queue")
    screenshot(page, f"agent-saved-queue-{width}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    content = open(download.value.path(), encoding="utf-8").read()
    assert printer.reference in content and content.startswith("Reference,")
    page.console_errors.check()
    page.context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_a_customer_turns_off_comment_emails_in_the_profile(browser, site, customer, width):
    page = new_page(browser, width=width, height=900)
    sign_in(page, site, customer.email)
    page.goto(f"{site}/profile/")
    box = page.get_by_label("New comments on my requests")
    assert box.is_checked()
    box.uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your profile was saved.").wait_for()
    assert not page.get_by_label("New comments on my requests").is_checked()
    check_accessibility(page, "profile")
    check_fits(page, "profile")
    screenshot(page, f"profile-emails-{width}")
    customer.refresh_from_db()
    assert customer.muted_notifications == ["comments"]
    page.console_errors.check()
    page.context.close()
