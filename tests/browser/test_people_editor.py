"""People in the editor and the offboarding of a resolved "Staff terminated" request, in headless
Chromium: axe-clean, usable 375 px wide, console-error free."""

import pytest

from accounts.models import Membership, User
from tests.conftest import check_accessibility, check_fits, new_page, screenshot, sign_in
from tickets.models import Activity, RequestType
from tickets.services import ticket_submit, ticket_transition
from tickets.values import SubmittedValues

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_manages_an_organisation_and_deactivates_a_person_at_phone_width(
    browser, live_server, settings, catalogue, superuser, customer, provider
):
    site = settings.SITE_URL = live_server.url
    page = new_page(browser, width=375, height=800)
    sign_in(page, site, superuser.email)
    page.goto(f"{site}/configure/people/")
    page.get_by_label("Name, e-mail address or provider ID").fill("carla")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Carla Customer").wait_for()
    check_accessibility(page, "people")
    check_fits(page, "people at 375 px")
    screenshot(page, "configure-people-375")

    page.get_by_role("link", name="Sunny Days Child Care").click()
    page.get_by_role("heading", name="Members and their roles").wait_for()
    check_accessibility(page, "organisation")
    check_fits(page, "organisation at 375 px")
    page.get_by_label("Role of Carla Customer").select_option("site_manager")
    page.locator("form", has=page.get_by_label("Role of Carla Customer")).get_by_role(
        "button", name="Save the role"
    ).click()
    page.get_by_text("The role and sites of Carla Customer are saved.").wait_for()
    assert Membership.objects.get(user=customer).role == "site_manager"
    screenshot(page, "configure-organisation-375")

    page.get_by_role("link", name="Carla Customer").click()
    page.get_by_role("link", name="Deactivate…").click()
    check_accessibility(page, "deactivate confirmation")
    page.get_by_role("button", name="Deactivate now").click()
    page.get_by_text("Carla Customer is deactivated").wait_for()
    assert not User.objects.get(pk=customer.pk).is_active
    check_accessibility(page, "person, deactivated")
    page.console_errors.check()
    page.context.close()


def test_tier_two_deactivates_the_member_a_resolved_staff_terminated_request_names(
    browser, live_server, settings, catalogue, provider, voucher, tier2
):
    site = settings.SITE_URL = live_server.url
    former = User.objects.create_user(email="dana@example.org", password="pw-for-tests-1", full_name="Dana Example")
    Membership.objects.create(user=former, organization=provider, role="staff")
    ticket = ticket_submit(
        request_type=RequestType.objects.get(desk__key="CCP", key="staff-terminated"),
        requester=voucher,
        organization=provider,
        values=SubmittedValues(summary="Remove access for a former teacher", description="She left on Friday.",
                               fields={"employee_full_name": "Dana Example", "last_day_of_employment": "2026-11-27"},
                               files={}),
    )  # fmt: skip
    former_page = new_page(browser)
    sign_in(former_page, site, former.email)
    ticket_transition(ticket=ticket, action="resolve", actor=tier2, note="Access removed.")

    page = new_page(browser, width=375, height=800)
    sign_in(page, site, tier2.email)
    page.goto(f"{site}/agent/tickets/{ticket.reference}/")
    page.get_by_role("heading", name="Offboarding").wait_for()
    check_accessibility(page, "resolved staff-terminated request")
    check_fits(page, "agent request at 375 px")
    page.get_by_role("button", name="Deactivate the named member…").click()
    page.get_by_role("button", name="Yes, deactivate Dana Example").wait_for()
    check_accessibility(page, "offboarding confirmation")
    check_fits(page, "offboarding confirmation at 375 px")
    screenshot(page, "offboarding-confirm-375")
    page.get_by_role("button", name="Yes, deactivate Dana Example").click()
    page.get_by_text("Dana Example is deactivated; their sessions and API tokens ended.").wait_for()
    page.get_by_text("The member this request names is deactivated.").wait_for()
    assert Activity.objects.filter(ticket=ticket, kind="member_deactivated", actor=tier2).exists()
    screenshot(page, "offboarding-done-375")
    # The former employee's open browser is signed out at once.
    former_page.goto(f"{site}/requests/")
    assert "/accounts/login/" in former_page.url
    for other in (page, former_page):
        other.console_errors.check()
        other.context.close()
