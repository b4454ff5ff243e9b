"""A real `celery worker` process for the webhook tests: against the test database, consuming only
a webhook queue of its own (so no other test's worker takes its deliveries), with short retry
clocks and the private-address rule relaxed for the loopback receiver, all through its
environment as in production."""

import os
import signal
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from urllib.parse import quote

from tests.conftest import ARTIFACTS, ROOT, WorkerProcess, _wait_for_worker, redis_available, require

# Consistent with the outbox's checks: visibility 8 > retry cap 1 + hard limit 5; claim 6 > hard
# limit 5; the receiver's timeout 1.5 < half the soft limit 4.
CLOCKS = {
    "WEBHOOKS_ALLOWED_HOSTS": "127.0.0.1",
    "WEBHOOKS_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOKS_RETRY_MAX_SECONDS": "1",
    "WEBHOOKS_MAX_ATTEMPTS": "30",
    "WEBHOOKS_TIMEOUT_SECONDS": "1.5",
    "NOTIFICATION_RETRY_MAX_SECONDS": "1",
    "NOTIFICATION_CLAIM_TIMEOUT_SECONDS": "6",
    "CELERY_TASK_SOFT_TIME_LIMIT": "4",
    "CELERY_TASK_TIME_LIMIT": "5",
    "CELERY_VISIBILITY_TIMEOUT": "8",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
}


def webhook_queue() -> str:
    return f"webhooks-test-{uuid.uuid4().hex[:8]}"


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str, *, label: str = "w") -> WorkerProcess:
    from django.conf import settings

    require(redis_available(settings.CELERY_BROKER_URL), f"Redis not reachable at {settings.CELERY_BROKER_URL}")
    name = f"webhooks-{label}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "WEBHOOKS_QUEUE": queue,
        **CLOCKS,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"celery-{name.split('@')[0]}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-l", "info", "-P", "solo", "-n", name,
             "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker = WorkerProcess(process, name, log_path)
    try:
        _wait_for_worker(worker)
    except BaseException:
        kill(worker)
        raise
    return worker


def kill(worker: WorkerProcess) -> None:
    """SIGKILL to the worker's whole process group, as a crashed host would."""
    try:
        os.killpg(worker.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        worker.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


@contextmanager
def publishing_to(settings, queue: str):
    """This process publishes for the worker (not eagerly), webhooks to its queue, with the
    worker's clocks; mail goes to the default queue, which the worker leaves alone."""
    from helpdesk.celery import app

    settings.WEBHOOKS_QUEUE = queue
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.1"]
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True
