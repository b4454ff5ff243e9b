"""What a red team found after the trust work landed, each reproduced on the old code, and held now.

1. A stranger asking to join an organisation listed its staff and mailed them through "Share".
3. The admin's list filters read a sensitive value (or a mailbox password) character by character.
4. A staff member who may only view the outbox read a live password-reset link in it.
5. The summary and the description could be marked sensitive, which protected nothing.
6. API tokens outlived a password reset.
7. The admin's password-change page let anyone with a session guess the old password forever.
8. The related-requests list showed other desks' references and summaries.
9. A membership moved to another organisation kept the old one's shares.
Also: a NUL in a header, a quoted local part, a deactivated organisation's vouching roles, and
how many files one person may keep staged. (Finding 2, inbound mail, is in tests/mailin/.)
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.api_tokens import api_token_create
from accounts.identity import InvalidEmail, email_canonical
from accounts.models import Membership, Organization, User
from mailin.models import Mailbox
from notifications.models import Notification
from tickets.attachments import attachment_stage
from tickets.fields import request_field_set_sensitive
from tickets.merging import ticket_link_related
from tickets.models import Participant, RequestField, RequestType, SensitiveValue
from tickets.participants import ticket_share
from tickets.visibility import ticket_visible_to

JOIN = reverse("portal:request_create", args=["child-care-provider", "new-employee-access"])
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def stranger(db):
    return User.objects.create_user(email="eve@evil.example", password="pw-for-tests-1", full_name="Eve")


def join_request(client, stranger):
    client.force_login(stranger)
    response = client.post(JOIN, {
        "summary": "URGENT: your account will be closed", "description": "Log in at http://evil.example.",
        "provider_id": "CC-1", "employee_full_name": "Eve", "employee_email": stranger.email,
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    return stranger.requests.get()


@pytest.mark.django_db
def test_someone_asking_to_join_sees_no_staff_and_mails_nobody(client, catalogue, customer, colleague, voucher,
                                                               stranger):  # fmt: skip
    ticket = join_request(client, stranger)
    page = client.get(reverse("portal:request_detail", args=[ticket.reference])).content.decode()
    for person in (customer, colleague, voucher):
        assert person.full_name not in page
    response = client.post(reverse("portal:request_share", args=[ticket.reference]), {"user": colleague.pk})
    assert response.status_code == 400
    for email in (customer.email, "nobody@example.org"):
        url = reverse("api:request_participants", args=[ticket.reference])
        assert client.post(url, {"email": email}, content_type="application/json").status_code == 403
    assert not Participant.objects.filter(ticket=ticket).exclude(user=stranger).exists()
    assert not Notification.objects.filter(kind="shared_with_you").exists()
    # The vouching roles learn who asks: the address, not only a name the stranger chose.
    approval = Notification.objects.get(kind="approval_needed", to_email=voucher.email)
    assert stranger.email in approval.body_text


@pytest.mark.django_db
def test_one_person_cannot_flood_the_vouching_roles_with_requests(client, catalogue, provider, voucher, stranger,
                                                                  settings):  # fmt: skip
    settings.APPROVAL_PENDING_MAX_PER_REQUESTER = 2
    join_request(client, stranger)
    client.post(JOIN, {"summary": "Again", "description": "Again please, I need it.", "provider_id": "CC-1",
                       "employee_full_name": "Eve", "employee_email": stranger.email})  # fmt: skip
    response = client.post(JOIN, {"summary": "Third", "description": "A third one, please.", "provider_id": "CC-1",
                                  "employee_full_name": "Eve", "employee_email": stranger.email})  # fmt: skip
    assert response.status_code == 400
    assert "waiting for approval" in response.content.decode()
    assert stranger.requests.count() == 2


@pytest.mark.django_db
def test_members_still_share_with_colleagues(client, submit, customer, colleague):
    ticket = submit(customer)
    client.force_login(customer)
    assert colleague.full_name in client.get(reverse("portal:request_detail", args=[ticket.reference])).content.decode()
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    assert ticket_visible_to(ticket=ticket, user=colleague)


@pytest.fixture
def sensitive_ticket(submit, customer):
    field = RequestField.objects.get(
        request_type__desk__key="CSD", request_type__key="general-request", key="attachments"
    )
    field = RequestField.objects.create(request_type=field.request_type, key="child_id", name="Child ID", position=99)
    request_field_set_sensitive(field=field, sensitive=True, actor=None)
    ticket = submit(customer, child_id="SSN-123-45-6789")
    assert SensitiveValue.objects.filter(ticket=ticket, value="SSN-123-45-6789").exists()
    return ticket


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lookup",
    ["/admin/tickets/sensitivevalue/?value__startswith=SSN", "/admin/tickets/sensitivevalue/?display__startswith=S",
     "/admin/mailin/mailbox/?password__startswith=S", "/admin/accounts/user/?password__startswith=md5",
     "/admin/tickets/ticket/?sensitive_values__value__startswith=SSN"],
)  # fmt: skip
def test_the_admin_filters_only_by_what_it_offers(client, sensitive_ticket, superuser, lookup):
    Mailbox.objects.create(
        desk=sensitive_ticket.desk, email_address="s@csd.example", host="h", username="u", password="S3cr3t!",
        default_request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
    )  # fmt: skip
    client.force_login(superuser)
    response = client.get(lookup)
    assert response.status_code == 400
    assert sensitive_ticket.reference.encode() not in response.content


@pytest.mark.django_db
def test_the_admins_own_filters_still_work(client, sensitive_ticket, superuser):
    client.force_login(superuser)
    assert client.get("/admin/tickets/ticket/?status__exact=waiting_for_support").status_code == 200
    assert client.get("/admin/accounts/user/?is_staff__exact=1&q=root").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_outbox_never_shows_a_link_that_signs_someone_in(client, superuser):
    from accounts.background import background_drain

    helper = User.objects.create_user(email="helper@example.org", password="pw-for-tests-1", full_name="Helper",
                                      is_staff=True)  # fmt: skip
    helper.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.post(reverse("accounts:password_reset"), {"email": superuser.email})
    background_drain()
    reset = Notification.objects.get(kind="password_reset", to_email=superuser.email)
    assert reset.confidential
    client.force_login(helper)
    page = client.get(reverse("admin:notifications_notification_change", args=[reset.pk])).content.decode()
    assert "/accounts/password-reset/" not in page
    assert "signs the recipient in" in page
    listing = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert "Retry the selected" not in listing  # needs the change permission


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["summary", "description"])
def test_the_summary_and_description_cannot_be_marked_sensitive(catalogue, key):
    field = RequestField.objects.get(request_type__desk__key="CSD", request_type__key="general-request", key=key)
    with pytest.raises(ValidationError):
        request_field_set_sensitive(field=field, sensitive=True, actor=None)
    field.refresh_from_db()
    assert not field.sensitive


@pytest.mark.django_db
def test_a_new_password_ends_the_api_tokens(client, customer):
    _token, key = api_token_create(user=customer, name="Script")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get(reverse("api:request_list"), **auth).status_code == 200
    customer.set_password("A-whole-new-passphrase-9")
    customer.save()
    assert client.get(reverse("api:request_list"), **auth).status_code == 401
    other, other_key = api_token_create(user=customer, name="After")
    customer.last_login = None
    customer.save(update_fields=["last_login"])  # a sign-in saves the user too: tokens stay
    assert client.get(reverse("api:request_list"), HTTP_AUTHORIZATION=f"Token {other_key}").status_code == 200


@pytest.mark.django_db
def test_the_admin_password_change_goes_through_the_sign_in_limit(client, superuser, settings):
    client.force_login(superuser)
    url = "/admin/password_change/"
    new = {"new_password1": "Zz-new-pass-123", "new_password2": "Zz-new-pass-123"}
    codes = {client.post(url, {"old_password": f"guess{n}", **new}).status_code for n in range(10)}
    assert codes == {200}
    assert client.post(url, {"old_password": "guess-again", **new}).status_code == 429
    assert client.post(url, {"old_password": "pw-for-tests-1", **new}).status_code == 429
    superuser.refresh_from_db()
    assert superuser.check_password("pw-for-tests-1")


@pytest.mark.django_db
def test_related_requests_show_only_what_the_agent_may_see(client, submit, customer, superuser, catalogue):
    csd = submit(customer, summary="Printer")
    ccp = submit(customer, desk="CCP", key="other-issue", summary="Seizure log lost", description="x" * 60)
    ticket_link_related(ticket=csd, other=ccp, actor=superuser)
    csd_agent = User.objects.create_user(email="csd@example.org", password="pw-for-tests-1", full_name="Cee")
    from tickets.models import Team

    Team.objects.get(desk__key="CSD", tier=1).members.add(csd_agent)
    client.force_login(csd_agent)
    page = client.get(reverse("agent:ticket_detail", args=[csd.reference])).content.decode()
    # The log may say a link was made; the other desk's request itself is not shown or offered.
    assert "Seizure log lost" not in page
    assert reverse("agent:ticket_detail", args=[ccp.reference]) not in page


@pytest.mark.django_db
def test_a_membership_moved_to_another_organisation_ends_the_old_shares(submit, customer, colleague, other_provider):
    ticket = submit(customer)
    ticket_share(ticket=ticket, actor=customer, user=colleague)
    membership = Membership.objects.get(user=colleague)
    membership.organization = other_provider  # what the Membership admin's change form does
    membership.save()
    assert not Participant.objects.filter(ticket=ticket, user=colleague).exists()
    assert not ticket_visible_to(ticket=ticket, user=colleague)


@pytest.mark.django_db
def test_a_deactivated_organisations_roles_see_nothing_of_it(submit, customer, voucher, provider):
    ticket = submit(customer)
    assert ticket_visible_to(ticket=ticket, user=voucher)
    Organization.objects.filter(pk=provider.pk).update(is_active=False)
    assert not ticket_visible_to(ticket=ticket, user=voucher)
    assert ticket_visible_to(ticket=ticket, user=customer)  # the requester keeps their own


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_ANYTHING"])
def test_a_null_character_in_a_header_is_a_400(client, header):
    value = {"HTTP_AUTHORIZATION": "Token abc\x00def", "HTTP_COOKIE": "sessionid=ab\x00c"}.get(header, "a\x00b")
    assert client.get(reverse("api:request_list"), **{header: value}).status_code == 400


@pytest.mark.parametrize("address", ['"carla"@example.org', "car\\la@example.org"])
def test_a_quoted_local_part_is_no_address(address):
    with pytest.raises(InvalidEmail):
        email_canonical(address)


@pytest.mark.django_db
def test_one_person_keeps_only_so_many_files_staged(customer, settings):
    settings.ATTACHMENT_STAGED_MAX_FILES = 2
    for _ in range(2):
        attachment_stage(uploaded_by=customer, upload=SimpleUploadedFile("a.png", PNG))
    with pytest.raises(ValidationError):
        attachment_stage(uploaded_by=customer, upload=SimpleUploadedFile("a.png", PNG))
