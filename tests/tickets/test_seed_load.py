"""seed_load at a tiny size: the shapes the pages read, every status and tier, repeatable."""

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Membership, Organization, User
from tickets.models import Activity, Attachment, Participant, SensitiveValue, Team, Ticket
from tickets.seed import EMAIL_DOMAIN, RARE_WORD
from tickets.workflow import Status

SIZES = {"tickets": 600, "organizations": 20, "customers": 60, "agents": 6, "big_org_tickets": 100, "seed": 7}


def _fingerprint() -> list[tuple]:
    return list(
        Ticket.objects.order_by("id").values_list(
            "id", "reference", "summary", "status", "tier", "assignee_id", "requester_id", "created_at"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_it_fills_every_table_the_pages_read(client):
    call_command("seed_load", **SIZES)
    assert Ticket.objects.count() == 600
    assert Organization.objects.filter(provider_id__startswith="SEED-").count() == 20
    assert User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).count() == 66
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Ticket.objects.values_list("tier", flat=True)) == {1, 2}
    # About three activities per request; a participant each; some sensitive values and files.
    assert 2.5 < Activity.objects.count() / 600 < 3.6
    assert Participant.objects.count() == 600
    assert SensitiveValue.objects.exists()
    assert Attachment.objects.filter(ticket__isnull=False, activity__isnull=False).count() == 60
    assert Ticket.objects.filter(summary__contains=RARE_WORD).count() >= 1
    # References are gap-free per desk, and the desk counters go on after them.
    for desk_id, last in Ticket.objects.values_list("desk_id", "desk__last_number").distinct():
        numbers = sorted(Ticket.objects.filter(desk_id=desk_id).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1)) and last == numbers[-1]
    # Assignees are agents of the request's team; the big organisation holds its share.
    for ticket in Ticket.objects.exclude(assignee=None).select_related("team")[:50]:
        assert Team.objects.filter(pk=ticket.team_id, members=ticket.assignee_id).exists()
    big = Organization.objects.get(provider_id="SEED-7-0")
    assert Ticket.objects.filter(organization=big).count() >= 100
    first = Ticket.objects.order_by("id").first()
    assert first.activities.count() == 30
    # The pages read it: the big organisation's site admin, and an agent.
    admin = Membership.objects.get(organization=big, role="site_admin").user
    assert admin.check_password("helpdesk-demo") or admin.has_usable_password()
    client.force_login(admin)
    assert client.get("/requests/?scope=organization").status_code == 200
    assert client.get(f"/requests/{first.reference}/").status_code == 200
    client.force_login(User.objects.get(email=f"seed-agent-0@{EMAIL_DOMAIN}"))
    assert client.get("/agent/queues/unassigned/").status_code == 200
    assert client.get(f"/agent/tickets/{first.reference}/").status_code == 200
    with connection.cursor() as cursor:  # the dropped indexes are back
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'ticket_unassigned_idx'")
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_it_gives_the_same_data_for_the_same_seed():
    call_command("seed_load", **SIZES)
    first = _fingerprint()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tickets_ticket, accounts_user, accounts_organization, accounts_site RESTART IDENTITY CASCADE"
        )
        cursor.execute("UPDATE tickets_servicedesk SET last_number = 0")
    call_command("seed_load", **SIZES)
    again = _fingerprint()
    assert [row[:-1] for row in again] == [row[:-1] for row in first]
    # Times are relative to now: the same to within the seconds between the two loads.
    assert all(abs((a[-1] - b[-1]).total_seconds()) < 120 for a, b in zip(first, again, strict=True))
