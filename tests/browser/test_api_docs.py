"""Swagger UI at /api/docs/ in headless Chromium: served from our own static files (no request
leaves the site), under the site's Content-Security-Policy unchanged, with no console error."""

import pytest
from django.conf import settings

from tests.conftest import new_page, screenshot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_loads_from_our_origin_under_the_csp(browser, live_server):
    page = new_page(browser, width=1280, height=900)
    foreign = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else foreign.append(r.url))
    response = page.goto(f"{live_server.url}/api/docs/")
    assert response.status == 200
    assert response.headers["content-security-policy"] == settings.CONTENT_SECURITY_POLICY
    page.get_by_text("Help desk API").first.wait_for()
    page.locator(".opblock-tag", has_text="catalogue").first.wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/requests/").first.wait_for()
    screenshot(page, "api-docs")
    assert not foreign, foreign
    page.console_errors.check()
    page.context.close()
