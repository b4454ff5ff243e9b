"""API throttles per user and per client address. They read their rates from settings at call
time and fail open: the cache being down must not stop the API."""

import logging
import math
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .ratelimit import address_bucket, client_ip
from .resilience import cache_failed, cache_usable

if TYPE_CHECKING:  # rest_framework.views imports this module (DEFAULT_THROTTLE_CLASSES)
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class _FailOpenThrottle(SimpleRateThrottle):
    rate_setting = ""
    # Set by SimpleRateThrottle.__init__ from parse_rate (the stubs leave them out); a throttle
    # without a rate never gets as far as wait().
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting) or None

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        if not settings.RATELIMIT_ENABLED or not cache_usable():
            return True
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - fail open on any cache trouble
            cache_failed("API throttle")
            return True

    def get_ident(self, request: "Request") -> str:
        # The same client address as every other limit (TRUSTED_PROXY_COUNT).
        return address_bucket(client_ip(request))

    def wait(self) -> float:
        """Whole seconds until one more request is allowed, at least 1. DRF's own answer is None
        once the history holds more than the rate allows (the rate was lowered, or requests
        raced past it), and a 429 without Retry-After leaves a client guessing."""
        if not self.history:
            return self.duration
        # The history is newest first; one more request fits once all but num_requests - 1 of
        # them have left the window, i.e. when entry num_requests - 1 expires.
        index = min(max(self.num_requests - 1, 0), len(self.history) - 1)
        remaining: float = self.history[index] + self.duration - self.now
        return max(1, math.ceil(min(remaining, self.duration)))


class UserRateThrottle(_FailOpenThrottle):
    """Per signed-in user (per address for anonymous requests)."""

    scope = "user"
    rate_setting = "API_THROTTLE_USER"

    def get_cache_key(self, request: "Request", view: "APIView") -> str:
        ident: object
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(_FailOpenThrottle):
    """Per client address, whoever is signed in (several tokens from one script share it)."""

    scope = "address"
    rate_setting = "API_THROTTLE_ADDRESS"

    def get_cache_key(self, request: "Request", view: "APIView") -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
