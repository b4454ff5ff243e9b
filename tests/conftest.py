"""Standing users, and the real services the tests talk to: an SMTP server (aiosmtpd),
a Celery worker process on Redis, and headless Chromium."""

import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# there unless told it is safe (it is: the loop is idle while the test code runs).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    # A test that broke the cache must not leave the limits paused for the next one.
    from accounts import resilience

    monkeypatch.setattr(resilience, "_paused_until", 0.0)
    cache.clear()
    yield
    cache.clear()


# --- Standing users and catalogue -------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    """The demo catalogue, imported through the real importer."""
    from tickets.catalogue import DEMO_CATALOGUE, catalogue_import, catalogue_load_file

    catalogue_import(data=catalogue_load_file(DEMO_CATALOGUE))


@pytest.fixture
def provider(db):
    from accounts.models import Organization, Site

    organization = Organization.objects.create(name="Sunny Days Child Care", kind="provider", provider_id="CC-1")
    Site.objects.create(organization=organization, name="Main", is_primary=True)
    return organization


@pytest.fixture
def other_provider(db):
    from accounts.models import Organization, Site

    organization = Organization.objects.create(name="Elsewhere Kids", kind="provider", provider_id="CC-2")
    Site.objects.create(organization=organization, name="Only", is_primary=True)
    return organization


def _member(email_address, organization, role, full_name):
    from accounts.models import Membership, User

    user = User.objects.create_user(email=email_address, password="pw-for-tests-1", full_name=full_name)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def customer(provider):
    return _member("customer@example.org", provider, "staff", "Carla Customer")


@pytest.fixture
def colleague(provider):
    return _member("colleague@example.org", provider, "staff", "Cole Colleague")


@pytest.fixture
def outsider(other_provider):
    return _member("outsider@example.org", other_provider, "staff", "Otto Outsider")


def _agent(email_address, tier, full_name):
    from accounts.models import User
    from tickets.models import Team

    user = User.objects.create_user(email=email_address, password="pw-for-tests-1", full_name=full_name)
    for team in Team.objects.filter(tier=tier):
        team.members.add(user)
    return user


@pytest.fixture
def tier1(catalogue):
    return _agent("t1@example.org", 1, "Tina Tier One")


@pytest.fixture
def tier2(catalogue):
    return _agent("t2@example.org", 2, "Theo Tier Two")


@pytest.fixture
def people(catalogue, customer, outsider, tier1, voucher):
    """One user per workflow role on a customer's request (None acts as the system)."""
    return {"customer": customer, "voucher": voucher, "agent": tier1, "system": None, "outsider": outsider}


@pytest.fixture
def submit(catalogue):
    """Open a request through the real service, as the portal would:
    submit(requester, desk="CSD", key="general-request", summary=..., files={key: [uploads]}, **fields).
    The organisation is the requester's first one unless given (None for none)."""
    from tickets.models import RequestType
    from tickets.services import ticket_submit
    from tickets.values import SubmittedValues

    unset = object()

    def _submit(requester, *, desk="CSD", key="general-request", summary="Need help", description="Details.",
                organization=unset, files=None, **fields):  # fmt: skip
        if organization is unset:
            membership = requester.memberships.select_related("organization").order_by("pk").first()
            organization = membership.organization if membership else None
        return ticket_submit(
            request_type=RequestType.objects.get(desk__key=desk, key=key),
            requester=requester,
            organization=organization,
            values=SubmittedValues(summary=summary, description=description, fields=fields, files=files or {}),
        )

    return _submit


@pytest.fixture
def mailbox(catalogue):
    """The CSD desk's mailbox, its IMAP server never reached: for mail handed to inbound_receive."""
    from mailin.models import Mailbox
    from tickets.models import RequestType, ServiceDesk

    desk = ServiceDesk.objects.get(key="CSD")
    return Mailbox.objects.create(
        desk=desk, email_address="support@csd.example", host="127.0.0.1", port=1, security=Mailbox.Security.PLAIN,
        username="desk", password="pw", default_request_type=RequestType.objects.get(desk=desk, key="general-request"),
    )  # fmt: skip


@pytest.fixture
def receive(mailbox):
    """Keep one raw mail as the poller does, then process it: receive(raw) -> InboundMessage."""
    from mailin.services import inbound_process, inbound_receive

    def _receive(raw: bytes):
        message, _created = inbound_receive(mailbox=mailbox, raw=raw)
        return inbound_process(message=message)

    return _receive


@pytest.fixture
def voucher(provider):
    """A site admin of the customer's organisation: sees all of its requests and approves them."""
    return _member("voucher@example.org", provider, "site_admin", "Vera Voucher")


@pytest.fixture
def superuser(db):
    from accounts.models import User

    return User.objects.create_superuser(email="root@example.org", password="pw-for-tests-1", full_name="Root")


# --- A real SMTP server -----------------------------------------------------------------------


class SmtpRecorder:
    """Records every message an aiosmtpd server accepts."""

    def __init__(self):
        self.envelopes = []
        self._lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.envelopes.append(envelope)
            self._lock.notify_all()
        return "250 OK"

    @property
    def messages(self):
        with self._lock:
            return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]

    def wait_for(self, count: int, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.envelopes) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
        return self.messages

    def clear(self):
        with self._lock:
            self.envelopes.clear()


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    recorder.port = port
    yield recorder
    controller.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Deliver through the real SMTP server instead of pytest-django's in-memory outbox."""
    smtp_server.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    yield smtp_server
    smtp_server.clear()


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# --- Redis and a real Celery worker process ---------------------------------------------------


def redis_available(url: str) -> bool:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        return False
    return True


def require(condition: bool, reason: str):
    """Skip outside CI; in CI a missing service fails the test (see tests/plugins/ci_no_skip.py)."""
    if not condition:
        if in_ci():
            pytest.fail(f"required service missing in CI: {reason}")
        pytest.skip(reason)


class WorkerProcess:
    def __init__(self, process, name, log_path):
        self.process, self.name, self.log_path = process, name, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, smtp_server):
    """A `celery worker` process, on Redis, against the test database and the SMTP server."""
    from django.conf import settings
    from django.db import connection

    require(redis_available(settings.CELERY_BROKER_URL), f"Redis not reachable at {settings.CELERY_BROKER_URL}")
    with django_db_blocker.unblock():
        db = connection.settings_dict
    from urllib.parse import quote

    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    database_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    name = f"test-{os.getpid()}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "SITE_URL": "http://testserver",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"celery-worker-{os.getpid()}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-l", "info", "-P", "solo",
             "-n", name, "-Q", settings.CELERY_TASK_DEFAULT_QUEUE,
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker = WorkerProcess(process, name, log_path)
    try:
        _wait_for_worker(worker)
        yield worker
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)


def _wait_for_worker(worker: WorkerProcess, timeout: float = 30.0):
    from helpdesk.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{worker.log()}")
        if app.control.ping(destination=[worker.name], timeout=0.5):
            return
    raise RuntimeError(f"celery worker did not answer within {timeout}s:\n{worker.log()}")


@pytest.fixture
def real_worker(celery_worker_process):
    """Publish tasks to Redis for the worker process instead of running them in-process."""
    from helpdesk.celery import app

    app.conf.task_always_eager = False
    yield celery_worker_process
    app.conf.task_always_eager = True


# --- Headless Chromium ------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    require(bool(shutil.which(CHROMIUM) or Path(CHROMIUM).exists()), f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    def check(self):
        assert not self, f"browser console errors: {list(self)}"


@pytest.fixture
def page(browser):
    """A fresh browser page; the test fails on any console error or uncaught exception."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    _watch_console(page)
    yield page
    context.close()
    page.console_errors.check()


def _watch_console(page):
    errors = ConsoleErrors()
    # A form re-shown with its messages answers 400 on purpose; Chromium logs that page load as
    # a console error. Only those main-document loads are excused; any other error fails.
    expected_4xx = set()

    def on_response(response):
        if response.request.resource_type == "document" and 400 <= response.status < 500:
            expected_4xx.add(response.url)

    def on_console(msg):
        if msg.type != "error":
            return
        if msg.text.startswith("Failed to load resource") and msg.location.get("url") in expected_4xx:
            return
        errors.append(f"{msg.text} ({msg.location.get('url')})")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def new_page(browser, *, width=1280, height=900):
    """Another signed-out browser page (its own cookies) that also fails on console errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    _watch_console(page)
    return page


def sign_in(page, base_url, email, password="pw-for-tests-1"):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(re.compile(r"^Password")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Customers land on the Help Center, agents on their queues.
    page.wait_for_url(lambda url: url in (f"{base_url}/", f"{base_url}/agent/"))


def check_accessibility(page, name=""):
    """axe-core on the current page: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    bad = [v for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: " + "; ".join(
        f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}" for v in bad
    )


def check_fits(page, name=""):
    """Nothing wider than the screen (no sideways scrolling on a phone)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the screen"
