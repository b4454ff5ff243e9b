"""API tokens on the profile page in headless Chromium, on a desktop and a phone: made (the key
shown once), listed by their prefix, revoked; no console error, no serious accessibility
violation, nothing wider than the screen."""

import re

import pytest
from django.test import Client

from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_a_customer_makes_and_revokes_an_api_token(browser, live_server, settings, customer, width):
    settings.SITE_URL = live_server.url
    site = live_server.url
    page = new_page(browser, width=width, height=900)
    sign_in(page, site, customer.email)
    page.goto(f"{site}/profile/")
    page.get_by_text("You have no API tokens.").wait_for()
    page.get_by_role("link", name="Create a token").click()
    page.get_by_label("Token name").fill("Nightly export")
    page.get_by_label(re.compile("^Your password")).fill("pw-for-tests-1")
    check_accessibility(page, "token form")
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("heading", name="Your new API token").wait_for()
    key = page.get_by_label("Nightly export").input_value()
    check_accessibility(page, "token shown once")
    check_fits(page, "token shown once")
    screenshot(page, f"api-token-created-{width}")
    assert Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200

    page.get_by_role("link", name="Back to my profile").click()
    assert key not in page.content()
    assert f"{key[:8]}…" in page.content()
    check_accessibility(page, "profile with tokens")
    check_fits(page, "profile with tokens")
    screenshot(page, f"profile-api-tokens-{width}")
    page.get_by_role("button", name="Revoke “Nightly export”").click()
    page.get_by_text("The token “Nightly export” was revoked.").wait_for()
    assert Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    page.console_errors.check()
    page.context.close()
