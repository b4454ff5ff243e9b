"""Request search on the stored documents (migration 0012): what customers and agents find, in
English and Spanish, through the one visibility rule, with a bounded number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import Ticket
from tickets.search import SEARCH_CANDIDATES
from tickets.selectors import agent_ticket_search, ticket_search
from tickets.services import ticket_comment

pytestmark = pytest.mark.django_db


def _refs(tickets) -> set[str]:
    return {t.reference for t in tickets}


def test_it_finds_by_stems_in_english_and_spanish(customer, submit):
    english = submit(customer, summary="Invoices rejected", description="The batches failed.")
    spanish = submit(customer, summary="Contraseñas olvidadas", description="No podemos entrar.")
    assert _refs(ticket_search(user=customer, query="invoice")) == {english.reference}
    assert _refs(ticket_search(user=customer, query="batch")) == {english.reference}
    assert _refs(ticket_search(user=customer, query="contraseña")) == {spanish.reference}


def test_it_lets_customers_find_public_comments_and_agents_notes_too(customer, tier1, submit):
    ticket = submit(customer, summary="Portal question")
    ticket_comment(ticket=ticket, author=tier1, body="Please send the spreadsheet")
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket_comment(ticket=ticket, author=tier1, body="Suspect mainframe outage", internal=True)
    assert _refs(ticket_search(user=customer, query="spreadsheet")) == {ticket.reference}
    assert ticket_search(user=customer, query="mainframe") == []
    assert _refs(agent_ticket_search(user=tier1, query="mainframe")) == {ticket.reference}
    assert _refs(agent_ticket_search(user=tier1, query="spreadsheet")) == {ticket.reference}


def test_it_follows_a_changed_summary(customer, submit):
    ticket = submit(customer, summary="Printer jammed")
    Ticket.objects.filter(pk=ticket.pk).update(summary="Scanner jammed")
    assert ticket_search(user=customer, query="printer") == []
    assert _refs(ticket_search(user=customer, query="scanner")) == {ticket.reference}
    # An ordinary save that leaves the texts alone keeps the document (comments included).
    ticket_comment(ticket=Ticket.objects.get(pk=ticket.pk), author=customer, body="Toner everywhere")
    saved = Ticket.objects.get(pk=ticket.pk)
    saved.priority = 4
    saved.save()
    assert _refs(ticket_search(user=customer, query="toner")) == {ticket.reference}


def test_it_finds_only_what_the_rule_lets_one_see(customer, outsider, colleague, voucher, tier1, submit):
    mine = submit(customer, summary="Attendance report missing")
    theirs = submit(outsider, summary="Attendance report wrong")
    assert _refs(ticket_search(user=customer, query="attendance")) == {mine.reference}
    assert _refs(ticket_search(user=outsider, query="attendance")) == {theirs.reference}
    assert ticket_search(user=colleague, query="attendance") == []  # staff: not shared with them
    assert _refs(ticket_search(user=voucher, query="attendance")) == {mine.reference}
    assert _refs(agent_ticket_search(user=tier1, query="attendance")) == {mine.reference, theirs.reference}


def test_it_ranks_only_the_newest_candidates_and_limits(customer, submit, monkeypatch):
    import tickets.search

    for n in range(6):
        submit(customer, summary=f"Billing question {n}" + (" billing billing" if n == 0 else ""))
    monkeypatch.setattr(tickets.search, "SEARCH_CANDIDATES", 3)
    found = ticket_search(user=customer, query="billing", limit=2)
    assert len(found) == 2
    newest = set(Ticket.objects.order_by("-created_at", "-id").values_list("reference", flat=True)[:3])
    assert _refs(found) <= newest
    assert SEARCH_CANDIDATES == 1000


def test_it_reads_a_bounded_number_of_queries(customer, tier1, submit):
    for n in range(5):
        submit(customer, summary=f"Visit schedule {n}")
    with CaptureQueriesContext(connection) as few:
        ticket_search(user=customer, query="schedule")
    for n in range(15):
        submit(customer, summary=f"Visit schedule more {n}")
    with CaptureQueriesContext(connection) as many:
        found = ticket_search(user=customer, query="schedule")
    assert len(found) == 20
    assert len(many.captured_queries) == len(few.captured_queries) <= 4
    with CaptureQueriesContext(connection) as agent:
        assert len(agent_ticket_search(user=tier1, query="schedule")) == 20
    assert len(agent.captured_queries) <= 4


def test_it_plans_the_match_on_the_gin_index(customer, submit):
    submit(customer, summary="Anything")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM tickets_ticket WHERE search_agent @@ websearch_to_tsquery('english', 'anything')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_search_agent_idx" in plan


def test_a_voucher_gets_the_newest_matches_of_each_way_in_and_an_old_rare_word(
    customer, colleague, voucher, outsider, submit, monkeypatch
):
    """The customer's matches are read branch by branch (shared, own, each vouched organisation),
    each newest first and limited: a common word ranks only the newest, a rare word is found
    however old, and no branch widens the rule."""
    import tickets.search

    oldest = submit(colleague, summary="Billing quetzalcoatlus question")
    for n in range(5):
        submit(customer if n % 2 else colleague, summary=f"Billing question {n}")
    theirs = submit(outsider, summary="Billing quetzalcoatlus elsewhere")
    mine = submit(voucher, summary="Billing of my own")
    monkeypatch.setattr(tickets.search, "SEARCH_CANDIDATES", 3)
    found = ticket_search(user=voucher, query="billing", limit=10)
    organisation = Ticket.objects.filter(organization=oldest.organization, summary__startswith="Billing")
    newest = set(organisation.order_by("-created_at", "-id").values_list("reference", flat=True)[:3])
    assert _refs(found) == newest and mine.reference in newest
    assert _refs(ticket_search(user=voucher, query="quetzalcoatlus")) == {oldest.reference}
    assert theirs.reference not in _refs(ticket_search(user=voucher, query="quetzalcoatlus elsewhere"))
    # Staff see their own and what is shared with them, never the organisation's other requests.
    assert _refs(ticket_search(user=customer, query="billing")) <= set(
        Ticket.objects.filter(requester=customer).values_list("reference", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_the_planner_setting_holds_for_the_search_select_only(customer, submit):
    submit(customer, summary="Scheduling trouble")
    assert _refs(ticket_search(user=customer, query="scheduling"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "4"


def test_an_address_finds_the_newest_requests_of_that_requester_on_the_agents_desks(customer, outsider, tier1, submit):
    made = [submit(customer, summary=f"Visit {n}") for n in range(4)]
    submit(outsider, summary="Not theirs")
    found = agent_ticket_search(user=tier1, query="  CUSTOMER@example.org ", limit=3)
    assert [t.reference for t in found] == [t.reference for t in reversed(made)][:3]
    assert agent_ticket_search(user=tier1, query="nobody@example.org") == []
    assert agent_ticket_search(user=tier1, query="not@an@address") == []


def test_each_page_loads_only_the_related_rows_it_shows(client, customer, tier1, submit):
    from django.urls import reverse

    for n in range(3):
        submit(customer, summary=f"Projector broken {n}")
    found = agent_ticket_search(user=tier1, query="projector", related=("requester",))
    with CaptureQueriesContext(connection) as shown:
        assert {str(t.requester) for t in found} and {t.reference for t in found}
    assert shown.captured_queries == []
    portal = ticket_search(user=customer, query="projector", related=())
    assert "desk" not in portal[0]._state.fields_cache
    client.force_login(tier1)
    few = CaptureQueriesContext(connection)
    with few:
        page = client.get(reverse("agent:search"), {"q": "projector"}).content.decode()
    assert page.count("Projector broken") == 3
    for n in range(3, 9):
        submit(customer, summary=f"Projector broken {n}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("agent:search"), {"q": "projector"}).content.decode()
    assert page.count("Projector broken") == 9
    assert len(many.captured_queries) == len(few.captured_queries)
