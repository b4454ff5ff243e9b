"""A fixed-window rate limit on the cache that fails open.

Redis being down must never lock people out, so any cache error lets the request through.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def ratelimit_hit(*, scope: str, key: str, rate: str) -> bool:
    """Count one hit; True when the caller is over the limit for this window."""
    if not settings.RATELIMIT_ENABLED:
        return False
    limit, _sep, period = rate.partition("/")
    limit, period = int(limit), int(period)
    window = int(time.time() // period)
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{window}"
    try:
        cache.add(cache_key, 0, timeout=period + 1)
        count = cache.incr(cache_key)
    except Exception:  # noqa: BLE001 - fail open on any cache trouble
        logger.warning("rate limit cache unavailable; failing open", exc_info=True)
        return False
    return count > limit


def ratelimit(*, scope: str, rate_setting: str, keys=(client_ip,)):
    """Limit POSTs to a view; over the limit answers 429 with a readable page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                rate = getattr(settings, rate_setting)
                for key_func in keys:
                    key = key_func(request)
                    if key and ratelimit_hit(scope=scope, key=key, rate=rate):
                        return render(
                            request,
                            "429.html",
                            {"message": _("Too many attempts. Please wait a few minutes and try again.")},
                            status=429,
                        )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def posted_email(request) -> str:
    return (request.POST.get("email") or request.POST.get("username") or "").strip().lower()


def client_ip_and_email(request) -> str:
    """Per address *and* account: a stranger elsewhere cannot lock someone out of signing in."""
    email = posted_email(request)
    return f"{client_ip(request)}|{email}" if email else ""
