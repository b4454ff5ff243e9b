"""Outbox delivery under load: requests submitted over HTTP at a steady rate, each confirmation
timed from the commit of its request to the SMTP server's acceptance.

    make bench          # or: .venv/bin/python bench/delivery_bench.py --rate 50 --seconds 60

Everything runs on private servers started for the run (tests/stack.py): a PostgreSQL 15
cluster, a redis-server, an aiosmtpd recorder, the web app under gunicorn, a Celery worker pool
and beat, all with the production settings. Requests are sent open-loop (on schedule, whether
or not earlier ones have answered) by signed-in users.

Commit time is the Notification's `queued_at`: the timestamp the web process takes in the
on_commit callback, right after COMMIT returned and before the task is published. Acceptance
time is the recorder's clock when it answers 250 to DATA. Both are this machine's wall clock.
The report goes to the terminal and to bench/results/delivery.txt.
"""

import argparse
import os
import queue
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stack import (  # noqa: E402
    PostgresCluster,
    Stack,
    Template,
    Timings,
    audit,
    load_user,
    missing_binaries,
)


def sign_in_all(stack, users: int) -> "queue.Queue":
    browsers = queue.Queue()

    def sign_in(number):
        browser = stack.browser()
        browser.sign_in(load_user(number))
        browsers.put(browser)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(sign_in, range(users)))
    return browsers


def submit_at_rate(browsers: "queue.Queue", *, rate: float, seconds: float, clients: int) -> dict:
    """Open loop: request i is due at start + i / rate; a free signed-in browser sends it."""
    total = int(rate * seconds)
    results, lock = [], threading.Lock()

    def one(index, due):
        browser = browsers.get()
        try:
            started = time.monotonic()
            try:
                response = browser.submit(f"Delivery bench {index}")
                status, elapsed = response.status, response.elapsed
            except OSError as exc:
                status, elapsed = f"error: {exc.__class__.__name__}", time.monotonic() - started
            with lock:
                results.append({"status": status, "elapsed": elapsed, "late": started - due, "started": started,
                                "ended": started + elapsed})  # fmt: skip
        finally:
            browsers.put(browser)

    begin = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        for index in range(total):
            due = begin + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, index, due)
        sent_for = time.monotonic() - begin
    return {"results": results, "sent_for": sent_for, "done_in": time.monotonic() - begin}


TICKS = os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError):
                pass
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, its reaped children and its live descendants."""
    total = 0.0
    for index, current in enumerate([pid, *_descendants(pid)]):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # utime, stime (and for the leader cutime, cstime: children that already exited)
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if index == 0 else 0)
    return total / TICKS


def cpu_snapshot(stack) -> dict:
    groups = {"web (gunicorn)": [], "celery worker": [], "celery beat": []}
    for process in stack.processes:
        if process.name == "web":
            groups["web (gunicorn)"].append(process.pid)
        else:
            groups["celery worker" if "worker" in process.name else "celery beat"].append(process.pid)
    snapshot = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in groups.items()}
    snapshot["postgresql"] = cpu_seconds(stack.cluster.process.pid)
    snapshot["redis"] = cpu_seconds(stack.redis.process.pid)
    times = os.times()
    snapshot["bench (load + SMTP recorder)"] = times.user + times.system
    return snapshot


def ms(value: float) -> str:
    return f"{value * 1000:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to submit (default 60)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery prefork processes (default 2)")
    parser.add_argument("--users", type=int, default=40, help="signed-in users sending requests (default 40)")
    parser.add_argument("--drain", type=float, default=180.0, help="max seconds to wait for the last e-mails")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "delivery.txt"))
    args = parser.parse_args()

    missing = missing_binaries()
    if missing:
        sys.exit(f"delivery bench needs {', '.join(missing)}")
    cluster = PostgresCluster().init()
    template = stack = None
    try:
        cluster.start()
        print("preparing the database (migrate, demo catalogue, users)...", file=sys.stderr)
        template = Template(cluster, users=args.users).build()
        # The production clocks (clocks={}): nothing fails here, so no retry or sweep should act.
        stack = Stack(cluster, template, clocks={}, extra_env={"LOG_LEVEL": "WARNING"})
        stack.start_web(workers=args.web_workers)
        stack.start_worker("bench", concurrency=args.worker_concurrency, loglevel="warning")
        stack.start_beat()
        browsers = sign_in_all(stack, args.users)
        cpu_before = cpu_snapshot(stack)
        print(f"submitting {args.rate:g} requests/s for {args.seconds:g} s...", file=sys.stderr)
        load = submit_at_rate(browsers, rate=args.rate, seconds=args.seconds, clients=args.users)

        results = load["results"]
        saved = [r for r in results if r["status"] == 302]
        answered = time.monotonic()
        deadline = answered + args.drain
        while time.monotonic() < deadline:
            if len(stack.smtp.deliveries()) >= len(saved) and all(r.status == "sent" for r in stack.rows()):
                break
            time.sleep(0.2)
        drained_after = time.monotonic() - answered
        cpu_after = cpu_snapshot(stack)
        cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
        time.sleep(2)  # anything sent twice would arrive now
        rows, deliveries = stack.rows(), stack.smtp.deliveries()
        report = render(args, load, rows, deliveries, drained_after, cpu)
        print(report)
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report + "\n")
    finally:
        if stack is not None:
            stack.close()
        if template is not None:
            template.close()
        cluster.close()


def render(args, load, rows, deliveries, drained_after, cpu) -> str:
    results = load["results"]
    saved = [r for r in results if r["status"] == 302]
    statuses = {}
    for r in results:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    first_accepted = {}
    for delivery in deliveries:
        first_accepted.setdefault(delivery.message_id, delivery.accepted_at)
    commit_to_smtp, create_to_commit = Timings(), Timings()
    for row in rows:
        if row.message_id in first_accepted and row.queued_at is not None:
            commit_to_smtp.add(first_accepted[row.message_id] - row.queued_at.timestamp())
            create_to_commit.add((row.queued_at - row.created_at).total_seconds())
    pages = Timings([r["elapsed"] for r in saved])
    lateness = Timings([max(0.0, r["late"]) for r in results])
    counts = audit(rows, deliveries)
    never_queued = sum(1 for r in rows if r.queued_at is None)
    # Saved requests over the time from the first request sent to the last one answered.
    span = max(r["ended"] for r in results) - min(r["started"] for r in results) if results else 0.0
    achieved = len(saved) / span if span else 0.0
    p = commit_to_smtp.percentile
    lines = [
        f"Outbox delivery: {args.rate:g} requests/s for {args.seconds:g} s over HTTP; gunicorn {args.web_workers} sync "
        f"workers, Celery prefork x{args.worker_concurrency}, PostgreSQL 15, Redis, aiosmtpd; 2 cores",
        f"requests     sent {len(results)}, saved (302) {len(saved)}, statuses {statuses}",
        f"rate         achieved {achieved:.1f} saved requests/s over {span:.1f} s (requests sent late by "
        f"p50 {lateness.percentile(50) * 1000:.0f} ms, p95 {lateness.percentile(95) * 1000:.0f} ms: "
        f"{'kept the schedule' if lateness.percentile(95) < 0.5 else 'the app could not keep up'})",
        f"page (ms)    p50 {ms(pages.percentile(50))}  p95 {ms(pages.percentile(95))}  "
        f"p99 {ms(pages.percentile(99))}  max {ms(max(pages.values, default=float('nan')))}",
        f"e-mails      outbox rows {counts['rows']}, accepted {counts['accepted']}, lost {len(counts['lost'])}, "
        f"duplicated {len(counts['duplicated'])}, unknown {len(counts['unknown'])}; "
        f"never queued (left to the sweep) {never_queued}; all sent {drained_after:.1f} s after the last answer",
        "commit -> SMTP acceptance (ms), commit = the on_commit callback's timestamp (queued_at):",
        f"             p50 {ms(p(50))}  p95 {ms(p(95))}  p99 {ms(p(99))}  "
        f"max {ms(max(commit_to_smtp.values, default=float('nan')))}  (n={len(commit_to_smtp.values)})",
        f"row insert -> commit (ms): p50 {ms(create_to_commit.percentile(50))}  "
        f"p95 {ms(create_to_commit.percentile(95))}",
        f"CPU per saved request (ms; the machine has {os.cpu_count()} cores, load average at the end "
        f"{os.getloadavg()[0]:.1f}): "
        + ", ".join(f"{name} {1000 * sec / max(len(saved), 1):.1f}" for name, sec in cpu.items()),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
