"""Queue pages at a million tickets: the first page against a deep one, for every named queue,
plus the capped counts the sidebar shows.

    make bench                       # or: .venv/bin/python bench/queue_bench.py --tickets 1000000

It uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/helpdesk_bench), fills it once with generated tickets (kept
between runs; --rebuild starts again) and prints the median time of each measurement, with the
plan PostgreSQL chose, to bench/results/queues.txt as well as the terminal.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench")


def ensure_database(url: str) -> None:
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


FILL_SQL = """
WITH desks AS (
    SELECT d.id AS desk_id, d.key, row_number() OVER (ORDER BY d.id) - 1 AS slot, count(*) OVER () AS n
    FROM tickets_servicedesk d
), types AS (
    SELECT rt.id, rt.desk_id, rt.default_team_id, row_number() OVER (PARTITION BY rt.desk_id ORDER BY rt.id) - 1 AS k,
           count(*) OVER (PARTITION BY rt.desk_id) AS n
    FROM tickets_requesttype rt
), requesters AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n FROM accounts_user
), agents AS (
    SELECT array_agg(DISTINCT tm.user_id) AS ids FROM tickets_team_members tm
), series AS (
    SELECT g AS i, d.desk_id, d.key, (g / d.n) + 1 AS number
    FROM generate_series(%(start)s, %(stop)s - 1) g JOIN desks d ON d.slot = g %% d.n
)
INSERT INTO tickets_ticket (
    desk_id, number, reference, request_type_id, requester_id, created_by_id, channel, summary, description,
    field_values, status, tier, team_id, assignee_id, priority, escalation_requested, escalation_reason,
    first_response_due_at, first_response_at, resolution_due_at, sla_at_risk_at, sla_breached_at, resolved_at,
    status_changed_at, created_at, updated_at, version
)
SELECT s.desk_id, s.number, s.key || '-' || s.number, t.id, r.id, r.id, 'portal', 'Generated request ' || s.i, '',
       '{}'::jsonb,
       st.status, tier.tier,
       (SELECT tm.id FROM tickets_team tm WHERE tm.desk_id = s.desk_id AND tm.tier = tier.tier ORDER BY tm.id LIMIT 1),
       CASE WHEN s.i %% 3 = 0 THEN NULL ELSE (SELECT ids[1 + (s.i %% array_length(ids, 1))] FROM agents) END,
       1 + s.i %% 4, s.i %% 97 = 0, '',
       due.at - interval '20 hours', CASE WHEN s.i %% 2 = 0 THEN due.at - interval '30 hours' END,
       CASE WHEN s.i %% 50 = 0 THEN NULL ELSE due.at END,
       CASE WHEN s.i %% 11 = 0 THEN due.at - interval '2 hours' END,
       CASE WHEN s.i %% 23 = 0 THEN due.at END,
       CASE WHEN st.status IN ('resolved', 'closed') THEN now() - (s.i %% 40) * interval '1 day' END,
       now() - (s.i %% 60) * interval '1 day', now() - (s.i %% 90) * interval '1 day', now(), 1
FROM series s
JOIN types t ON t.desk_id = s.desk_id AND t.k = s.i %% t.n
JOIN requesters r ON r.k = s.i %% r.n
CROSS JOIN LATERAL (SELECT CASE
    WHEN s.i %% 10 < 6 THEN 'closed' WHEN s.i %% 10 = 6 THEN 'resolved' WHEN s.i %% 10 = 7 THEN 'waiting_for_support'
    WHEN s.i %% 10 = 8 THEN 'in_progress' ELSE 'waiting_for_customer' END AS status) st
CROSS JOIN LATERAL (SELECT 1 + (s.i / 7) %% 2 AS tier) tier
CROSS JOIN LATERAL (SELECT now() + ((s.i::bigint * 7919) %% 86400 - 43200) * interval '1 minute' AS at) due
"""


def fill(total: int, rebuild: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from tickets.models import ServiceDesk, Ticket

    call_command("migrate", verbosity=0)
    if rebuild:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE tickets_ticket CASCADE")
        ServiceDesk.objects.update(last_number=0)
    if not ServiceDesk.objects.exists():
        call_command("load_demo", verbosity=0)
    if User.objects.count() < 500:
        User.objects.bulk_create(
            User(email=f"bench{i}@example.org", full_name=f"Bench User {i}", password="!") for i in range(500)
        )
    have = Ticket.objects.count()
    if have >= total:
        return
    if have:
        print(f"{have} tickets there, want {total}: use --rebuild", file=sys.stderr)
        sys.exit(2)
    started = time.perf_counter()
    step = 100_000
    for start in range(0, total, step):
        with connection.cursor() as cursor:
            cursor.execute(FILL_SQL, {"start": start, "stop": min(start + step, total)})
        print(f"  {min(start + step, total):>9,} tickets", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_servicedesk d SET last_number = coalesce("
            "(SELECT max(number) FROM tickets_ticket t WHERE t.desk_id = d.id), 0)"
        )
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    print(f"filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def timed(fn, repeat: int) -> float:
    fn()  # warm the cache: we measure steady state, not the first disk read
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def deep_cursor(queue, user, depth: int) -> str:
    """The cursor a reader would hold after paging `depth` rows in (found once, by OFFSET)."""
    from django.db.models import F

    from tickets.selectors import agent_queue, queue_descending

    qs = agent_queue(queue=queue, user=user)
    if queue_descending(queue):
        qs, column = qs.order_by(F("resolved_at").desc(), F("id").desc()), "resolved_at"
    else:
        qs, column = qs.order_by(F("resolution_due_at").asc(nulls_last=True), F("id").asc()), "resolution_due_at"
    row = qs.values(column, "id")[depth : depth + 1]
    row = list(row)
    if not row:
        return ""
    key = row[0][column]
    return f"{key.isoformat() if key else 'none'}_{row[0]['id']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.db import connection

    from accounts.models import User
    from tickets.models import Ticket
    from tickets.selectors import AGENT_QUEUES, agent_queue, agent_queue_page, capped_count

    fill(args.tickets, args.rebuild)
    agent = User.objects.get(email="tier1@example.com")
    lines = [
        f"Queue pages, PostgreSQL, {Ticket.objects.count():,} tickets, agent on every desk; "
        f"median of {args.repeat} runs (ms)",
        f"{'queue':<24}{'rows':>10}{'page 1':>10}{'deep page':>11}{'depth':>10}{'count':>9}",
    ]
    for queue in AGENT_QUEUES:
        rows = capped_count(agent_queue(queue=queue, user=agent), cap=10**9)
        depth = max(rows // 2, 0)
        cursor = deep_cursor(queue, agent, depth)
        first = timed(lambda q=queue: agent_queue_page(queue=q, user=agent), args.repeat)
        deep = timed(lambda q=queue, c=cursor: agent_queue_page(queue=q, user=agent, after=c), args.repeat)
        count = timed(lambda q=queue: capped_count(agent_queue(queue=q, user=agent)), args.repeat)
        lines.append(f"{queue:<24}{rows:>10,}{first:>10.1f}{deep:>11.1f}{depth:>10,}{count:>9.1f}")
    # The plan of one deep page, so a regression to a full sort shows up here.
    from django.test.utils import CaptureQueriesContext

    queue = "my-teams"
    cursor = deep_cursor(queue, agent, capped_count(agent_queue(queue=queue, user=agent), cap=10**9) // 2)
    with CaptureQueriesContext(connection) as captured:
        agent_queue_page(queue=queue, user=agent, after=cursor)
    page_sql = captured.captured_queries[-1]["sql"]
    with connection.cursor() as db:
        db.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + page_sql)
        plan = [row[0] for row in db.fetchall()]
    lines += ["", f"plan of a deep {queue} page:", *("  " + line for line in plan)]
    report = "\n".join(lines)
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "queues.txt").write_text(report + "\n")


if __name__ == "__main__":
    main()
