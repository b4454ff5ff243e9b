"""A stopped Redis costs a page one failed cache call, not one per call (accounts/resilience.py):
with Redis down a sign-in used to take 2.5 s (five cache calls, each waiting)."""

import time

import pytest

from accounts.ratelimit import signin_blocked, signin_failed, signin_reset
from tests.conftest import free_port


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_after_one_failure_the_limits_answer_at_once(redis_down, settings):
    settings.RESILIENCE_CACHE_PAUSE_SECONDS = 30
    started = time.monotonic()
    assert signin_blocked(account="sam@example.org", ip="192.0.2.1") == 0  # fails open
    first = time.monotonic() - started
    started = time.monotonic()
    for _ in range(20):
        signin_failed(account="sam@example.org", ip="192.0.2.1")
        assert signin_blocked(account="sam@example.org", ip="192.0.2.1") == 0
        signin_reset(account="sam@example.org")
    assert time.monotonic() - started < 0.05, "the cache was asked again while paused"
    assert first < 5
