"""Every page over HTTP, as in production, against the machine's ceiling measured in the same run.

    make bench                                   # 1,000,000 tickets (seeded once, kept)
    .venv/bin/python bench/http_bench.py --tickets 200000 --duration 10 --rounds 2
    .venv/bin/python bench/http_bench.py --quick # a few thousand tickets, a second a page (tests/bench)

It fills its own PostgreSQL database (BENCH_DATABASE_URL, default .../helpdesk_bench) with
`manage.py seed_load` when it holds fewer requests than asked (--rebuild starts again), starts
gunicorn (4 sync workers, DEBUG off, sessions in PostgreSQL, cache and broker on Redis) and a
Celery worker on loopback, signs in a customer (the site admin of the 5,000-request organisation),
an agent and a submitter, and drives each page with wrk (16 connections, bench/wrk/session.lua
carries the session cookie): a warm-up, then measured rounds. The ceiling is a signed-in view
behind the same middleware that reads one ticket by primary key (helpdesk.views.bench_ceiling,
routed only with BENCH_CEILING on), measured first and last; every page is shown as a share of it.
Submissions are checked afterwards: one row per accepted POST, none twice, the outbox drained by
the worker. Each web worker's resident memory is sampled throughout.

Writes bench/results/latest.json and bench/results/latest.md (one file each, overwritten; the
directory is git-ignored) and prints the table. The machine is shared: compare shares of the
ceiling within one run rather than requests per second across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "wrk" / "session.lua"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--rebuild", action="store_true", help="Drop the database and seed it again.")
    p.add_argument("--duration", type=float, default=10.0, help="Seconds per measured round.")
    p.add_argument("--warmup", type=float, default=3.0, help="Seconds of warm-up per page.")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2, help="wrk threads.")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers.")
    p.add_argument("--deep", type=int, default=10, help="How many pages deep the deep queue pages are.")
    p.add_argument("--only", default="", help="Comma-separated page names (the ceiling is always measured).")
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--quick", action="store_true", help="A few thousand tickets, a second a page (the test).")
    args = p.parse_args(argv)
    if args.quick:
        # Few connections: what wrk leaves queued when a round ends is answered before the next
        # page starts, and at 16 connections that drain was most of the run's time.
        args.tickets, args.duration, args.warmup, args.rounds, args.deep = 3000, 1.0, 0.0, 1, 2
        args.workers, args.connections, args.threads = min(args.workers, 2), 4, 1
    return args


def sizes_for(tickets: int) -> dict:
    """The issue's shape at a million (10,000 organisations, 50,000 customers, 50 agents), scaled
    down for small runs but keeping a 5,000-request organisation when there are tickets for it."""
    scale = min(1.0, tickets / 1_000_000)
    organizations = max(50, int(10_000 * scale))
    return {
        "tickets": tickets,
        "organizations": organizations,
        "customers": max(organizations * 2, int(50_000 * scale)),
        "agents": max(10, int(50 * scale)),
        "big_org_tickets": min(5_000, tickets // 6),
    }


# --- the database ----------------------------------------------------------------------------


def server_env(args, var_dir: Path) -> dict:
    env = dict(os.environ)
    for key in ("DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER", "EMAIL_HOST", "PYTEST_CURRENT_TEST"):
        env.pop(key, None)
    env.update(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DEBUG="0",
        SECRET_KEY="bench-only-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        BENCH_CEILING="1",
        VAR_DIR=str(var_dir),
        STATIC_ROOT=str(ROOT / "var" / "bench-static"),
        CELERY_TASK_DEFAULT_QUEUE=f"bench-{secrets.token_hex(4)}",
        LOG_LEVEL="WARNING",
        SITE_URL="http://127.0.0.1",
    )
    return env


def ensure_database(url: str, *, rebuild: bool) -> None:
    import psycopg2
    from psycopg2 import sql

    base, _sep, name = url.rpartition("/")
    connection = psycopg2.connect(f"{base}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        if rebuild:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def manage(env: dict, *command: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *command], cwd=ROOT, env=env, check=True)


def prepare(args, env: dict) -> None:
    ensure_database(args.database_url, rebuild=args.rebuild)
    manage(env, "migrate", "--noinput", "-v0")
    import django

    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "DEBUG")})
    os.environ.update(REDIS_URL=env["REDIS_URL"], VAR_DIR=env["VAR_DIR"], BENCH_CEILING="1")
    django.setup()
    from tickets.models import Ticket

    have = Ticket.objects.count()
    if have < args.tickets * 0.98:
        if have:
            raise SystemExit(f"The bench database holds {have:,} requests, fewer than asked: use --rebuild.")
        sizes = sizes_for(args.tickets)
        manage(env, "seed_load", *[f"--{k.replace('_', '-')}={v}" for k, v in sizes.items()])
    manage(env, "collectstatic", "--noinput", "-v0")


def actors() -> dict:
    """The signed-in people and the rows the pages read, with a session cookie each."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import Membership, User
    from accounts.sessions import SessionStore
    from tickets.models import Activity, RequestType, Ticket
    from tickets.seed import EMAIL_DOMAIN

    agent = User.objects.get(email=f"seed-agent-0@{EMAIL_DOMAIN}")
    big = (
        Membership.objects.filter(role="site_admin", user__email__endswith="@" + EMAIL_DOMAIN)
        .order_by("organization_id")
        .select_related("user", "organization")
        .first()
    )
    customer = big.user
    submitter = User.objects.get(email=f"seed-customer-1@{EMAIL_DOMAIN}")
    first = Ticket.objects.filter(requester=customer).order_by("id").first()
    middle = Ticket.objects.order_by("id").values_list("pk", flat=True)[Ticket.objects.count() // 2]
    backend = settings.AUTHENTICATION_BACKENDS[0]

    def cookie(user) -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}", csrf

    people = {name: cookie(user) for name, user in (("customer", customer), ("agent", agent), ("submitter", submitter))}
    return {
        "people": people,
        "customer": customer,
        "agent": agent,
        "submitter": submitter,
        "organization_requests": Ticket.objects.filter(organization=big.organization).count(),
        "ticket": first,
        "ticket_activities": Activity.objects.filter(ticket=first).count(),
        "ceiling_pk": middle,
        "form_desk_slug": RequestType.objects.filter(key="general-request").values_list("desk__slug", flat=True)[0],
    }


# --- the servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_servers(args, env: dict, port: int, log_dir: Path) -> list[subprocess.Popen]:
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "helpdesk.wsgi", f"--workers={args.workers}", f"--bind=127.0.0.1:{port}",
         "--worker-class=sync", "--backlog=2048", "--timeout=60", "--log-level=warning"],
        cwd=ROOT, env=env, stdout=open(log_dir / "gunicorn.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "helpdesk", "worker", "-Q", env["CELERY_TASK_DEFAULT_QUEUE"], "-c", "2",
         "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=open(log_dir / "celery.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return [web, worker]
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    stop_servers([web, worker])
    raise SystemExit("gunicorn did not answer /healthz within 60 s; see " + str(log_dir / "gunicorn.log"))


def stop_servers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class RssSampler(threading.Thread):
    """The resident memory of each gunicorn worker (children of the master), sampled twice a second."""

    def __init__(self, master_pid: int):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.peak: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.stopping = threading.Event()

    def workers(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def run(self):
        while not self.stopping.wait(0.5):
            for pid in self.workers():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                match = re.search(r"VmRSS:\s+(\d+) kB", status)
                if match:
                    kb = int(match.group(1))
                    self.last[pid] = kb
                    self.peak[pid] = max(kb, self.peak.get(pid, 0))


# --- pages -----------------------------------------------------------------------------------


def fetch(url: str, cookie: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def deep_page(get, path: str, depth: int) -> str:
    """The queue page `depth` pages in, by following its "next page" links; get(path) -> (status, html)."""
    url = path
    for _ in range(depth):
        status, html = get(url)
        match = re.search(r'href="([^"]*[?&]after=[^"]+)"', html)
        if status != 200 or not match:
            break
        href = match.group(1).replace("&amp;", "&")
        url = href if href.startswith("/") else path.split("?")[0] + href
    return url


def page_paths(a: dict, get, deep: int) -> list[tuple[str, str, str]]:
    """(name, who, path) of every page read; who is "customer", "agent" or "submitter" and
    get(who, path) -> (status, html) reads a page as them (over HTTP, or in-process for explain)."""
    ticket = a["ticket"]
    email = a["customer"].email
    form_path = f"/desks/{a['form_desk_slug']}/general-request/"

    def deep_of(path: str) -> str:
        return deep_page(lambda url: get("agent", url), path, deep)

    rows = [
        ("portal home", "customer", "/"),
        ("request form (GET)", "submitter", form_path),
        ("Unassigned queue, first page", "agent", "/agent/queues/unassigned/"),
        ("Unassigned queue, deep page", "agent", deep_of("/agent/queues/unassigned/")),
        ("Tier I queue, first page", "agent", "/agent/queues/tier-1/"),
        ("Tier I queue, deep page", "agent", deep_of("/agent/queues/tier-1/")),
        ("Mine queue, first page", "agent", "/agent/queues/mine/"),
        ("Mine queue, deep page", "agent", deep_of("/agent/queues/mine/")),
        ("My requests (created)", "customer", "/requests/?scope=created"),
        (f"My requests (organisation, {a['organization_requests']:,})", "customer", "/requests/?scope=organization"),
        (f"request page, customer ({a['ticket_activities']} activities)", "customer", f"/requests/{ticket.reference}/"),
        (f"request page, agent ({a['ticket_activities']} activities)", "agent", f"/agent/tickets/{ticket.reference}/"),
        ("portal search: common word", "customer", "/search/?q=request"),
        ("portal search: rare word", "customer", "/search/?q=quetzalcoatlus"),
        ("portal search: a reference", "customer", f"/search/?q={ticket.reference}"),
        ("agent search: common word", "agent", "/agent/search/?q=request"),
        ("agent search: rare word", "agent", "/agent/search/?q=quetzalcoatlus"),
        ("agent search: a reference", "agent", f"/agent/search/?q={ticket.reference}"),
        ("agent search: an e-mail address", "agent", f"/agent/search/?q={urllib.request.quote(email)}"),
    ]
    if get("agent", "/agent/reports/")[0] == 200:
        rows.append(("reports dashboard", "agent", "/agent/reports/"))
        # The longest range a month view allows in practice: two years, every figure over ~1M facts.
        today = datetime.now(UTC).date()
        two_years = f"/agent/reports/?period=month&date_from={today - timedelta(days=729)}&date_to={today}"
        rows.append(("reports dashboard (2 years by month)", "agent", two_years))
    return rows


def pages(base: str, a: dict, deep: int) -> list[dict]:
    cookies = {who: a["people"][who][0] for who in ("customer", "agent", "submitter")}
    submitter, submit_csrf = a["people"]["submitter"]
    form_path = f"/desks/{a['form_desk_slug']}/general-request/"
    _status, form_html = fetch(base + form_path, submitter)
    site = re.search(r'<select name="site"[^>]*>.*?<option value="(\d+)"', form_html, re.S)
    site_id = site.group(1) if site else ""
    rows = page_paths(a, lambda who, path: fetch(base + path, cookies[who]), deep)
    result = [{"name": name, "cookie": cookies[who], "path": path, "mode": "get"} for name, who, path in rows]
    marker = secrets.token_hex(4)
    for mode, name in (("form", "submit a request"), ("upload", "submit a request with an attachment")):
        result.append(
            {"name": name, "cookie": submitter, "path": form_path, "mode": mode, "csrf": submit_csrf,
             "marker": f"{marker}{mode[0]}", "site": site_id}
        )  # fmt: skip
    return result


def wrk(args, base: str, page: dict, duration: float) -> dict:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(duration))}s", "--timeout", "30s",
        "-s", str(LUA), base + page["path"], "--", page["cookie"], page["mode"], page.get("csrf", ""),
        page.get("marker", ""), page.get("site", ""),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("JSON "))
    return json.loads(line[5:])


def drain(base: str, timeout: float = 300) -> None:
    """Wait until the workers have answered what wrk left queued when it stopped: a slow page
    leaves up to one request per connection behind, which would be charged to the next page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=timeout).read()
        except (urllib.error.URLError, OSError):
            time.sleep(1)
            continue
        if time.monotonic() - started < 0.5:
            return


def measure(args, base: str, page: dict) -> dict:
    expected = 200 if page["mode"] == "get" else 302
    if args.warmup > 0 and page["mode"] == "get":
        wrk(args, base, page, args.warmup)
        drain(base)
    rounds = []
    for number in range(args.rounds):
        # Each round's requests carry markers of their own (wrk counts from 1 again each run).
        round_page = {**page, "marker": f"{page['marker']}r{number}"} if page.get("marker") else page
        rounds.append(wrk(args, base, round_page, args.duration))
        drain(base)
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["duration_us"] for r in rounds) / 1e6
    good = sum(r["statuses"].get(str(expected), 0) for r in rounds)
    socket_errors = sum(sum(v for k, v in r["errors"].items() if k != "status") for r in rounds)
    return {
        "name": page["name"],
        "path": page["path"],
        "requests": requests,
        "ok": good,
        "rps": requests / seconds if seconds else 0.0,
        "rps_rounds": [r["requests"] / (r["duration_us"] / 1e6) for r in rounds],
        # Percentiles: the worse round's, so one lucky round does not hide a slow one.
        **{q: max(r["latency_us"][q] for r in rounds) / 1000 for q in ("p50", "p95", "p99")},
        "errors": (requests - good) + socket_errors,
        "statuses": {
            k: sum(r["statuses"].get(k, 0) for r in rounds) for k in {k for r in rounds for k in r["statuses"]}
        },
    }


def check_submissions(page: dict, measured: dict, connections: int, *, email: str, since) -> dict:
    """Rows made by the run: one per accepted POST (at most `connections` more, answered after wrk
    stopped counting), none with the same marker twice; and the worker sent their confirmations."""
    from notifications.models import Notification
    from tickets.models import Ticket

    rows = list(Ticket.objects.filter(summary__startswith=f"Bench {page['marker']}r").values_list("summary", "pk"))
    summaries = [summary for summary, _pk in rows]
    duplicates = len(summaries) - len(set(summaries))
    accepted = measured["ok"]
    lost = max(0, accepted - len(set(summaries)))
    extra = len(set(summaries)) - accepted
    pending = Notification.objects.filter(to_email=email, created_at__gte=since).exclude(status="sent")
    deadline = time.monotonic() + 60
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    return {
        "rows": len(rows), "accepted": accepted, "duplicates": duplicates, "lost": lost,
        "unanswered_in_flight": extra, "ok": duplicates == 0 and lost == 0 and 0 <= extra <= connections,
        "outbox_unsent_after_60s": pending.count(),
    }  # fmt: skip


# --- report ----------------------------------------------------------------------------------


def table(result: dict) -> str:
    ceiling = result["ceiling_rps"]
    lines = [
        f"Measured {result['finished']} over HTTP: gunicorn {result['workers']} sync workers, DEBUG off, "
        f"PostgreSQL, Redis, a Celery worker; wrk {result['connections']} connections, "
        f"{result['rounds']} x {result['duration']:g} s after {result['warmup']:g} s warm-up; "
        f"{result['tickets']:,} tickets. Ceiling (one ticket by pk behind the same middleware): "
        f"{ceiling:.0f} req/s ({', '.join(f'{r:.0f}' for r in result['ceiling_rounds'])}).",
        "",
        "| page | req/s | p50 ms | p95 ms | p99 ms | errors | share of the ceiling |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["pages"]:
        share = row["rps"] / ceiling * 100 if ceiling else 0
        lines.append(
            f"| {row['name']} | {row['rps']:.1f} | {row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} "
            f"| {row['errors']} | {share:.0f} % |"
        )
    rss = result["worker_rss_mb"]
    lines += [
        "",
        f"Web worker peak RSS: {', '.join(f'{v:.0f}' for v in rss['peak'])} MB (limit 250 MB).",
    ]
    for name, check in result["submissions"].items():
        lines.append(
            f"{name}: {check['rows']} rows for {check['accepted']} accepted POSTs, {check['duplicates']} duplicated, "
            f"{check['lost']} lost, {check['outbox_unsent_after_60s']} confirmations unsent after 60 s."
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    args = parse_args(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    env = server_env(args, var_dir)
    started = time.monotonic()
    prepare(args, env)
    a = actors()
    print(f"  prepared in {time.monotonic() - started:.0f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes = start_servers(args, env, port, var_dir)
    sampler = RssSampler(processes[0].pid)
    sampler.start()
    try:
        ceiling_page = {"name": "ceiling", "cookie": a["people"]["customer"][0], "mode": "get",
                        "path": f"/bench/ceiling/?pk={a['ceiling_pk']}"}  # fmt: skip
        todo = pages(base, a, args.deep)
        if args.only:
            wanted = {name.strip() for name in args.only.split(",")}
            todo = [p for p in todo if any(w in p["name"] for w in wanted)]
        first_ceiling = measure(args, base, ceiling_page)
        measured, submissions = [], {}
        for page in todo:
            since = datetime.now(UTC)
            row = measure(args, base, page)
            print(f"  {row['name']}: {row['rps']:.1f} req/s, p95 {row['p95']:.0f} ms, errors {row['errors']}")
            measured.append(row)
            if page["mode"] != "get":
                submissions[page["name"]] = check_submissions(
                    page, row, args.connections * args.rounds, email=a["submitter"].email, since=since
                )
        last_ceiling = measure(args, base, ceiling_page)
        print(f"  measured in {time.monotonic() - started:.0f} s")
    finally:
        sampler.stopping.set()
        stop_servers(processes)
    ceiling_rounds = first_ceiling["rps_rounds"] + last_ceiling["rps_rounds"]
    ceiling = {**first_ceiling, "rps": statistics.mean(ceiling_rounds), "name": "ceiling (one ticket by pk)"}
    ceiling["errors"] = first_ceiling["errors"] + last_ceiling["errors"]
    result = {
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "tickets": args.tickets, "workers": args.workers, "connections": args.connections, "rounds": args.rounds,
        "duration": args.duration, "warmup": args.warmup, "ceiling_rps": ceiling["rps"],
        "ceiling_rounds": ceiling_rounds, "pages": [ceiling, *measured], "submissions": submissions,
        "worker_rss_mb": {"peak": sorted((kb / 1024 for kb in sampler.peak.values()), reverse=True)[: args.workers],
                          "last": sorted((kb / 1024 for kb in sampler.last.values()), reverse=True)[: args.workers]},
        "load_average": os.getloadavg(),
    }  # fmt: skip
    for row in result["pages"]:
        row["share_of_ceiling"] = row["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    markdown = table(result)
    (out / "latest.md").write_text(markdown)
    print(markdown)
    return result


if __name__ == "__main__":
    main()
