"""The authentication backend every sign-in door goes through (portal, admin, API token)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from .identity import InvalidEmail, email_canonical
from .ratelimit import client_ip, signin_blocked, signin_failed, signin_reset


class SignInLimited(PermissionDenied):
    """Too many failed sign-ins for this account or from this address."""


class RateLimitedModelBackend(ModelBackend):
    """ModelBackend behind the sign-in limit (accounts.ratelimit). While the account or the
    client address is over it, the password is not even checked: django.contrib.auth's
    authenticate() stops at the PermissionDenied and answers None, and the door reads
    request.signin_limited (seconds to wait) to answer 429 instead of "wrong password"."""

    def authenticate(self, request, username=None, password=None, **kwargs):
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
                request.signin_limited = wait
            raise SignInLimited
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            signin_failed(account=account, ip=ip)
        else:
            signin_reset(account=account)
        return user
