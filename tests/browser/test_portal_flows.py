"""Headless Chromium through the real pages: register, then submit a request."""

import re

import pytest

from tests.conftest import body_text, screenshot

PASSWORD = "correct-horse-battery-42"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_provider_registers_and_submits_a_request(page, live_server, smtp, catalogue, settings):
    settings.SITE_URL = live_server.url
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("E-mail address").fill("browser.user@example.org")
    page.get_by_role("button", name="Send link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    (message,) = smtp.wait_for(1)
    link = re.search(r"http://\S+/accounts/signup/\S+/", body_text(message)).group(0)
    page.goto(link)
    page.get_by_label("Full name").fill("Bea Browser")
    page.get_by_label(re.compile(r"^Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Welcome, Bea").wait_for()
    screenshot(page, "portal-home")

    # Someone with no organisation yet sees the types open to everyone.
    page.get_by_role("link", name="Child Care Provider Help Desk").click()
    page.get_by_role("heading", name="What can we help you with?").wait_for()
    screenshot(page, "desk-picker")
    page.get_by_role("link", name="I am a new provider and need SSO access to the Provider Portal").click()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Please correct the fields marked below.").wait_for()
    assert page.locator("#id_provider_id[aria-invalid=true]").count() == 1
    page.get_by_label("Summary").fill("SSO set-up for Bea's Little Learners")
    page.get_by_label("Description").fill("We were approved last week; I should be the first person with access.")
    page.get_by_label("Provider ID").fill("CC-778899")
    page.get_by_label("Organisation name").fill("Bea's Little Learners")
    screenshot(page, "request-form")
    page.get_by_role("button", name="Send").click()

    page.get_by_role("heading", name="SSO set-up for Bea's Little Learners").wait_for()
    assert "CCP-1" in page.content()
    assert "CC-778899" in page.content()
    assert page.url.endswith("/requests/CCP-1/")
    screenshot(page, "request-detail")

    page.locator(".topnav").get_by_role("link", name=re.compile("^Requests")).click()
    page.get_by_role("link", name="CCP-1").wait_for()

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/requests/CCP-1/")
    screenshot(page, "request-detail-phone")
    page.console_errors.check()
