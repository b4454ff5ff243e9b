"""The knowledge base in headless Chromium, on a desktop and a 375 px phone: /help/ by desk and
topic, a desk's popular articles, a Markdown article with its image, the stemmed search and
"Was this helpful?". Screenshots go to test-artifacts/."""

import pytest
from django.utils import translation

from kb.demo import DEMO_ARTICLES, articles_import, articles_load_file
from kb.models import ArticleFeedback
from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1280, 900), "phone": (375, 740)}


@pytest.fixture
def site(live_server, settings, catalogue):
    settings.SITE_URL = live_server.url
    with translation.override("en"):
        articles_import(data=articles_load_file(DEMO_ARTICLES))
    return live_server.url


@pytest.mark.parametrize("screen", SCREENS)
def test_a_provider_browses_reads_and_rates_an_article(browser, site, customer, screen):
    width, height = SCREENS[screen]
    page = new_page(browser, width=width, height=height)
    sign_in(page, site, customer.email)

    page.goto(f"{site}/help/")
    assert page.get_by_role("heading", name="Attendance").is_visible()
    assert page.get_by_role("heading", name="Connections and files").is_visible()
    check_accessibility(page, f"help index {screen}")
    check_fits(page, f"help index {screen}")
    screenshot(page, f"kb-index-{screen}")

    page.goto(f"{site}/desks/child-care-provider/")
    popular = page.locator(".top-articles")
    assert popular.get_by_role("link", name="Adding or removing staff access").is_visible()
    popular.get_by_role("link", name="Connect your child care management system").click()

    page.wait_for_url("**/help/child-care-provider/connect-ccms-attendance/")
    body = page.locator(".article-body")
    assert body.get_by_role("heading", name="Set up the connection", level=2).is_visible()
    assert body.locator("ol > li").count() >= 6
    image = body.get_by_role("img", name="The Data Entry Settings tab")
    image.scroll_into_view_if_needed()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert body.get_by_role("link", name="Send a request to the Child Care Provider Help Desk").is_visible()
    check_accessibility(page, f"article {screen}")
    check_fits(page, f"article {screen}")
    screenshot(page, f"kb-article-{screen}")

    page.get_by_role("button", name="Yes").click()
    assert page.get_by_text("Thank you: your answer helps us improve this article.").is_visible()
    assert page.get_by_role("button", name="Yes").get_attribute("aria-pressed") == "true"
    assert ArticleFeedback.objects.get(user=customer).helpful is True
    check_accessibility(page, f"article answered {screen}")
    page.context.close()
    page.console_errors.check()


def test_a_spanish_reader_finds_the_attendance_guide_by_the_seeds_word(browser, site, customer):
    customer.language = "es"
    customer.save()
    page = new_page(browser, width=375, height=740)
    sign_in(page, site, customer.email)
    page.goto(f"{site}/help/")
    page.get_by_label("Busque en los artículos de ayuda y en sus solicitudes").fill("ausencias")
    page.get_by_role("button", name="Buscar").click()
    first = page.locator("#articles-heading + ul li a").first
    assert first.inner_text().startswith("Conecte su sistema de gestión de cuidado infantil")
    check_accessibility(page, "search es")
    check_fits(page, "search es")
    screenshot(page, "kb-search-ausencias-phone")
    first.click()
    assert page.get_by_role("heading", name="Configurar la conexión", level=2).is_visible()
    screenshot(page, "kb-article-es-phone")
    page.context.close()
    page.console_errors.check()
