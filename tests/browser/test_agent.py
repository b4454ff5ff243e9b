"""A day's request end to end in headless Chromium: customer, Tier I, customer, Tier I, Tier II."""

import pytest
from django.utils import timezone

from tests.conftest import body_text, check_accessibility, new_page, screenshot, sign_in
from tickets.models import Activity, Ticket, WorkItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CANARY = "Quentin-Canary-5150"


def test_a_request_from_submission_through_both_tiers_to_resolved(
    page, live_server, settings, catalogue, customer, tier1, tier2, smtp, browser
):
    site = settings.SITE_URL = live_server.url

    # The customer reports a leaver; the name is sensitive.
    sign_in(page, site, customer.email)
    page.goto(f"{site}/desks/child-care-provider/staff-terminated/")
    page.get_by_label("Summary").fill("Remove portal access for a leaver")
    page.get_by_label("Description").fill("She left on Friday; please disable her account.")
    page.get_by_label("Employee's full name").fill(CANARY)
    page.get_by_label("Last day of employment").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Remove portal access for a leaver").wait_for()
    ticket = Ticket.objects.get()

    # Tier I finds it unassigned, sees the sensitive value only masked, and asks for details.
    agent1 = new_page(browser)
    sign_in(agent1, site, tier1.email)
    agent1.goto(f"{site}/agent/")
    agent1.get_by_role("link", name=ticket.reference).click()
    agent1.get_by_role("heading", name="Remove portal access for a leaver").wait_for()
    assert CANARY not in agent1.content() and "••••••" in agent1.content()
    check_accessibility(agent1, "agent request")
    screenshot(agent1, "agent-tier1-request")
    agent1.locator("summary", has_text="Ask the customer").click()
    agent1.get_by_label("Message to the customer").fill("Which sites did she have access to?")
    agent1.get_by_role("button", name="Ask the customer").click()
    agent1.get_by_text("The request is now: Waiting for customer.").wait_for()

    # The customer answers; the request goes back to support.
    page.reload()
    page.get_by_role("textbox", name="Comment").fill("Main Street and Riverside.")
    page.get_by_role("button", name="Comment").click()
    page.get_by_text("Your comment was added.").wait_for()
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"

    # Tier I escalates to Tier II with a reason.
    agent1.reload()
    agent1.locator("summary", has_text="Escalate to Tier II").click()
    agent1.get_by_label("Reason").fill("Needs the employee's name to find the account.")
    agent1.get_by_role("button", name="Escalate to Tier II").click()
    agent1.get_by_text("Moved to Tier II.").wait_for()
    assert CANARY not in agent1.content()
    agent1.console_errors.check()
    agent1.context.close()

    # Tier II reveals the name (audited), links a work item and resolves.
    agent2 = new_page(browser)
    sign_in(agent2, site, tier2.email)
    agent2.goto(f"{site}/agent/queues/tier-2/")
    check_accessibility(agent2, "queue")
    screenshot(agent2, "agent-tier2-queue")
    agent2.get_by_role("link", name=ticket.reference).click()
    agent2.get_by_role("button", name="Reveal (recorded)").click()
    agent2.get_by_text(CANARY).wait_for()
    assert Activity.objects.filter(ticket=ticket, kind="reveal", actor=tier2).count() == 1
    agent2.goto(f"{site}/agent/tickets/{ticket.reference}/")
    agent2.locator("summary", has_text="Link a work item").click()
    agent2.get_by_label("New work item title").fill("Deactivation does not reach the SSO directory")
    agent2.get_by_role("button", name="Link", exact=True).click()
    agent2.get_by_text("Linked to the work item").first.wait_for()
    agent2.locator("summary", has_text="Resolve").click()
    agent2.locator("#note-resolve").fill("Her access is removed from both sites.")
    agent2.get_by_role("button", name="Resolve").click()
    agent2.get_by_text("The request is now: Resolved.").wait_for()
    check_accessibility(agent2, "agent request resolved")
    screenshot(agent2, "agent-tier2-resolved")
    agent2.console_errors.check()
    agent2.context.close()
    assert WorkItem.objects.get().tickets.get() == ticket

    # The customer sees Resolved, and the e-mail arrives.
    page.reload()
    page.get_by_text("Resolved", exact=True).first.wait_for()
    screenshot(page, "customer-resolved")
    mails = [m for m in smtp.wait_for(6, timeout=10) if m["To"] == customer.email and "Resolved" in m["Subject"]]
    assert mails, [m["Subject"] for m in smtp.messages]
    assert "Her access is removed from both sites." in body_text(mails[0])
    assert not [m for m in smtp.messages if CANARY in m.as_string()]
