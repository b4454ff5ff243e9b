"""Admin-defined saved queues, the CSV export of any queue, and the agents' search."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tickets.models import RequestType, SavedQueue, ServiceDesk, Team, Ticket
from tickets.services import ticket_assign, ticket_submit
from tickets.values import SubmittedValues

pytestmark = pytest.mark.usefixtures("catalogue")


def submit(customer, summary, type_key="general-request", desk="CSD", fields=None):
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key=desk, key=type_key),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary=summary, description="", fields=fields or {}, files={}),
    )


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
def test_a_saved_queue_holds_what_its_filters_say(client, customer, tier1):
    urgent, calm, mine = submit(customer, "urgent one"), submit(customer, "calm one"), submit(customer, "mine")
    Ticket.objects.filter(pk__in=[urgent.pk, mine.pk]).update(priority=4)
    ticket_assign(ticket=mine, actor=tier1, assignee=tier1)
    SavedQueue.objects.create(
        name="Urgent and nobody on it", name_es="Urgentes sin asignar", slug="urgent-unassigned",
        priority_at_least=4, assignment="unassigned",
    )  # fmt: skip
    SavedQueue.objects.create(name="Switched off", slug="off", is_active=False)
    client.force_login(tier1)
    home = client.get(reverse("agent:home")).content.decode()
    assert "Urgent and nobody on it" in home and "Switched off" not in home
    page = client.get(reverse("agent:saved_queue", args=["urgent-unassigned"])).content.decode()
    assert urgent.reference in page and calm.reference not in page and mine.reference not in page
    assert client.get(reverse("agent:saved_queue", args=["off"])).status_code == 404


@pytest.mark.django_db
def test_a_saved_queue_of_another_desk_is_not_offered(client, customer, tier1):
    edi = ServiceDesk.objects.get(key="EDI")
    Team.objects.get(desk=edi, tier=1).members.remove(tier1)
    SavedQueue.objects.create(name="EDI only", slug="edi-only", desk=edi)
    client.force_login(tier1)
    assert "EDI only" not in client.get(reverse("agent:home")).content.decode()
    assert client.get(reverse("agent:saved_queue", args=["edi-only"])).status_code == 404


@pytest.mark.django_db
def test_saved_queue_statuses_are_checked(catalogue):
    queue = SavedQueue(name="Bad", slug="bad", statuses=["nonsense"])
    with pytest.raises(ValidationError):
        queue.full_clean()
    queue.statuses = ["waiting_for_customer"]
    queue.full_clean()


@pytest.mark.django_db
def test_the_export_has_every_row_of_the_queue_and_no_formula(client, customer, tier1):
    dangerous = submit(customer, '=HYPERLINK("http://evil")')
    others = [submit(customer, f"row {i}") for i in range(4)]
    client.force_login(tier1)
    url = reverse("agent:queue_export", args=["unassigned"])
    from tickets import selectors

    rows = csv_rows(client.get(url))
    assert rows[0][:4] == ["Reference", "Service desk", "Request type", "Summary"]
    assert sorted(r[0] for r in rows[1:]) == sorted(t.reference for t in [dangerous, *others])
    summary = next(r[3] for r in rows if r[0] == dangerous.reference)
    assert summary.startswith("'=")
    # Paged by the same keyset as the queue: small chunks still give every row once.
    chunked = list(selectors.queue_export_rows(queue="unassigned", user=tier1, chunk=2))
    assert sorted(r[0] for r in chunked[1:]) == sorted(r[0] for r in rows[1:])


@pytest.mark.django_db
def test_the_export_is_for_agents_only(client, customer, tier1):
    submit(customer, "private")
    client.force_login(customer)
    assert client.get(reverse("agent:queue_export", args=["unassigned"])).status_code == 404
    client.force_login(tier1)
    assert client.get(reverse("agent:queue_export", args=["no-such-queue"])).status_code == 404


@pytest.mark.django_db
def test_the_export_speaks_the_agents_language(client, customer, tier1):
    submit(customer, "hola")
    tier1.language = "es"
    tier1.save()
    client.force_login(tier1)
    rows = csv_rows(client.get(reverse("agent:queue_export", args=["unassigned"])))
    assert rows[0][0] == "Referencia"
    assert rows[1][4] == "Esperando soporte"


@pytest.mark.django_db
def test_agents_find_requests_by_reference_words_and_requester_email(client, customer, colleague, tier1, outsider):
    printer = submit(customer, "Printer on fire")
    other = submit(colleague, "Password reset")
    client.force_login(tier1)

    def found(query):
        page = client.get(reverse("agent:search"), {"q": query})
        assert page.status_code == 200
        return {t.reference for t in (printer, other) if t.reference in page.content.decode()}

    assert found(printer.reference.lower()) == {printer.reference}
    assert found("printer") == {printer.reference}
    assert found(colleague.email.upper()) == {other.reference}
    assert found("nothing-like-this") == set()
    assert client.get(reverse("agent:search")).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("agent:search"), {"q": "printer"}).status_code == 404


@pytest.mark.django_db
def test_a_field_marked_sensitive_later_is_no_longer_shown(client, customer, tier1):
    from tickets.models import RequestField

    ticket = submit(
        customer,
        "leaver",
        type_key="staff-terminated",
        desk="CCP",
        fields={"employee_full_name": "Hidden", "last_day_of_employment": "2026-01-05"},
    )
    RequestField.objects.filter(key="last_day_of_employment").update(sensitive=True)
    client.force_login(tier1)
    assert "2026-01-05" not in client.get(reverse("agent:ticket_detail", args=[ticket.reference])).content.decode()
    assert "2026-01-05" not in client.get(f"/api/v1/requests/{ticket.reference}/").content.decode()
    rows = csv_rows(client.get(reverse("agent:queue_export", args=["unassigned"])))
    assert "2026-01-05" not in str(rows)


@pytest.mark.django_db
def test_the_export_stops_at_its_cap_and_says_so(client, settings, customer, tier1):
    settings.QUEUE_EXPORT_MAX_ROWS = 3
    for index in range(5):
        submit(customer, f"row {index}")
    client.force_login(tier1)
    rows = csv_rows(client.get(reverse("agent:queue_export", args=["unassigned"])))
    assert len(rows) == 1 + 3 + 1
    assert "Only the first 3 rows" in rows[-1][0]


@pytest.mark.django_db
def test_an_at_risk_saved_queue_includes_breached_requests(client, customer, tier1):
    from django.utils import timezone

    breached = submit(customer, "late")
    Ticket.objects.filter(pk=breached.pk).update(sla_breached_at=timezone.now())
    SavedQueue.objects.create(name="Risky", slug="risky", sla="at_risk")
    client.force_login(tier1)
    assert breached.reference in client.get(reverse("agent:saved_queue", args=["risky"])).content.decode()


@pytest.mark.django_db
def test_a_file_field_cannot_be_sensitive(catalogue):
    from tickets.catalogue import CatalogueError, catalogue_import
    from tickets.models import RequestField

    field = RequestField.objects.filter(kind="file").first()
    field.sensitive = True
    with pytest.raises(ValidationError):
        field.full_clean()
    data = {
        "version": 1,
        "desks": [{
            "key": "ZZ", "slug": "zz", "name": "Z", "teams": [{"name": "Z1", "tier": 1}],
            "groups": [{"key": "g", "name": "G", "types": [{
                "key": "t", "name": "T", "fields": [
                    {"key": "summary", "kind": "short_text", "name": "Summary", "required": True},
                    {"key": "scan", "kind": "file", "name": "Scan", "sensitive": True},
                ],
            }]}],
        }],
    }  # fmt: skip
    with pytest.raises(CatalogueError, match="cannot be sensitive"):
        catalogue_import(data=data)
