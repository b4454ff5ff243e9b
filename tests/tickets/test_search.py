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
