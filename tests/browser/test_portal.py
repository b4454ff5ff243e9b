"""The portal in headless Chromium: files by drag and drop and by paste, sharing, resolving,
approval, Spanish, and phone-width screens. Every page fails the test on a console error."""

import base64
import re
import struct
import zlib

import pytest
from django.utils import translation

from accounts.models import Membership, User
from notifications.models import Notification
from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_bytes(width=40, height=30, rgb=(11, 92, 173)) -> bytes:
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


PNG_B64 = base64.b64encode(png_bytes()).decode()

DROP = """([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type: "image/png"}));
  const zone = document.querySelector(".dropzone");
  zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
}"""
PASTE = """([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type: "image/png"}));
  const paste = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
  document.activeElement.dispatchEvent(paste);
}"""


@pytest.fixture
def site(live_server, settings, catalogue):
    settings.SITE_URL = live_server.url
    return live_server.url


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_provider_reports_an_error_with_a_dropped_file_and_a_pasted_screenshot(
    page, site, customer, colleague, browser, language
):
    from tickets.models import RequestType

    User.objects.filter(pk__in=[customer.pk, colleague.pk]).update(language=language)
    request_type = RequestType.objects.select_related("desk", "group").get(desk__key="CCP", key="portal-error")

    def t(text):
        with translation.override(language):
            return translation.gettext(text)

    def label(obj):
        with translation.override(language):
            return obj.display_name

    def field(key):
        return label(request_type.fields.get(key=key))

    sign_in(page, site, customer.email)
    check_accessibility(page, "home")
    page.get_by_role("link", name=label(request_type.desk)).click()
    page.get_by_role("link", name=label(request_type.group)).click()
    check_accessibility(page, "desk")
    page.get_by_role("link", name=label(request_type)).click()
    page.get_by_label(field("summary")).fill("Blank page after sign-in")
    page.get_by_label(field("description")).fill("After signing in the dashboard stays white.")
    page.get_by_label(field("browser")).select_option("firefox")

    page.evaluate(DROP, ["dragged.png", PNG_B64])
    page.get_by_label(field("summary")).focus()
    page.evaluate(PASTE, ["", PNG_B64])
    page.locator("input[name=attachments__staged]").nth(1).wait_for()
    page.locator(".staged img.thumb").nth(1).wait_for()
    assert page.locator("input[name=attachments__staged]:checked").count() == 2
    check_accessibility(page, "request form")
    screenshot(page, f"portal-{language}-form-with-files")
    page.get_by_role("button", name=t("Send")).click()

    page.get_by_role("heading", name="Blank page after sign-in").wait_for()
    ticket = Ticket.objects.get()
    assert sorted(ticket.attachments.values_list("original_name", flat=True)) == ["dragged.png", "screenshot.png"]
    assert page.locator(".attachments img.thumb").count() == 2
    check_accessibility(page, "request page")
    screenshot(page, f"portal-{language}-request-with-files")

    # Share with a colleague, who then finds it.
    page.locator("summary", has_text=t("Share")).click()
    page.get_by_label(t("Share with")).select_option(label=colleague.full_name)
    page.get_by_role("button", name=t("Share"), exact=True).click()
    page.get_by_text(t("Shared with %(name)s.") % {"name": colleague.full_name}).wait_for()
    other = new_page(browser)
    sign_in(other, site, colleague.email)
    other.goto(f"{site}/requests/?scope=shared")
    check_accessibility(other, "list")
    other.get_by_role("link", name=ticket.reference).click()
    other.get_by_role("heading", name="Blank page after sign-in").wait_for()
    other.console_errors.check()
    other.context.close()

    # Resolve.
    page.locator("summary", has_text=t("Resolve this issue")).click()
    page.get_by_role("button", name=t("Resolve")).click()
    page.get_by_text(t("The request is now: %(status)s.") % {"status": t("Resolved")}).wait_for()
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    screenshot(page, f"portal-{language}-request-resolved")


def test_the_portal_works_from_the_keyboard(page, site, customer):
    sign_in(page, site, customer.email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(f"{site}/desks/customer-service/")
    link = page.get_by_role("link", name="General Request – Portal link")
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Summary").wait_for()
    page.get_by_label("Summary").focus()
    page.keyboard.type("Typed from the keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type("Every field reachable with Tab.")
    page.get_by_role("button", name="Send").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Typed from the keyboard").wait_for()
    outline = page.evaluate("getComputedStyle(document.querySelector('a.brand')).boxShadow")
    page.locator("a.brand").focus()
    focused = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert focused != "none" and focused != outline, "focus must be visible"


def test_a_new_employee_is_approved_by_a_lead_director(page, site, provider, browser):
    director = User.objects.create_user(
        email="director@example.org", password="pw-for-tests-1", full_name="Dana Director"
    )
    Membership.objects.create(user=director, organization=provider, role="lead_director")
    User.objects.create_user(email="newbie@example.org", password="pw-for-tests-1", full_name="Nico Newbie")

    sign_in(page, site, "newbie@example.org")
    page.get_by_role("link", name="Child Care Provider Help Desk").click()
    page.get_by_role("link", name="I am a new employee / We have a new employee who needs portal access").click()
    page.get_by_label("Summary").fill("Portal access for Nico")
    page.get_by_label("Description").fill("I joined the Main site as an assistant teacher this week.")
    page.get_by_label("Provider ID").fill(provider.provider_id)
    page.get_by_label("Employee's full name").fill("Nico Newbie")
    page.locator("#id_employee_email").fill("newbie@example.org")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Waiting for approval").first.wait_for()
    ticket = Ticket.objects.get()
    assert Notification.objects.filter(kind="approval_needed", to_email=director.email).exists()

    approver = new_page(browser)
    sign_in(approver, site, director.email)
    approver.goto(f"{site}/requests/?scope=organization")
    approver.get_by_role("link", name=ticket.reference).click()
    approver.locator("summary", has_text="Approve").click()
    approver.get_by_role("button", name="Approve").click()
    approver.get_by_text("The request is now: Waiting for support.").wait_for()
    screenshot(approver, "portal-approved")
    approver.console_errors.check()
    approver.context.close()
    assert Membership.objects.filter(user__email="newbie@example.org", organization=provider).exists()


def test_the_portal_in_spanish_on_a_phone(page, site, customer):
    from tickets.models import RequestType
    from tickets.services import ticket_submit
    from tickets.values import SubmittedValues

    ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="El enlace no abre", description="Página en blanco.", fields={}, files={}),
    )
    sign_in(page, site, customer.email)
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    with translation.override("es"):
        requests_label = translation.gettext("Requests")
    assert requests_label != "Requests", "the Spanish catalogue is missing"
    page.set_viewport_size({"width": 375, "height": 800})
    for name, path in [
        ("home", "/"),
        ("desk", "/desks/customer-service/"),
        ("form", "/desks/customer-service/general-request/"),
        ("list", "/requests/"),
        ("detail", "/requests/CSD-1/"),
        ("search", "/search/?q=enlace"),
    ]:
        page.goto(site + path)
        assert page.locator("html").get_attribute("lang") == "es"
        check_fits(page, name)
        check_accessibility(page, name)
        screenshot(page, f"portal-es-phone-{name}")
    assert requests_label in page.content()
    page.goto(site + "/desks/customer-service/")
    assert "Mesa de servicio al cliente" in page.content()


def test_matching_articles_are_suggested_while_typing_a_summary(page, site, customer):
    from kb.demo import DEMO_ARTICLES, articles_import, articles_load_file

    articles_import(data=articles_load_file(DEMO_ARTICLES))
    sign_in(page, site, customer.email)
    page.goto(f"{site}/desks/child-care-provider/other-issue/")
    page.get_by_label("Summary").press_sequentially("How do I share attendance from brightwheel", delay=5)
    suggestion = page.locator(".suggestions a", has_text="CCMS")
    suggestion.wait_for()
    # The link names the form's visit, for the knowledge-base deflection report (reports/deflection.py).
    assert suggestion.get_attribute("href").startswith("/help/child-care-provider/connect-ccms-attendance/?visit=")
    check_accessibility(page, "suggestions")
    screenshot(page, "portal-suggestions")
    page.goto(f"{site}/search/?q=attendance")
    page.get_by_role("link", name=re.compile("CCMS")).first.click()
    page.get_by_role("heading", level=1).wait_for()
    assert "brightwheel" in page.content()
    check_accessibility(page, "article")
    screenshot(page, "kb-article")
