"""Day one and approvals in headless Chromium, on a desktop and a 375 px phone: a person in no
organisation sends a general question and asks to join; the organisation's site admin sees
"Waiting for my approval" on the home page, approves, and the person is told; the site admin's
profile shows the provider ID and sites. Screenshots go to test-artifacts/."""

import pytest
from django.utils import translation

from accounts.models import JoinRequest, Membership, User
from notifications.models import Notification
from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1280, 900), "phone": (375, 740)}


@pytest.fixture
def site(live_server, settings, catalogue):
    settings.SITE_URL = live_server.url
    return live_server.url


def looked_at(page, name):
    check_accessibility(page, name)
    check_fits(page, name)
    screenshot(page, name)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_newcomer_asks_for_help_and_to_join_and_a_director_approves(
    browser, site, provider, voucher, colleague, submit, screen
):
    width, height = SCREENS[screen]
    newcomer = User.objects.create_user(email="nina@example.org", password="pw-for-tests-1", full_name="Nina Newcomer")
    with translation.override("en"):
        waiting = submit(colleague, desk="CCP", key="new-employee-access", summary="Access for our new cook",
                         description="Our new cook needs portal access.", provider_id="CC-1",
                         employee_full_name="Sam Cook", employee_email="sam@example.org")  # fmt: skip
    assert waiting.status == "waiting_for_approval"

    # Day one: nothing but the general questions yet, and the way in.
    page = new_page(browser, width=width, height=height)
    sign_in(page, site, newcomer.email)
    assert page.get_by_role("heading", name="You do not belong to an organisation here yet").is_visible()
    looked_at(page, f"day-one-home-{screen}")
    page.goto(f"{site}/desks/customer-service/?group=getting-started")
    page.get_by_role("link", name="A general question").click()
    page.get_by_label("Summary").fill("Where do I start?")
    page.get_by_label("Description").fill("I just signed up; my centre is Sunny Days Child Care.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/requests/CSD-*/")
    assert Ticket.objects.get(requester=newcomer).organization is None

    page.goto(f"{site}/")
    page.get_by_role("link", name="Join your organisation").first.click()
    page.get_by_label("Provider ID or organisation name").fill("cc-2")
    page.get_by_role("button", name="Ask to join").click()
    assert page.get_by_text("We could not find an organisation with this provider ID or name.").is_visible()
    looked_at(page, f"day-one-join-error-{screen}")
    page.get_by_label("Provider ID or organisation name").fill("CC-1")
    page.get_by_label("Message to your director (optional)").fill("Assistant teacher at Main since Monday.")
    page.get_by_role("button", name="Ask to join").click()
    assert page.get_by_text("We asked Sunny Days Child Care to approve you.").is_visible()
    assert page.get_by_text("Waiting for approval").first.is_visible()
    looked_at(page, f"day-one-join-sent-{screen}")
    [mail] = Notification.objects.filter(kind="join_request_received")
    assert mail.to_email == voucher.email

    # The site admin: "Waiting for my approval" on the home page, then the list.
    director = new_page(browser, width=width, height=height)
    sign_in(director, site, voucher.email)
    approvals = director.locator("section", has=director.get_by_role("heading", name="Waiting for my approval"))
    assert approvals.get_by_text("Nina Newcomer asks to join Sunny Days Child Care").is_visible()
    assert approvals.get_by_role("link", name=f"{waiting.reference} · Access for our new cook").is_visible()
    looked_at(director, f"approvals-home-{screen}")
    approvals.get_by_role("link", name="Approve or decline").click()
    director.wait_for_url("**/approvals/")
    looked_at(director, f"approvals-list-{screen}")
    director.get_by_role("button", name="Approve Nina Newcomer").click()
    assert director.get_by_text("Nina Newcomer is now a member of Sunny Days Child Care.").is_visible()
    assert director.get_by_text("Nobody is waiting to join.").is_visible()
    assert Membership.objects.get(user=newcomer).organization == provider
    assert JoinRequest.objects.get().decided_by == voucher

    # The request waiting for approval: approved from its page, and the requester is told.
    director.get_by_role("link", name=f"{waiting.reference} · Access for our new cook").click()
    director.locator("summary", has_text="Approve").click()
    director.get_by_role("button", name="Approve", exact=True).click()
    assert director.get_by_text("Approved this request.").is_visible()
    assert Ticket.objects.get(pk=waiting.pk).status == "waiting_for_support"
    assert Notification.objects.filter(kind="request_approved", to_email=colleague.email).exists()

    director.goto(f"{site}/profile/")
    facts = director.locator("section", has=director.get_by_role("heading", name="Your organisations"))
    assert facts.get_by_text("CC-1").is_visible() and facts.get_by_text("Main").first.is_visible()
    looked_at(director, f"profile-voucher-{screen}")

    # The newcomer is told, by e-mail and on the page, and now sees the organisation's types.
    assert Notification.objects.filter(kind="join_request_decided", to_email=newcomer.email).exists()
    page.goto(f"{site}/")
    joins = page.locator("section", has=page.get_by_role("heading", name="Your requests to join"))
    assert joins.get_by_text("Approved").is_visible()
    assert not page.get_by_role("heading", name="You do not belong to an organisation here yet").count()
    looked_at(page, f"day-one-approved-{screen}")
    for p in (page, director):
        p.context.close()
        p.console_errors.check()
