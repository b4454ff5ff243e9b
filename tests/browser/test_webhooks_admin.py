"""An admin registers a webhook endpoint in headless Chromium: a private address is refused on
the field, a public one is saved and its secret shown once, readable on a phone, axe clean."""

import pytest

from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from webhooks.models import Endpoint
from webhooks.signing import secret_decrypt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_an_admin_registers_an_endpoint_and_copies_its_secret_once(browser, live_server, superuser, width):
    page = new_page(browser, width=width, height=900)
    site = live_server.url
    sign_in(page, site, superuser.email)
    page.goto(f"{site}/admin/webhooks/endpoint/add/")
    page.get_by_label("Name").fill("Payer EDI tooling")
    page.get_by_label("URL").fill("http://169.254.169.254/latest/meta-data/")
    page.get_by_label("Request created").check()
    page.get_by_label("Request resolved").check()
    page.get_by_role("button", name="Save", exact=True).click()
    error = page.locator(".field-url .errorlist")
    error.wait_for()
    assert "private, loopback or link-local" in error.inner_text()
    assert not Endpoint.objects.exists()

    page.get_by_label("URL").fill("https://93.184.215.14/hooks/helpdesk")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("heading", name="Copy the signing secret now").wait_for()
    secret = page.locator("[data-secret]").inner_text().strip()
    endpoint = Endpoint.objects.get()
    assert secret.startswith("whsec_") and secret_decrypt(endpoint.secret_encrypted) == secret
    assert endpoint.events == ["request.created", "request.resolved"]
    screenshot(page, f"webhooks-secret-{width}")
    check_accessibility(page, "webhook secret page")
    check_fits(page, "webhook secret page")

    page.get_by_role("link", name="Done").click()
    page.wait_for_url(f"{site}/admin/webhooks/endpoint/{endpoint.pk}/change/")
    assert secret not in page.content()
    page.close()
    page.console_errors.check()
