"""The authentication backend every sign-in door goes through (portal, admin, API token)."""

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .identity import InvalidEmail, email_canonical
from .ratelimit import client_ip, signin_blocked, signin_failed, signin_reset

if TYPE_CHECKING:
    from .models import User


class SignInLimited(PermissionDenied):
    """Too many failed sign-ins for this account or from this address."""


class RateLimitedModelBackend(ModelBackend):
    """ModelBackend behind the sign-in limit (accounts.ratelimit). While the account or the
    client address is over it, the password is not even checked: django.contrib.auth's
    authenticate() stops at the PermissionDenied and answers None, and the door reads
    request.signin_limited (seconds to wait) to answer 429 instead of "wrong password"."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> "User | None":
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            account = email_canonical(username)
        except InvalidEmail:
            account = ""
        ip = client_ip(request) if request is not None else ""
        wait = signin_blocked(account=account, ip=ip)
        if wait:
            if request is not None:
                # Not an HttpRequest attribute: the doors read it back with getattr(request, "signin_limited", 0).
                request.signin_limited = wait  # type: ignore[attr-defined]
            raise SignInLimited
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            signin_failed(account=account, ip=ip)
        else:
            signin_reset(account=account)
        return user
