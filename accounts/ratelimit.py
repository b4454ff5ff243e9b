"""Rate limits on the cache that fail open, and the one sign-in limit every door shares.

Redis being down must never lock people out, so any cache error lets the request through (the
cache's socket timeouts, helpdesk/settings.py, bound how long that takes).
"""

import functools
import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

from .identity import InvalidEmail, email_canonical
from .resilience import cache_failed, cache_usable

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies of our own the
    address the outermost one saw (that many entries from the right of X-Forwarded-For; what
    the client wrote further left is not trusted). Used by every limit and the API throttles."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    # As DRF's NUM_PROXIES: with fewer entries than proxies, the leftmost one.
    candidate = forwarded[-min(count, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def address_bucket(ip: str) -> str:
    """What one client is, for counting: an IPv4 address, or an IPv6 /64 (one customer line
    gets a whole /64, so counting single IPv6 addresses would limit nobody)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _rate(rate: str) -> tuple[int, int]:
    limit, _sep, period = rate.partition("/")
    return int(limit), int(period)


def _cache_key(scope: str, key: str) -> str:
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def ratelimit_hit(*, scope: str, key: str, rate: str) -> bool:
    """Count one hit; True when the caller is over the limit for this window."""
    if not settings.RATELIMIT_ENABLED:
        return False
    limit, period = _rate(rate)
    window = int(time.time() // period)
    cache_key = f"{_cache_key(scope, key)}:{window}"
    if not cache_usable():
        return False
    try:
        cache.add(cache_key, 0, timeout=period + 1)
        count = cache.incr(cache_key)
    except Exception:  # noqa: BLE001 - fail open on any cache trouble
        cache_failed("rate limit")
        return False
    return count > limit


def too_many_attempts(request, *, retry_after: int | None = None):
    """The readable 429 page every limited door answers with."""
    response = render(
        request,
        "429.html",
        {"message": _("Too many attempts. Please wait a few minutes and try again.")},
        status=429,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


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
                        return too_many_attempts(request, retry_after=_rate(rate)[1])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def client_bucket(request) -> str:
    return address_bucket(client_ip(request))


def posted_email(request) -> str:
    """The canonical form of the posted address, so look-alikes share no bucket with it and
    case or a trailing dot make no new one; "" when it has none (the form refuses it)."""
    try:
        return email_canonical(request.POST.get("email") or request.POST.get("username") or "")
    except InvalidEmail:
        return ""


# --- The sign-in limit ------------------------------------------------------------------------
# Failures count, per canonical account (RATELIMIT_SIGNIN_ACCOUNT) and per client address
# (RATELIMIT_SIGNIN_ADDRESS, higher: colleagues share an office's address); a success never
# counts and clears its account's failures. Over either limit, every attempt is refused without
# the password being checked, until the window (counted from the first failure) has passed or
# the person sets a new password through a mailed link. accounts.backends applies it, so the
# portal, the admin and the API token endpoint all share it.


def _signin_buckets(*, account: str, ip: str) -> list[tuple[str, int, int]]:
    buckets = []
    if account:
        buckets.append((_cache_key("signin-account", account), *_rate(settings.RATELIMIT_SIGNIN_ACCOUNT)))
    if ip:
        buckets.append((_cache_key("signin-address", address_bucket(ip)), *_rate(settings.RATELIMIT_SIGNIN_ADDRESS)))
    return buckets


def signin_blocked(*, account: str, ip: str) -> int:
    """0 when a sign-in may be tried; else how many seconds to tell the client to wait."""
    if not settings.RATELIMIT_ENABLED:
        return 0
    buckets = _signin_buckets(account=account, ip=ip)
    if not cache_usable():
        return 0
    try:
        counts = cache.get_many([key for key, _limit, _period in buckets])
    except Exception:  # noqa: BLE001 - fail open on any cache trouble
        cache_failed("sign-in limit")
        return 0
    over = [period for key, limit, period in buckets if int(counts.get(key) or 0) >= limit]
    return max(over, default=0)


def signin_failed(*, account: str, ip: str) -> None:
    """Count one failed sign-in against the account and the client address."""
    if not settings.RATELIMIT_ENABLED:
        return
    for key, _limit, period in _signin_buckets(account=account, ip=ip):
        if not cache_usable():
            return
        try:
            # The window starts at the first failure; incr keeps the key's expiry.
            cache.add(key, 0, timeout=period)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=period)
        except Exception:  # noqa: BLE001 - fail open on any cache trouble
            cache_failed("sign-in limit")


def signin_reset(*, account: str) -> None:
    """Forget an account's failures (a success, or a password set through a mailed link)."""
    if not account or not cache_usable():
        return
    try:
        cache.delete(_cache_key("signin-account", account))
    except Exception:  # noqa: BLE001 - fail open on any cache trouble
        cache_failed("sign-in limit")
