"""Real processes for the outbox fault tests and the delivery benchmark.

Everything runs on free loopback ports, each server in a temporary directory of its own, and is
torn down by killing its process group, whatever happened (the shared PostgreSQL on 5432 and
Redis on 6379 are never touched):

- `PostgresCluster`: a private PostgreSQL 15 cluster (initdb as `postgres`, trust, fsync off),
  which can be stopped, crashed (`-m immediate`) and started again on the same port;
- `RedisServer`: a private redis-server, without persistence (or with an append-only file),
  stopped and started at will;
- `SmtpRecorder`: an aiosmtpd server that records each accepted message with its Message-ID and
  acceptance time, can be stopped and restarted on the same port, and can hold its reply to
  DATA (or QUIT) so that a worker is killed mid-send;
- `Stack`: one test's world: a fresh database cloned from a migrated template (demo catalogue and
  load-test users loaded), a fresh Redis and SMTP recorder, and the app's processes: the web app
  (gunicorn), Celery workers, Celery beat, all with short clocks set through the environment.

The fault tests (tests/fault/test_faults.py) and bench/delivery_bench.py use it; it needs no Django
settings in the calling process.
"""

import contextlib
import ctypes
import email
import email.policy
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
HOSTNAME = socket.gethostname()
SECRET_KEY = "fault-tests-only-not-secret-8d1f0c3b6a2e4f5d9c7b1a0e3f2d4c6b"
PASSWORD = "load-test-password-1"
ORGANIZATION_NAME = "Fault Test Care"
SUBMIT_PATH = "/desks/customer-service/general-request/"

# Short clocks for the subprocesses, consistent with the outbox's system checks:
# visibility 10 > retry cap 2 + hard limit 6, and the claim timeout 7 > hard limit 6.
FAST_CLOCKS = {
    "NOTIFICATION_RETRY_BASE_SECONDS": "0.5",
    "NOTIFICATION_RETRY_MAX_SECONDS": "2",
    "NOTIFICATION_MAX_ATTEMPTS": "40",
    "NOTIFICATION_CLAIM_TIMEOUT_SECONDS": "7",
    "NOTIFICATION_SWEEP_AFTER_SECONDS": "2",
    "NOTIFICATION_SWEEP_SECONDS": "1",
    "NOTIFICATION_SWEEP_LOCK_SECONDS": "10",
    "NOTIFICATION_PUBLISH_PAUSE_SECONDS": "1",
    "CELERY_TASK_SOFT_TIME_LIMIT": "5",
    "CELERY_TASK_TIME_LIMIT": "6",
    "CELERY_VISIBILITY_TIMEOUT": "10",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    "EMAIL_TIMEOUT": "3",
    "DATABASE_CONNECT_TIMEOUT": "2",
}


def missing_binaries() -> list[str]:
    """The server binaries this harness needs and cannot find."""
    wanted = {"redis-server": shutil.which("redis-server")}
    for name in ("initdb", "pg_ctl", "postgres"):
        wanted[name] = str(PG_BIN / name) if (PG_BIN / name).exists() else shutil.which(name)
    return [name for name, path in wanted.items() if not path]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll until predicate() is truthy and return it; raise TimeoutError with `message`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {message}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


_libc = ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child between fork and exec: if the test process itself is killed, so is the
    # child, instead of lingering on its port (finalizers handle every other way out).
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Process:
    """A subprocess in its own session (process group), logging to a file."""

    def __init__(self, name: str, argv: list[str], *, log_path: Path, env=None, cwd=ROOT, user=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        kwargs = {"user": user, "group": pwd.getpwnam(user).pw_gid} if user else {}
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_die_with_parent, **kwargs,
            )  # fmt: skip
        self.pid = self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def children(self) -> list[int]:
        """PIDs whose parent is this process (a prefork worker's pool children)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name, which is in parentheses and may hold spaces.
            if int(stat.rpartition(")")[2].split()[1]) == self.pid:
                found.append(int(entry.name))
        return found

    def stop(self, *, timeout: float = 5.0) -> None:
        """SIGTERM to the group, then SIGKILL; always reaps."""
        if self.alive:
            self.signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self) -> None:
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def log(self, tail: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


def _tempdir(prefix: str) -> Path:
    # Not under pytest's tmp_path: /tmp/pytest-of-root is 0700 and postgres could not enter it.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server. Without persistence a restart starts it empty, like a lost broker;
    `durable=True` keeps an append-only file, so a restart finds its queues as they were."""

    def __init__(self, directory: Path | None = None, *, durable: bool = False):
        self.dir = directory or _tempdir("fault-redis-")
        self.port = free_port()
        self.durable = durable
        self.process: Process | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "RedisServer":
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence,
                "--daemonize", "no", "--dir", str(self.dir), "--logfile", ""]  # fmt: skip
        self.process = Process("redis", argv, log_path=self.dir / "redis.log")
        wait_until(self._answers, timeout=10, message=f"redis on port {self.port}")
        return self

    def _answers(self) -> bool:
        if self.process is not None and not self.process.alive:
            raise RuntimeError(f"redis-server exited:\n{self.process.log()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=3)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- PostgreSQL -------------------------------------------------------------------------------


class PostgresCluster:
    """A private PostgreSQL cluster (trust auth, fsync off) whose postmaster is our child."""

    def __init__(self, directory: Path | None = None):
        self.dir = directory or _tempdir("fault-pg-")
        self.data = self.dir / "data"
        self.port = free_port()
        self.process: Process | None = None
        shutil.chown(self.dir, "postgres", "postgres")

    def _as_postgres(self, *argv: str, timeout: float = 60) -> str:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv], capture_output=True, text=True, timeout=timeout, cwd=self.dir
        )
        if result.returncode:
            raise RuntimeError(f"{argv[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def init(self) -> "PostgresCluster":
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")  # fmt: skip
        return self

    def start(self) -> "PostgresCluster":
        argv = [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.dir),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
                "-c", "max_connections=200", "-c", "log_min_messages=warning"]  # fmt: skip
        # Started directly (as postgres), not through `pg_ctl start`, so that it stays in our
        # process group and dies with it; pg_ctl still stops it.
        self.process = Process("postgres", argv, log_path=self.dir / "postgres.log", cwd=self.dir, user="postgres")
        wait_until(self._answers, timeout=30, message=f"postgres on port {self.port}")
        return self

    def _answers(self) -> bool:
        if self.process is not None and not self.process.alive:
            raise RuntimeError(f"postgres exited:\n{self.process.log()}")
        try:
            self.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - not up yet
            return False
        return True

    def stop(self, *, mode: str = "fast") -> None:
        """`pg_ctl stop -m fast|immediate` (immediate is a crash: recovery on the next start)."""
        if self.process is None:
            return
        if self.process.alive:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "20", "stop")
        self.process.kill()
        self.process = None

    def restart(self, *, mode: str = "immediate", down_for: float = 0.0) -> None:
        self.stop(mode=mode)
        time.sleep(down_for)
        self.start()

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres"):
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname,
                                      connect_timeout=3)  # fmt: skip
        connection.autocommit = True
        return connection

    def execute(self, sql: str, params=None, *, dbname: str = "postgres") -> list[tuple]:
        connection = self.connect(dbname)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def create_database(self, name: str, *, template: str | None = None) -> None:
        # FILE_COPY checkpoints around the copy, so a crash later in the test recovers from WAL
        # written after the clone, not through a replay of the copy itself (WAL_LOG, the default:
        # after an immediate restart it once handed out a participant id that was already taken).
        suffix = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{suffix}')

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        try:
            self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    message_id: str
    to: tuple[str, ...]
    subject: str
    reference: str
    accepted_at: float  # time.time() when the server answered 250 to DATA


class SmtpRecorder:
    """An aiosmtpd server that records what it accepted, and can hold its replies.

    `hold("DATA")` makes the server sit on a message before answering DATA: a client killed then
    never hears 250, so the message was not accepted (it goes to `aborted`). `hold("QUIT")` sits
    after 250, before the client's QUIT is answered: a client killed then has had the message
    accepted but has not marked it sent, the one window where a duplicate is allowed.
    """

    def __init__(self, port: int | None = None, *, on_accept=None):
        self.port = port or free_port()
        # Called with each Delivery just before the 250 reply (in the server's thread).
        self.on_accept = on_accept
        self.accepted: list[Delivery] = []
        self.aborted: list[str] = []
        self._holding = {"DATA": False, "QUIT": False}
        self.held = 0
        self._cond = threading.Condition()
        self._controller = None

    # aiosmtpd hooks (they run in the controller's event-loop thread)
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message_id = (message["Message-ID"] or "").strip()
        try:
            await self._gate("DATA")
        except BaseException:  # the client went away while we held the reply: not accepted
            with self._cond:
                self.aborted.append(message_id)
                self._cond.notify_all()
            raise
        delivery = Delivery(
            message_id=message_id,
            to=tuple(envelope.rcpt_tos),
            subject=str(message["Subject"] or ""),
            reference=str(message["X-Helpdesk-Reference"] or ""),
            accepted_at=time.time(),
        )
        with self._cond:
            self.accepted.append(delivery)
            self._cond.notify_all()
        if self.on_accept is not None:
            self.on_accept(delivery)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        await self._gate("QUIT")
        return "221 Bye"

    async def _gate(self, stage: str) -> None:
        import asyncio

        if not self._holding[stage]:
            return
        with self._cond:
            self.held += 1
            self._cond.notify_all()
        try:
            while self._holding[stage]:
                await asyncio.sleep(0.01)
        finally:
            with self._cond:
                self.held -= 1
                self._cond.notify_all()

    # control, from the test thread
    def start(self) -> "SmtpRecorder":
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=5)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def hold(self, stage: str = "DATA") -> None:
        self._holding[stage] = True

    def release(self, stage: str | None = None) -> None:
        for key in [stage] if stage else list(self._holding):
            self._holding[key] = False

    def wait_held(self, count: int = 1, timeout: float = 20.0) -> None:
        self._wait(lambda: self.held >= count, timeout, f"{count} message(s) held at the gate")

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Delivery]:
        self._wait(lambda: len(self.accepted) >= count, timeout, f"{count} accepted message(s)", strict=False)
        return self.deliveries()

    def wait_aborted(self, count: int = 1, timeout: float = 10.0) -> None:
        self._wait(lambda: len(self.aborted) >= count, timeout, f"{count} aborted message(s)")

    def _wait(self, predicate, timeout, what, strict=True):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if strict:
                        raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
                    return
                self._cond.wait(remaining)

    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self.accepted)

    def counts(self) -> Counter:
        """How many times each Message-ID was accepted."""
        return Counter(d.message_id for d in self.deliveries())


# --- The app's processes ----------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict
    body: str
    elapsed: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """A signed-in visitor over plain HTTP: cookies and the CSRF token, no redirects followed."""

    def __init__(self, port: int, *, timeout: float = 15.0):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            content = raw.read().decode("utf-8", "replace")
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, content,
                            time.monotonic() - started)  # fmt: skip
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> Response:
        return self.request("POST", path, data)

    def sign_in(self, email_address: str, password: str = PASSWORD) -> Response:
        self.get("/accounts/login/")  # sets the CSRF cookie
        response = self.post("/accounts/login/", {"username": email_address, "password": password, "next": "/"})
        if response.status != 302:
            raise RuntimeError(f"sign-in of {email_address} answered {response.status}:\n{response.body[:2000]}")
        return response

    def submit(self, summary: str, description: str = "Submitted by the fault tests.") -> Response:
        return self.post(SUBMIT_PATH, {"summary": summary, "description": description})


def load_user(number: int) -> str:
    return f"load{number}@example.org"


_SETUP_SCRIPT = """
from accounts.models import Membership, Organization, Site, User
organization, _ = Organization.objects.get_or_create(
    provider_id="FT-1", defaults={"name": ORGANIZATION_NAME, "kind": "provider"}
)
Site.objects.get_or_create(organization=organization, name="Main", defaults={"is_primary": True})
for number in range(USERS):
    user = User.objects.create_user(
        email=f"load{number}@example.org", password=PASSWORD, full_name=f"Load User {number}"
    )
    Membership.objects.create(user=user, organization=organization, role="staff")
# The demo's own e-mails are not the tests' business: only what the tests cause is counted.
from notifications.models import Notification
Notification.objects.all().delete()
"""


def _setup_script(users: int) -> str:
    return (
        _SETUP_SCRIPT.replace("ORGANIZATION_NAME", repr(ORGANIZATION_NAME))
        .replace("PASSWORD", repr(PASSWORD))
        .replace("USERS", str(users))
    )


class Template:
    """A migrated database with the demo catalogue and load-test users, cloned for each test."""

    def __init__(self, cluster: PostgresCluster, *, users: int = 20, directory: Path | None = None):
        self.cluster = cluster
        self.dir = directory or _tempdir("fault-app-")
        self.static_root = self.dir / "static"
        self.name = "helpdesk_template"
        self.users = users

    def build(self) -> "Template":
        self.cluster.create_database(self.name)
        env = app_env(database_url=self.cluster.url(self.name), redis_url="", smtp_port=1, var_dir=self.dir / "var",
                      static_root=self.static_root)  # fmt: skip
        log = self.dir / "setup.log"
        manage(env, "migrate", "--noinput", log=log)
        manage(env, "collectstatic", "--noinput", log=log)
        manage(env, "load_demo", "--force", log=log)
        manage(env, "shell", "-c", _setup_script(self.users), log=log)
        return self

    def clone(self, name: str) -> str:
        self.cluster.create_database(name, template=self.name)
        return self.cluster.url(name)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def manage(env: dict, *args: str, log: Path, timeout: float = 180) -> None:
    with open(log, "ab") as out:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, timeout=timeout)  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{log.read_text(errors='replace')[-4000:]}")


def app_env(*, database_url: str, redis_url: str, smtp_port: int, var_dir: Path, static_root: Path,
            queue: str = "helpdesk", clocks: dict | None = None, extra: dict | None = None) -> dict:  # fmt: skip
    """The environment of every app process: production settings pointed at the private servers."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH")}
    var_dir.mkdir(parents=True, exist_ok=True)
    return {
        **keep,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false" if redis_url else "true",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "SITE_URL": "http://127.0.0.1",
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "INFO",
        **(FAST_CLOCKS if clocks is None else clocks),
        **(extra or {}),
    }


@dataclass
class Row:
    id: str
    message_id: str
    status: str
    attempts: int
    reference: str
    created_at: object
    queued_at: object
    claimed_at: object
    next_attempt_at: object
    sent_at: object
    last_error: str


class Stack:
    """One test's servers and app processes; `close()` kills them all, whatever state they are in."""

    def __init__(self, cluster: PostgresCluster, template: Template, *, clocks: dict | None = None,
                 extra_env: dict | None = None, durable_redis: bool = False):  # fmt: skip
        self.cluster, self.template = cluster, template
        self.dir = _tempdir("fault-stack-")
        self.dbname = f"t_{uuid.uuid4().hex[:10]}"
        self.database_url = template.clone(self.dbname)
        self.redis = RedisServer(self.dir / "redis", durable=durable_redis)
        (self.dir / "redis").mkdir()
        self.redis.start()
        self.smtp = SmtpRecorder().start()
        self.queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.env = app_env(database_url=self.database_url, redis_url=self.redis.url(), smtp_port=self.smtp.port,
                           var_dir=self.dir / "var", static_root=template.static_root, queue=self.queue,
                           clocks=clocks, extra=extra_env)  # fmt: skip
        self.processes: list[Process] = []
        self.web_port: int | None = None
        self._control = None

    # --- processes
    def _spawn(self, name: str, argv: list[str]) -> Process:
        process = Process(name, argv, log_path=self.dir / f"{name}.log", env=self.env)
        self.processes.append(process)
        return process

    def start_web(self, *, workers: int = 2, threads: int = 1) -> Process:
        self.web_port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "helpdesk.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}",
                "--workers", str(workers), "--threads", str(threads), "--timeout", "30", "--graceful-timeout", "2",
                "--preload", "--error-logfile", "-"]  # fmt: skip
        process = self._spawn("web", argv)
        wait_until(lambda: self._web_ready(process), timeout=30, interval=0.1, message="the web app's /healthz")
        return process

    def _web_ready(self, process: Process) -> bool:
        if not process.alive:
            raise RuntimeError(f"gunicorn exited:\n{process.log()}")
        try:
            return Browser(self.web_port, timeout=2).get("/healthz").status == 200
        except OSError:
            return False

    def browser(self) -> Browser:
        return Browser(self.web_port)

    def start_worker(self, name: str = "w1", *, concurrency: int = 1, pool: str = "prefork",
                     wait: bool = True, loglevel: str = "info") -> Process:  # fmt: skip
        hostname = f"{name}-{self.queue}@{HOSTNAME}"
        argv = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-l", loglevel, "-P", pool,
                "-c", str(concurrency), "-n", hostname, "-Q", self.queue,
                "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        process = self._spawn(f"worker-{name}-{len(self.processes)}", argv)
        process.hostname = hostname
        if wait:
            self.wait_worker(process)
        return process

    def wait_worker(self, process: Process, timeout: float = 30.0) -> None:
        def answers():
            if not process.alive:
                raise RuntimeError(f"celery worker exited:\n{process.log()}")
            try:
                return self.control.control.ping(destination=[process.hostname], timeout=0.5)
            except Exception:  # noqa: BLE001 - broker not reachable yet
                return False

        wait_until(answers, timeout=timeout, interval=0.1, message=f"worker {process.hostname} to answer a ping")

    def start_beat(self) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "helpdesk", "beat", "-l", "info",
                "-s", str(self.dir / f"beat-schedule-{len(self.processes)}"),
                "--pidfile", str(self.dir / f"beat-{len(self.processes)}.pid")]  # fmt: skip
        return self._spawn(f"beat-{len(self.processes)}", argv)

    @property
    def control(self):
        """A Celery app of our own on the private broker, for pings and raw publishing."""
        if self._control is None:
            from celery import Celery

            self._control = Celery("fault-control", broker=self.redis.url(), set_as_current=False)
            self._control.conf.broker_transport_options = {"max_retries": 0, "socket_connect_timeout": 0.5,
                                                           "socket_timeout": 1}  # fmt: skip
            self._control.conf.task_default_queue = self.queue
            self._control.conf.broker_connection_retry_on_startup = False
        return self._control

    def publish_send(self, notification_id: str) -> None:
        """Publish the send task to the real broker by name, as the web app does."""
        self.control.send_task("notifications.tasks.send_notification", args=[notification_id], queue=self.queue)

    # --- reading the private database
    def rows(self) -> list[Row]:
        sql = (
            "SELECT id::text, message_id, status, attempts, coalesce(headers->>'X-Helpdesk-Reference', ''), "
            "created_at, queued_at, claimed_at, next_attempt_at, sent_at, last_error "
            "FROM notifications_notification ORDER BY created_at"
        )
        return [Row(*row) for row in self.cluster.execute(sql, dbname=self.dbname)]

    def references(self) -> list[str]:
        """References of the tickets the load-test users submitted (the demo has its own)."""
        sql = (
            "SELECT t.reference FROM tickets_ticket t JOIN accounts_user u ON u.id = t.requester_id "
            "WHERE u.email LIKE 'load%@example.org' ORDER BY t.id"
        )
        return [r for (r,) in self.cluster.execute(sql, dbname=self.dbname)]

    def wait_all_sent(self, count: int, timeout: float = 45.0) -> list[Row]:
        def done():
            rows = self.rows()
            return rows if len(rows) >= count and all(r.status == "sent" for r in rows) else None

        return wait_until(done, timeout=timeout, interval=0.2, message=f"{count} rows marked sent")

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} (pid {p.pid})\n{p.log(4000)}" for p in self.processes)

    def close(self) -> None:
        errors = []
        for process in reversed(self.processes):
            try:
                process.kill()  # the whole group at once: nothing here needs a graceful stop
            except Exception as exc:  # noqa: BLE001 - tear down the rest regardless
                errors.append(exc)
        if self._control is not None:
            with contextlib.suppress(Exception):
                self._control.close()
        self.smtp.stop()
        self.redis.stop()
        with contextlib.suppress(Exception):
            if self.cluster.process is None:
                self.cluster.start()
            self.cluster.drop_database(self.dbname)
        if os.environ.get("FAULT_KEEP_LOGS"):
            print(f"stack logs kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise errors[0]


def audit(rows: list[Row], deliveries: list[Delivery]) -> dict:
    """Count what the SMTP server accepted against the outbox rows."""
    accepted = Counter(d.message_id for d in deliveries)
    owed = {r.message_id for r in rows}
    return {
        "rows": len(rows),
        "accepted": len(deliveries),
        "lost": sorted(owed - set(accepted)),
        "duplicated": {mid: n for mid, n in accepted.items() if n > 1},
        "unknown": sorted(set(accepted) - owed),
    }


@dataclass
class Timings:
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.values)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[index]
