"""The queue table in headless Chromium, on a desktop and on a 375 px phone: both SLA clocks
with the absolute time on focus, rows changed since the agent last looked, the "Customer
replied" queue, sorting, each agent's columns, and j / k / Enter."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.models import Ticket
from tickets.services import ticket_comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _requests(submit, customer):
    now = timezone.now()
    tickets = [submit(customer, summary=f"Printer {i} is jammed") for i in range(3)]
    Ticket.objects.filter(pk=tickets[0].pk).update(
        first_response_due_at=now - timedelta(hours=3), resolution_due_at=now + timedelta(days=3)
    )
    Ticket.objects.filter(pk=tickets[1].pk).update(
        first_response_due_at=now + timedelta(hours=26), resolution_due_at=now + timedelta(days=6)
    )
    return tickets


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_works_the_queue_table(browser, live_server, settings, submit, customer, tier1, width):
    site = settings.SITE_URL = live_server.url
    first, second, third = _requests(submit, customer)
    page = new_page(browser, width=width, height=900)
    sign_in(page, site, tier1.email)
    page.goto(f"{site}/agent/queues/unassigned/")
    page.get_by_role("heading", name="Unassigned").wait_for()

    # Every column, both clocks; never opened rows are marked.
    if width > 400:
        head = page.locator("thead").inner_text()
        for column in ("Reference", "Summary", "Requester", "Organisation", "Priority", "Status", "Tier",
                       "Assignee", "Created", "Updated", "First response", "Resolution"):  # fmt: skip
            assert column in head, column
    row = page.locator(f'tr[data-href="/agent/tickets/{first.reference}/"]')
    assert "unseen" in row.get_attribute("class")
    assert "Overdue by" in row.inner_text() and "left" in row.inner_text()
    clock = row.locator(".clock").first
    clock.focus()
    tip = page.evaluate("el => getComputedStyle(el, '::after').content", clock.element_handle())
    assert "Was due" in tip or "Due" in tip
    check_accessibility(page, f"queue {width}")
    check_fits(page, f"queue {width}")
    screenshot(page, f"queue-table-{width}")

    # j / k move with a visible focus; Enter opens the request, which is then seen.
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    focused = page.evaluate("document.activeElement.getAttribute('data-href')")
    rows = page.locator("tbody tr[data-href]")
    assert focused == rows.nth(0).get_attribute("data-href")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    screenshot(page, f"queue-focus-{width}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}{focused}")
    page.go_back()
    page.reload()
    assert "unseen" not in page.locator(f'tr[data-href="{focused}"]').get_attribute("class")

    # The customer writes: the row is marked again, and the "Customer replied" queue has it.
    ticket_comment(ticket=Ticket.objects.get(pk=second.pk), author=customer, body="It jams again.")
    page.goto(f"{site}/agent/queues/customer-replied/")
    page.get_by_role("heading", name="Customer replied").wait_for()
    replied = page.locator(f'tr[data-href="/agent/tickets/{second.reference}/"]')
    assert "unseen" in replied.get_attribute("class")
    assert page.locator("tbody tr[data-href]").count() == 1
    check_accessibility(page, f"customer replied {width}")
    screenshot(page, f"queue-customer-replied-{width}")

    # Sort by a date column (the list on phones, the heading on desktops) keeps every row.
    page.goto(f"{site}/agent/queues/unassigned/")
    if width > 400:
        page.locator("thead").get_by_role("link", name="Created").click()
        page.wait_for_url("**sort=created**")
        assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("Created")
    else:
        page.get_by_label("Sort by").select_option("-created")
        page.get_by_role("button", name="Sort", exact=True).click()
        page.wait_for_url("**sort=-created**")
    assert page.locator("tbody tr[data-href]").count() == 3

    # The agent drops a column; it stays dropped for them.
    page.locator("summary", has_text="Columns").click()
    page.get_by_role("checkbox", name="Organisation").uncheck()
    page.get_by_role("button", name="Move Updated up").click()
    page.get_by_text("Your columns are saved.").wait_for()
    tier1.refresh_from_db()
    assert "organization" not in tier1.queue_columns
    assert tier1.queue_columns.index("updated") < tier1.queue_columns.index("created")
    assert page.locator("td[data-label='Organisation']").count() == 0
    check_accessibility(page, f"queue after columns {width}")
    check_fits(page, f"queue after columns {width}")
    screenshot(page, f"queue-columns-{width}")

    # The request page shows both clocks too.
    page.goto(f"{site}/agent/tickets/{first.reference}/")
    side = page.locator(".request-side").inner_text()
    assert "First response" in side and "Overdue by" in side and "Resolution" in side
    page.console_errors.check()
    page.context.close()
