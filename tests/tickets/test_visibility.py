"""The one visibility rule (tickets/visibility.py) at the doors: pages, API, files, e-mail.

Standing people: customer (staff, the requester), colleague (staff of the same organisation),
voucher (site admin of it), outsider (another organisation), tier1 / tier2 (agents of every desk).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, User
from notifications.models import Notification
from tickets.emails import ticket_email
from tickets.merging import ticket_merge
from tickets.models import Activity, Participant, Team, WorkItem
from tickets.participants import participant_remove, participant_set_notify, ticket_share
from tickets.services import TicketError, TransitionNotAllowed, ticket_comment
from tickets.visibility import activities_visible, ticket_roles
from tickets.work_items import work_item_link, work_item_set_status
from tickets.workflow import Role

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def portal(client, user, ticket):
    client.force_login(user)
    return client.get(reverse("portal:request_detail", args=[ticket.reference])).status_code


def api(client, user, ticket):
    client.force_login(user)
    return client.get(reverse("api:request_detail", args=[ticket.reference])).status_code


def in_lists(client, user, ticket) -> bool:
    client.force_login(user)
    found = set()
    for scope in ("created", "shared", "organization"):
        data = client.get(reverse("api:request_list"), {"scope": scope}).json()["results"]
        found |= {row["reference"] for row in data}
    return ticket.reference in found


@pytest.mark.django_db
def test_it_lets_a_request_be_seen_by_its_people_roles_and_agents_only(client, submit, customer, colleague, voucher,
                                                                        outsider, tier1):  # fmt: skip
    ticket = submit(customer)
    for user, expected in ((customer, 200), (voucher, 200), (tier1, 200), (colleague, 404), (outsider, 404)):
        assert portal(client, user, ticket) == expected, user
        assert api(client, user, ticket) == expected, user
    assert in_lists(client, voucher, ticket) and not in_lists(client, colleague, ticket)


@pytest.mark.django_db
def test_it_shows_nothing_to_a_deactivated_requester(client, submit, customer):
    ticket = submit(customer)
    User.objects.filter(pk=customer.pk).update(is_active=False)
    customer.refresh_from_db()
    assert ticket_roles(ticket=ticket, user=customer) == frozenset()
    from tickets.selectors import ticket_list_for_customer

    assert not ticket_list_for_customer(user=customer).exists()


@pytest.mark.django_db
def test_it_never_makes_a_participant_of_someone_turning_notifications_on(client, submit, customer, voucher):
    """The old code created a Participant for a vouching role who toggled notifications, which
    outlived the role."""
    ticket = submit(customer)
    client.force_login(voucher)
    response = client.post(reverse("portal:request_notifications", args=[ticket.reference]), {"notify": "on"})
    assert response.status_code == 403
    assert not Participant.objects.filter(ticket=ticket, user=voucher).exists()
    Membership.objects.filter(user=voucher).update(role="staff")
    assert portal(client, voucher, ticket) == 404
    with pytest.raises(TransitionNotAllowed):
        participant_set_notify(ticket=ticket, user=voucher, notify=True)


@pytest.mark.django_db
def test_it_refuses_to_share_a_request_with_oneself(submit, customer, voucher):
    ticket = submit(customer)
    with pytest.raises(TicketError):
        ticket_share(ticket=ticket, actor=voucher, user=voucher)


@pytest.mark.django_db
def test_a_vouching_role_sees_the_organisation_only_while_holding_the_role(client, submit, customer, voucher):
    ticket = submit(customer)
    assert portal(client, voucher, ticket) == 200
    membership = Membership.objects.get(user=voucher)
    membership.role = "staff"
    membership.save()
    assert portal(client, voucher, ticket) == 404
    assert not in_lists(client, voucher, ticket)


@pytest.mark.django_db
def test_the_requester_a_vouching_role_and_an_agent_remove_a_participant_and_it_is_logged(
    client, submit, customer, colleague, voucher, tier1
):
    ticket = submit(customer)
    for remover in (customer, voucher, tier1):
        ticket_share(ticket=ticket, actor=customer, user=colleague)
        participant_remove(ticket=ticket, actor=remover, user=colleague)
        assert portal(client, colleague, ticket) == 404
        unshare = Activity.objects.filter(ticket=ticket, kind="unshare").latest("id")
        assert (unshare.actor, unshare.data["user"]) == (remover, colleague.pk)


@pytest.mark.django_db
def test_a_participant_leaves_but_cannot_remove_others_or_the_requester(client, submit, customer, colleague, provider):
    third = User.objects.create_user(email="third@example.org", password="pw-for-tests-1", full_name="Third")
    Membership.objects.create(user=third, organization=provider, role="staff")
    ticket = submit(customer)
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    ticket_share(ticket=ticket, actor=customer, user=third)
    with pytest.raises(TransitionNotAllowed):
        participant_remove(ticket=ticket, actor=colleague, user=third)
    with pytest.raises(TransitionNotAllowed):
        participant_remove(ticket=ticket, actor=colleague, user=customer)
    client.force_login(colleague)
    me = Participant.objects.get(ticket=ticket, user=colleague)
    response = client.post(reverse("portal:request_unshare", args=[ticket.reference]), {"participant": me.pk})
    assert response.status_code == 302
    assert portal(client, colleague, ticket) == 404
    assert portal(client, third, ticket) == 200


@pytest.mark.django_db
def test_agents_remove_participants_from_their_page_and_the_api(client, submit, customer, colleague, tier1):
    ticket = submit(customer)
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    client.force_login(tier1)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.reference]))
    assert reverse("agent:ticket_unshare", args=[ticket.reference]).encode() in page.content
    participant = Participant.objects.get(ticket=ticket, user=colleague)
    assert (
        client.post(reverse("agent:ticket_unshare", args=[ticket.reference]), {"participant": "x"}).status_code == 400
    )
    response = client.post(reverse("agent:ticket_unshare", args=[ticket.reference]), {"participant": participant.pk})
    assert response.status_code == 302
    assert not Participant.objects.filter(ticket=ticket, user=colleague).exists()
    url = reverse("api:request_participants", args=[ticket.reference])
    assert client.post(url, {"email": colleague.email}, content_type="application/json").status_code == 201
    url = reverse("api:request_participant", args=[ticket.reference, colleague.email])
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404


@pytest.mark.django_db
def test_leaving_the_organisation_ends_its_shares_but_not_ones_own_requests(client, submit, customer, colleague):
    shared = submit(customer)
    own = submit(colleague)
    ticket_share(ticket=shared, actor=customer, user=colleague)
    assert portal(client, colleague, shared) == 200
    Membership.objects.get(user=colleague).delete()
    assert portal(client, colleague, shared) == 404
    assert portal(client, colleague, own) == 200
    ended = Activity.objects.get(ticket=shared, kind="unshare")
    assert ended.data == {"user": colleague.pk, "reason": "left_organization"}


@pytest.mark.django_db
def test_a_merge_gives_nobody_the_surviving_request(client, submit, customer, colleague, tier1, smtp):
    """The old merge copied the duplicate's people onto the survivor: colleague@ could read
    customer@'s request, download its files, comment on it and got its e-mails."""
    original = submit(customer, files={"attachments": [SimpleUploadedFile("a.png", PNG)]})
    duplicate = submit(colleague, summary="Same problem")
    ticket_merge(ticket=duplicate, into=original, actor=tier1)
    assert portal(client, colleague, original) == 404
    assert api(client, colleague, original) == 404
    attachment = original.attachments.get()
    client.force_login(colleague)
    assert client.get(reverse("portal:attachment_download", args=[attachment.pk])).status_code == 404
    comment = client.post(reverse("portal:request_comment", args=[original.reference]), {"body": "Me too"})
    assert comment.status_code == 404
    Notification.objects.all().delete()
    ticket_comment(ticket=original, author=tier1, body="Looking into it.")
    assert not Notification.objects.filter(to_email=colleague.email).exists()
    assert Notification.objects.filter(to_email=customer.email, kind="public_reply").exists()


@pytest.mark.django_db
def test_a_merge_can_only_share_with_the_duplicates_people_who_lack_access(
    submit, customer, colleague, outsider, tier1
):
    original, duplicate = submit(customer), submit(colleague)
    with pytest.raises(TicketError):
        ticket_merge(ticket=duplicate, into=original, actor=tier1, share_with=[outsider])
    ticket_merge(ticket=duplicate, into=original, actor=tier1, share_with=[colleague])
    assert ticket_roles(ticket=original, user=colleague) == {Role.CUSTOMER}


@pytest.mark.django_db
def test_no_email_about_a_request_reaches_someone_outside_the_rule(submit, customer, outsider):
    ticket = submit(customer)
    Notification.objects.all().delete()
    assert ticket_email(user=outsider, kind="public_reply", ticket=ticket, author="x", body="secret") is False
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_internal_notes_and_their_files_stay_with_the_agents(client, submit, customer, voucher, tier1):
    ticket = submit(customer)
    note = ticket_comment(
        ticket=ticket, author=tier1, body="Internal only", internal=True,
        uploads=[SimpleUploadedFile("n.png", PNG)],
    )  # fmt: skip
    assert note not in activities_visible(ticket=ticket, user=customer)
    assert note in activities_visible(ticket=ticket, user=tier1)
    attachment = note.attachments.get()
    for user, expected in ((customer, 404), (voucher, 404), (tier1, 200)):
        client.force_login(user)
        assert client.get(reverse("portal:attachment_download", args=[attachment.pk])).status_code == expected
        activities = client.get(reverse("api:request_activities", args=[ticket.reference])).json()
        assert ("Internal only" in str(activities)) is (user == tier1)


@pytest.fixture
def edi_tier2(catalogue):
    user = User.objects.create_user(email="edi2@example.org", password="pw-for-tests-1", full_name="Eddie EDI")
    Team.objects.get(desk__key="EDI", tier=2).members.add(user)
    return user


@pytest.mark.django_db
def test_work_items_are_seen_and_changed_within_the_agents_desks(client, submit, customer, tier2, edi_tier2):
    """The old page listed every desk's work items and references, and an EDI agent could mark
    one done that was linked to CSD requests (activities and e-mails on them)."""
    csd = submit(customer, summary="Visits do not save")
    item = WorkItem.objects.create(title="Saving visits fails", created_by=tier2)
    work_item_link(ticket=csd, actor=tier2, work_item=item)
    client.force_login(edi_tier2)
    page = client.get(reverse("agent:work_items"))
    assert b"Saving visits fails" not in page.content and csd.reference.encode() not in page.content
    response = client.post(reverse("agent:work_item_status", args=[item.pk]), {"status": "done"})
    assert response.status_code == 404
    with pytest.raises(TransitionNotAllowed):
        work_item_set_status(work_item=item, actor=edi_tier2, status="done")
    item.refresh_from_db()
    assert item.status == "open"
    assert not Activity.objects.filter(ticket=csd, kind="work_item", new_value="done").exists()
    client.force_login(tier2)
    page = client.get(reverse("agent:work_items"))
    assert csd.reference.encode() in page.content


@pytest.mark.django_db
def test_a_work_item_shows_only_the_references_the_agent_may_see(client, submit, customer, tier2, edi_tier2):
    csd, edi = submit(customer), submit(customer, desk="EDI", key="provider-request")
    item = WorkItem.objects.create(title="Shared bug", created_by=tier2)
    work_item_link(ticket=csd, actor=tier2, work_item=item)
    work_item_link(ticket=edi, actor=tier2, work_item=item)
    client.force_login(edi_tier2)
    page = client.get(reverse("agent:work_items")).content.decode()
    assert edi.reference in page and csd.reference not in page
    assert "1 request of other desks" in page
    with pytest.raises(TransitionNotAllowed):
        work_item_set_status(work_item=item, actor=edi_tier2, status="done")
    work_item_set_status(work_item=item, actor=tier2, status="done")


@pytest.mark.django_db
def test_bulk_and_the_api_ignore_work_items_of_other_desks_and_garbage_ids(client, submit, customer, tier2, edi_tier2):
    csd, edi = submit(customer), submit(customer, desk="EDI", key="provider-request")
    item = WorkItem.objects.create(title="CSD only", created_by=tier2)
    work_item_link(ticket=csd, actor=tier2, work_item=item)
    client.force_login(edi_tier2)
    for value in (str(item.pk), "abc", "", "9" * 30):
        response = client.post(
            reverse("agent:bulk"), {"action": "work_item", "work_item": value, "tickets": [edi.reference]}
        )
        assert response.status_code == 302
    assert not item.tickets.filter(pk=edi.pk).exists()
    response = client.post(
        reverse("api:request_work_item", args=[edi.reference]), {"work_item": item.pk}, content_type="application/json"
    )
    assert response.status_code == 400
