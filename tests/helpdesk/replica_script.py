"""Run by tests/helpdesk/test_replica.py in its own process, against a private primary and its
streaming replica (DATABASE_URL, DATABASE_REPLICA_URL); prints one JSON line of findings."""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def counted(alias: str, run):
    with CaptureQueriesContext(connections[alias]) as captured:
        result = run()
    return result, len(captured.captured_queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    from accounts.models import Membership, Organization, User
    from helpdesk.db_router import forget_writes
    from tickets.catalogue import DEMO_CATALOGUE, catalogue_import, catalogue_load_file
    from tickets.counts import customer_list_counts
    from tickets.models import RequestType
    from tickets.selectors import ticket_search
    from tickets.services import ticket_comment, ticket_submit
    from tickets.values import SubmittedValues

    catalogue_import(data=catalogue_load_file(DEMO_CATALOGUE))
    organization = Organization.objects.create(name="Replica Kids", kind="provider", provider_id="R-1")
    customer = User.objects.create_user(email="r@example.org", password="pw-for-tests-1", full_name="R")
    Membership.objects.create(user=customer, organization=organization, role="staff")
    ticket = ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=customer,
        organization=organization,
        values=SubmittedValues(summary="Replicated spreadsheet", description="x", fields={}, files={}),
    )
    found = {}
    deadline = time.monotonic() + 30
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        found["replica_in_recovery"] = cursor.fetchone()[0]
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM tickets_ticket WHERE id = %s", [ticket.pk])
            if cursor.fetchone()[0]:
                break
            time.sleep(0.1)
        found["replicated_after_s"] = round(30 - (deadline - time.monotonic()), 2)

    forget_writes()  # a new request: nothing written yet
    (result, on_replica), on_primary = counted(
        "default", lambda: counted("replica", lambda: ticket_search(user=customer, query="spreadsheet"))
    )
    found["search"] = {"found": [t.reference for t in result], "replica": on_replica, "primary": on_primary}
    (counts, on_replica), on_primary = counted(
        "default", lambda: counted("replica", lambda: customer_list_counts(user=customer, scopes=["created"]))
    )
    found["counts"] = {"counts": counts, "replica": on_replica, "primary": on_primary}
    with transaction.atomic():
        (_r, on_replica), on_primary = counted(
            "default", lambda: counted("replica", lambda: ticket_search(user=customer, query="spreadsheet"))
        )
    found["in_transaction"] = {"replica": on_replica, "primary": on_primary}
    ticket_comment(ticket=ticket, author=customer, body="A write first")
    (_r, on_replica), on_primary = counted(
        "default", lambda: counted("replica", lambda: ticket_search(user=customer, query="spreadsheet"))
    )
    found["after_write"] = {"replica": on_replica, "primary": on_primary}
    forget_writes()
    (_r, on_replica), _p = counted("default", lambda: counted("replica", lambda: list(User.objects.all())))
    found["ordinary_read"] = {"replica": on_replica}
    print("JSON " + json.dumps(found))


main()
