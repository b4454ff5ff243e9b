"""Test settings: the production settings, pointed at the test services."""

import os
import tempfile
import uuid

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk")
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret-5b0c7e0f3a6d4c2e9f1b8a7d6c5e4f3a2b1c0d9e")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# One queue name per test run, shared with the worker processes the tests start.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"helpdesk-test-{uuid.uuid4().hex[:8]}")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="helpdesk-test-var-"))

from helpdesk.settings import *  # noqa: E402,F403
from helpdesk.settings import env  # noqa: E402

TEST_REDIS_URL = env.str("TEST_REDIS_URL", default=env.str("REDIS_URL", default="redis://127.0.0.1:6379/15"))
# Tests run tasks in-process unless a test starts a real worker (tests/conftest.py).
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Each test starts with an empty cache; a shared Redis would carry rate-limit counters across runs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SITE_URL = "http://testserver"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405

# The desks' receiving mail server, whose Authentication-Results headers the inbound tests write.
MAILIN_AUTHSERV_IDS = "mx.test"
LIST_COUNT_CACHE_SECONDS = env.int(
    "LIST_COUNT_CACHE_SECONDS", default=0
)  # counted fresh; tests/tickets/test_counts.py turns it on
