"""Marking a field sensitive, and unmarking it, over many tickets that hold one of its values.

    .venv/bin/python bench/sensitive_bench.py --tickets 100000

It uses its own PostgreSQL database (SENSITIVE_BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/helpdesk_sensitive_bench), fills it once with generated
tickets (kept between runs; --rebuild starts again), then times request_field_set_sensitive both
ways in one transaction each and prints the time, the values moved and the peak memory.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = os.environ.get(
    "SENSITIVE_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_sensitive_bench"
)

FILL_SQL = """
INSERT INTO tickets_ticket (
    desk_id, number, reference, request_type_id, requester_id, created_by_id, channel, summary, description,
    field_values, status, tier, team_id, priority, escalation_requested, escalation_reason,
    status_changed_at, created_at, updated_at, version
)
SELECT %(desk)s, g, %(key)s || '-' || g, %(type)s, %(user)s, %(user)s, 'portal', 'Generated request ' || g, '',
       jsonb_build_object('phone_type', jsonb_build_object('field', %(field)s, 'label', 'Phone type',
                          'value', 'ios', 'display', 'iPhone or iPad')),
       'waiting_for_support', 1, %(team)s, 2, false, '', now(), now(), now(), 1
FROM generate_series(%(start)s, %(stop)s - 1) g
"""


def _ensure_database(url: str) -> None:
    # Not queue_bench's helper: importing that module points DATABASE_URL at its own database.
    import psycopg2
    from psycopg2 import sql

    base, _sep, name = url.rpartition("/")
    connection = psycopg2.connect(f"{base}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from tickets.catalogue import DEMO_CATALOGUE, catalogue_import, catalogue_load_file
    from tickets.fields import request_field_set_sensitive
    from tickets.models import RequestField, SensitiveValue, Ticket

    call_command("migrate", verbosity=0)
    if args.rebuild:
        SensitiveValue.objects.all().delete()
        Ticket.objects.all().delete()
    catalogue_import(data=catalogue_load_file(DEMO_CATALOGUE))
    field = RequestField.objects.get(
        request_type__desk__key="CSD", request_type__key="mobile-sign-in", key="phone_type"
    )
    if field.sensitive:
        request_field_set_sensitive(field=field, sensitive=False, actor=None)
    user, _ = User.objects.get_or_create(email="bench@example.org", defaults={"full_name": "Bench"})
    have = Ticket.objects.count()
    request_type = field.request_type
    with connection.cursor() as cursor:
        for start in range(have + 1, args.tickets + 1, 50_000):
            params = {"desk": request_type.desk_id, "key": request_type.desk.key, "type": request_type.pk,
                      "user": user.pk, "field": field.pk, "team": request_type.default_team_id,
                      "start": start, "stop": min(start + 50_000, args.tickets + 1)}  # fmt: skip
            cursor.execute(FILL_SQL, params)
        cursor.execute("ANALYZE tickets_ticket")
    print(f"{Ticket.objects.count():,} tickets, each with a value of {field}")
    for sensitive in (True, False):
        started = time.monotonic()
        moved = request_field_set_sensitive(field=field, sensitive=sensitive, actor=None)
        took = time.monotonic() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'mark' if sensitive else 'unmark'}: {moved:,} values moved in {took:.1f} s (peak RSS {peak:.0f} MB)")


if __name__ == "__main__":
    main()
