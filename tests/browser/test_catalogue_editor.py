"""The catalogue editor in headless Chromium, as a non-developer admin uses it: a new request type
with three fields, reordered with the keyboard, previewed in English and Spanish, activated, and
then offered on the portal. Axe-clean, and usable 375 px wide."""

import re

import pytest

from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.models import RequestType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _field_order(page) -> list[str]:
    return page.locator("#fields .order-list .order-item").evaluate_all("items => items.map(i => i.dataset.label)")


def _saved_order(request_type) -> list[str]:
    return list(request_type.fields.filter(archived=False).order_by("position").values_list("key", flat=True))


def _wait_saved(request_type, expected, page):
    for _ in range(50):
        if _saved_order(request_type) == expected:
            return
        page.wait_for_timeout(100)
    assert _saved_order(request_type) == expected


def test_an_admin_builds_a_type_reorders_by_keyboard_previews_both_languages_and_activates_it(
    page, browser, live_server, settings, catalogue, superuser, customer
):
    site = settings.SITE_URL = live_server.url
    sign_in(page, site, superuser.email)
    page.goto(f"{site}/configure/")
    check_accessibility(page, "catalogue index")
    page.get_by_role("link", name="Customer Service Desk").first.click()
    check_accessibility(page, "desk page")
    page.get_by_role("link", name="Add a request type to “Support Requests”").click()
    page.get_by_label("Key").fill("lost-badge")
    page.get_by_label("Name (English)").fill("I lost my staff badge")
    page.get_by_label("Name (Spanish)").fill("Perdí mi credencial")
    page.get_by_role("button", name="Create the request type").click()
    page.get_by_role("heading", name="I lost my staff badge", level=1).wait_for()
    request_type = RequestType.objects.get(key="lost-badge")
    assert not request_type.is_active

    for key, kind, label, label_es in [
        ("badge_number", "number", "Badge number", "Número de credencial"),
        ("lost_on", "date", "When did you lose it?", "¿Cuándo la perdió?"),
        ("site_name", "short_text", "Site", "Centro"),
    ]:
        add = page.locator("form", has=page.get_by_role("button", name="Add the field"))
        add.get_by_label("Key").fill(key)
        add.get_by_label("Kind of value").select_option(kind)
        add.get_by_label("Label (English)").fill(label)
        add.get_by_label("Label (Spanish)").fill(label_es)
        add.get_by_role("button", name="Add the field").click()
        page.get_by_text(f"The field “{label}” is added.").wait_for()
    assert _field_order(page) == ["Summary", "Description", "Badge number", "When did you lose it?", "Site"]

    # Keyboard only: Tab to "Move up Site", press Enter twice; the focus stays on the button.
    move_up = page.get_by_role("button", name="Move up Site", exact=True)
    move_up.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Site is now number 4 of 5.").wait_for()
    page.keyboard.press("Enter")
    page.get_by_text("Site is now number 3 of 5.").wait_for()
    assert page.evaluate("document.activeElement.textContent.trim()").startswith("Move up")
    # …and "Move down" on the badge number once, with Space this time.
    page.get_by_role("button", name="Move down Badge number").focus()
    page.keyboard.press("Space")
    page.get_by_text("Badge number is now number 5 of 5.").wait_for()
    expected = ["summary", "description", "site_name", "lost_on", "badge_number"]
    assert _field_order(page) == ["Summary", "Description", "Site", "When did you lose it?", "Badge number"]
    _wait_saved(request_type, expected, page)

    # The preview follows the order, in English, then in Spanish.
    preview = page.locator(".preview-output")
    labels = preview.locator("label")
    wanted = ["Site", "When did you lose it?", "Badge number"]
    for _ in range(50):
        if [t.strip().rstrip("*") for t in labels.all_inner_texts()][2:] == wanted:
            break
        page.wait_for_timeout(100)
    assert [t.strip().rstrip("*") for t in labels.all_inner_texts()][2:] == wanted
    page.get_by_label("Español", exact=True).check()
    preview.get_by_text("Número de credencial").wait_for()
    preview.get_by_role("heading", name="Perdí mi credencial").wait_for()
    # Typing in the form updates the preview without saving.
    page.get_by_label("One-line help (Spanish)").fill("Le damos una credencial nueva.")
    preview.get_by_text("Le damos una credencial nueva.").wait_for()
    assert RequestType.objects.get(pk=request_type.pk).summary_es == ""
    check_accessibility(page, "type editor with Spanish preview")
    screenshot(page, "configure-type-editor-es")
    page.get_by_label("English", exact=True).check()
    preview.get_by_role("heading", name="I lost my staff badge").wait_for()

    # Dragging works too: the badge number onto the site puts it just above.
    items = page.locator("#fields .order-list .order-item")
    items.filter(has_text="Badge number").drag_to(items.filter(has_text="Site"))
    page.get_by_text("Badge number is now number 3 of 5.").wait_for()
    _wait_saved(request_type, ["summary", "description", "badge_number", "site_name", "lost_on"], page)

    # Activate it for everyone.
    page.get_by_label("Who may ask for it").select_option("everyone")
    page.get_by_label("Active: offered for new requests").check()
    page.get_by_role("button", name="Save the request type").click()
    page.get_by_text("The request type is saved.").wait_for()
    assert RequestType.objects.get(pk=request_type.pk).is_active

    # The customer finds it on the portal, its fields in the new order, in Spanish too.
    customer_page = new_page(browser)
    sign_in(customer_page, site, customer.email)
    customer_page.goto(f"{site}/desks/customer-service/")
    customer_page.get_by_role("link", name="I lost my staff badge").click()
    form_labels = customer_page.locator("form label").all_inner_texts()
    keyed = [
        t.strip().rstrip("*")
        for t in form_labels
        if t.strip().rstrip("*") in {"Site", "When did you lose it?", "Badge number"}
    ]  # noqa: E501
    assert keyed == ["Badge number", "Site", "When did you lose it?"]
    customer_page.get_by_label("Site").fill("Main")
    check_accessibility(customer_page, "portal form of the new type")
    customer_page.console_errors.check()
    customer_page.context.close()


def test_the_editor_works_at_phone_width_without_a_script(browser, live_server, settings, catalogue, superuser):
    site = settings.SITE_URL = live_server.url
    context = browser.new_context(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, superuser.email)
    request_type = RequestType.objects.get(desk__key="CCP", key="portal-error")
    page.goto(f"{site}/configure/types/{request_type.pk}/")
    check_fits(page, "type editor at 375 px")
    page.locator("#fields").screenshot(path=str(screenshot(page, "configure-type-editor-375-no-script")))
    first, second = _field_order(page)[:2]
    page.get_by_role("button", name=f"Move down {first}", exact=True).click()
    page.get_by_text("The new order is saved.").wait_for()
    assert _field_order(page)[:2] == [second, first]
    # The Preview button shows Spanish without a script.
    page.get_by_label("Español", exact=True).check()
    page.get_by_role("button", name="Preview", exact=True).click()
    page.locator(".preview-body[lang=es]").wait_for()
    assert re.search(r"Resumen", page.locator(".preview-output").inner_text())
    page.goto(f"{site}/configure/desks/{request_type.desk_id}/")
    check_fits(page, "desk editor at 375 px")
    screenshot(page, "configure-desk-375")
    context.close()


def test_an_admin_adds_and_removes_choices_with_the_preview_following(
    page, live_server, settings, catalogue, superuser
):
    from tickets.models import RequestField

    site = settings.SITE_URL = live_server.url
    field = RequestField.objects.get(request_type__desk__key="CCP", request_type__key="portal-error", key="browser")
    sign_in(page, site, superuser.email)
    page.goto(f"{site}/configure/fields/{field.pk}/")
    preview = page.locator(".preview-output")
    page.get_by_role("button", name="Add a choice").click()
    rows = page.locator(".choice-row")
    new_row = rows.nth(rows.count() - 1)
    assert page.evaluate("document.activeElement.name").endswith("-value")  # the new row has the focus
    new_row.get_by_label("Stored value").fill("brave")
    new_row.get_by_label("Label (English)").fill("Brave")
    new_row.get_by_label("Label (Spanish)").fill("Brave (navegador)")
    preview.locator("option", has_text="Brave").wait_for(state="attached")
    rows.filter(has=page.locator("input[value=safari]")).get_by_label("Remove").check()
    page.get_by_label("Español", exact=True).check()
    preview.locator("option", has_text="Brave (navegador)").wait_for(state="attached")
    assert preview.locator("option", has_text="Safari").count() == 0
    check_accessibility(page, "field editor")
    screenshot(page, "configure-field-editor")
    page.get_by_role("button", name="Save the field").click()
    page.get_by_text("The field is saved.").wait_for()
    values = [c["value"] for c in RequestField.objects.get(pk=field.pk).choices]
    assert "brave" in values and "safari" not in values
