"""The plan of every query of every benchmarked page, on the benchmark database.

    make explain          # or: .venv/bin/python bench/explain.py [--analyze]

Reads each page of bench/http_bench.py in-process (Django's test client, as the same people),
captures its queries, and runs EXPLAIN (ANALYZE, BUFFERS) on each one that reads the tickets or
activities tables, the list counts included (they are counted afresh here). Writes
bench/results/explain.txt and exits 1 when any plan reads tickets_ticket or tickets_activity by
a sequential scan.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import http_bench  # noqa: E402

SEQ_SCAN = re.compile(r"Seq Scan on (tickets_ticket|tickets_activity)\b")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", http_bench.DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--deep", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    args.quick, args.rebuild = False, False
    env = http_bench.server_env(args, Path(os.environ.get("TMPDIR", "/tmp")))
    env.update(ALLOWED_HOSTS="testserver", LIST_COUNT_CACHE_SECONDS="0")
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    a = http_bench.actors()
    clients = {}
    for who in ("customer", "agent", "submitter"):
        clients[who] = Client()
        clients[who].force_login(a[who])

    def get(who: str, path: str) -> tuple[int, str]:
        response = clients[who].get(path)
        return response.status_code, response.content.decode("utf-8", "replace")

    lines, offenders = [], []
    for name, who, path in http_bench.page_paths(a, get, args.deep):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            status, _html = get(who, path)
            elapsed = (time.perf_counter() - started) * 1000
        queries = [q["sql"] for q in captured.captured_queries]
        lines.append(f"\n=== {name}  {path}  (as {who}): {status}, {len(queries)} queries, {elapsed:.0f} ms")
        for sql in queries:
            sql = re.sub(r"^DECLARE \S+ NO SCROLL CURSOR WITH(OUT)? HOLD FOR ", "", sql)
            if not sql.startswith("SELECT") or not re.search(r"tickets_(ticket|activity)\b", sql):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join("    " + row[0] for row in cursor.fetchall())
            seq = SEQ_SCAN.search(plan)
            if seq:
                offenders.append(f"{name}: {seq.group(0)}")
            lines.append(("!! " if seq else "-- ") + sql[:400] + "\n" + plan)
    summary = "No sequential scan of the tickets or activities tables." if not offenders else (
        "Sequential scans:\n" + "\n".join(offenders)
    )  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "explain.txt").write_text("\n".join(lines) + "\n\n" + summary + "\n")
    for line in lines:
        if line.startswith("\n==="):
            print(line.strip())
    print(summary)
    print(f"Plans: {out / 'explain.txt'}")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
