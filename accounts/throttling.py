"""API throttles per user and per client address. They read their rates from settings at call
time and fail open: the cache being down must not stop the API."""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .ratelimit import address_bucket, client_ip
from .resilience import cache_failed, cache_usable

logger = logging.getLogger(__name__)


class _FailOpenThrottle(SimpleRateThrottle):
    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting) or None

    def allow_request(self, request, view):
        if not settings.RATELIMIT_ENABLED or not cache_usable():
            return True
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - fail open on any cache trouble
            cache_failed("API throttle")
            return True

    def get_ident(self, request):
        # The same client address as every other limit (TRUSTED_PROXY_COUNT).
        return address_bucket(client_ip(request))


class UserRateThrottle(_FailOpenThrottle):
    """Per signed-in user (per address for anonymous requests)."""

    scope = "user"
    rate_setting = "API_THROTTLE_USER"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(_FailOpenThrottle):
    """Per client address, whoever is signed in (several tokens from one script share it)."""

    scope = "address"
    rate_setting = "API_THROTTLE_ADDRESS"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
