"""Asking to join an organisation, and its vouching roles' (or an agent's) answer."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.joining import (
    JoinRequestError,
    join_request_create,
    join_request_decide,
    join_requests_to_decide,
    organization_find_for_joining,
)
from accounts.models import JoinRequest, Membership, Organization, User
from notifications.models import Notification
from tickets.selectors import request_types_for_user


@pytest.fixture
def newcomer(db):
    return User.objects.create_user(email="newcomer@example.org", password="pw-for-tests-1", full_name="Nina Newcomer")


def mails(kind):
    return list(Notification.objects.filter(kind=kind).order_by("pk"))


@pytest.mark.parametrize("query", ["CC-1", "cc-1", "  CC-1 ", "Sunny Days Child Care", "sunny  days child care"])
def test_it_finds_an_organisation_by_its_provider_id_or_exact_name(provider, query):
    assert organization_find_for_joining(query=query) == provider


@pytest.mark.parametrize("query", ["", "CC", "CC-", "Sunny", "Sunny Days", "%", "_", "C%", "Sunny Days Child Care Inc"])
def test_it_finds_nothing_from_part_of_an_id_or_a_name(provider, query):
    assert organization_find_for_joining(query=query) is None


def test_it_does_not_find_a_deactivated_organisation(provider):
    Organization.objects.filter(pk=provider.pk).update(is_active=False)
    assert organization_find_for_joining(query="CC-1") is None


def test_it_asks_for_the_id_when_two_organisations_share_a_name(provider):
    Organization.objects.create(name="Sunny Days Child Care", kind="provider", provider_id="CC-9")
    assert organization_find_for_joining(query="Sunny Days Child Care") is None
    assert organization_find_for_joining(query="CC-9").provider_id == "CC-9"


def test_it_mails_the_organisations_vouching_roles_only(newcomer, provider, voucher, customer):
    director = User.objects.create_user(email="director@example.org", password="x", full_name="Dee Director")
    Membership.objects.create(user=director, organization=provider, role=Membership.Role.LEAD_DIRECTOR)
    join_request = join_request_create(user=newcomer, query="CC-1", message="I teach at Main.")
    assert (join_request.status, join_request.organization) == ("pending", provider)
    sent = mails("join_request_received")
    assert sorted(m.to_email for m in sent) == ["director@example.org", "voucher@example.org"]
    assert "Nina Newcomer <newcomer@example.org>" in sent[0].body_text
    assert "I teach at Main." in sent[0].body_text and "/approvals/" in sent[0].body_text


def test_it_respects_a_vouchers_choice_of_e_mails(newcomer, provider, voucher):
    voucher.muted_notifications = ["approvals"]
    voucher.save()
    join_request_create(user=newcomer, query="CC-1")
    assert mails("join_request_received") == []
    assert join_requests_to_decide(user=voucher, agent=False).count() == 1


@pytest.mark.parametrize("query", ["CC-404", "Sunny"])
def test_it_refuses_an_unknown_organisation_on_its_field(newcomer, provider, voucher, query):
    with pytest.raises(JoinRequestError) as error:
        join_request_create(user=newcomer, query=query)
    assert error.value.field == "organization"
    assert not JoinRequest.objects.exists() and not Notification.objects.exists()


def test_it_refuses_a_member_and_a_second_pending_request(newcomer, customer, provider, voucher):
    with pytest.raises(JoinRequestError, match="already a member"):
        join_request_create(user=customer, query="CC-1")
    join_request_create(user=newcomer, query="CC-1")
    with pytest.raises(JoinRequestError, match="already asked"):
        join_request_create(user=newcomer, query="Sunny Days Child Care")
    assert JoinRequest.objects.count() == 1 and len(mails("join_request_received")) == 1


def test_it_limits_the_requests_waiting_per_person(newcomer, provider, other_provider, voucher, settings):
    settings.JOIN_REQUEST_PENDING_MAX = 1
    join_request_create(user=newcomer, query="CC-1")
    with pytest.raises(JoinRequestError, match="waiting for an answer"):
        join_request_create(user=newcomer, query="CC-2")
    assert JoinRequest.objects.count() == 1


def test_it_limits_the_requests_a_day_per_person(newcomer, provider, other_provider, voucher, settings):
    settings.JOIN_REQUEST_DAILY_MAX = 2
    first = join_request_create(user=newcomer, query="CC-1")
    join_request_decide(join_request=first, actor=voucher, approve=False, agent=False, note="Not one of ours.")
    join_request_create(user=newcomer, query="CC-2")
    third = Organization.objects.create(name="Third Kids", kind="provider", provider_id="CC-3")
    with pytest.raises(JoinRequestError, match="too often today"):
        join_request_create(user=newcomer, query="CC-3")
    JoinRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert join_request_create(user=newcomer, query="CC-3").organization == third


def test_a_voucher_approves_and_the_person_becomes_staff(catalogue, newcomer, provider, voucher):
    join_request = join_request_create(user=newcomer, query="CC-1")
    join_request_decide(join_request=join_request, actor=voucher, approve=True, agent=False)
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by) == ("approved", voucher)
    assert Membership.objects.get(user=newcomer, organization=provider).role == "staff"
    [told] = mails("join_request_decided")
    assert told.to_email == newcomer.email and "You are now a member of Sunny Days Child Care" in told.subject
    from tickets.models import ServiceDesk

    ccp = ServiceDesk.objects.get(key="CCP")
    assert "staff-terminated" in set(request_types_for_user(desk=ccp, user=newcomer).values_list("key", flat=True))


def test_a_decline_needs_a_note_that_the_person_reads(newcomer, provider, voucher):
    join_request = join_request_create(user=newcomer, query="CC-1")
    with pytest.raises(JoinRequestError) as error:
        join_request_decide(join_request=join_request, actor=voucher, approve=False, agent=False, note="  ")
    assert error.value.field == "note"
    join_request_decide(join_request=join_request, actor=voucher, approve=False, agent=False, note="Ask Dana.")
    [told] = mails("join_request_decided")
    assert "declined" in told.subject and "Ask Dana." in told.body_text
    assert not Membership.objects.filter(user=newcomer).exists()


def test_only_vouching_roles_of_the_organisation_or_agents_decide(newcomer, provider, customer, outsider, voucher):
    other_director = User.objects.create_user(email="od@example.org", password="x", full_name="Other Director")
    Membership.objects.create(user=other_director, organization=outsider.memberships.get().organization,
                              role=Membership.Role.SITE_ADMIN)  # fmt: skip
    join_request = join_request_create(user=newcomer, query="CC-1")
    for stranger in (customer, outsider, other_director, newcomer):
        with pytest.raises(JoinRequestError):
            join_request_decide(join_request=join_request, actor=stranger, approve=True, agent=False)
        assert join_requests_to_decide(user=stranger, agent=False).count() == 0
    assert not Membership.objects.filter(user=newcomer).exists()
    join_request_decide(join_request=join_request, actor=customer, approve=True, agent=True)
    assert Membership.objects.filter(user=newcomer, organization=provider).exists()


def test_a_role_that_ended_decides_nothing(newcomer, provider, voucher):
    join_request = join_request_create(user=newcomer, query="CC-1")
    Membership.objects.filter(user=voucher).update(role=Membership.Role.STAFF)
    with pytest.raises(JoinRequestError):
        join_request_decide(join_request=join_request, actor=voucher, approve=True, agent=False)


def test_a_request_is_answered_once(newcomer, provider, voucher):
    join_request = join_request_create(user=newcomer, query="CC-1")
    join_request_decide(join_request=join_request, actor=voucher, approve=False, agent=False, note="No.")
    with pytest.raises(JoinRequestError, match="already answered"):
        join_request_decide(join_request=join_request, actor=voucher, approve=True, agent=False)
    assert not Membership.objects.filter(user=newcomer).exists()
    assert len(mails("join_request_decided")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_directors_answering_at_once_answer_once(newcomer, provider, voucher):
    director = User.objects.create_user(email="director@example.org", password="x", full_name="Dee Director")
    Membership.objects.create(user=director, organization=provider, role=Membership.Role.LEAD_DIRECTOR)
    join_request = join_request_create(user=newcomer, query="CC-1")
    barrier = threading.Barrier(2)
    outcomes = {}

    def answer(actor, approve):
        try:
            barrier.wait(timeout=10)
            join_request_decide(join_request=join_request, actor=actor, approve=approve, agent=False, note="No.")
            outcomes[actor.pk] = "answered"
        except JoinRequestError:
            outcomes[actor.pk] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=args) for args in ((voucher, True), (director, False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["answered", "refused"]
    join_request.refresh_from_db()
    assert Membership.objects.filter(user=newcomer).exists() == (join_request.status == "approved")
    assert Notification.objects.filter(kind="join_request_decided").count() == 1


@pytest.mark.django_db(transaction=True)
def test_asking_twice_at_once_makes_one_request(newcomer, provider, voucher):
    barrier = threading.Barrier(2)
    outcomes = []

    def ask():
        try:
            barrier.wait(timeout=10)
            join_request_create(user=newcomer, query="CC-1")
            outcomes.append("asked")
        except JoinRequestError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["asked", "refused"]
    assert JoinRequest.objects.count() == 1 and Notification.objects.filter(kind="join_request_received").count() == 1
