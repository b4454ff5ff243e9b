"""API tokens: made and revoked by their owner (profile page, POST /api/v1/auth/token/), revoked by
admins; only a hash is kept."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken, User

PREFIX_LENGTH = 8
# Refreshing last_used_at on every request would be a write per API call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenLimitReached(Exception):
    """The owner already has API_TOKEN_MAX_PER_USER usable tokens."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token and its key; the key is shown this once and never stored."""
    if api_tokens_usable(user=user).count() >= settings.API_TOKEN_MAX_PER_USER:
        raise ApiTokenLimitReached
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API",
        key_prefix=key[:PREFIX_LENGTH],
        key_hash=_hash(key),
        created_at=now,
        expires_at=now + timedelta(days=settings.API_TOKEN_DAYS),
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke a token; False when it was already revoked."""
    now = timezone.now()
    done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if done:
        token.revoked_at = now
    return bool(done)


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_tokens_usable(*, user: User) -> QuerySet[ApiToken]:
    return api_tokens_of(user=user).filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def api_token_user(*, key: str) -> User | None:
    """The active user a key belongs to, if the token is neither expired nor revoked. The row
    is found by the key's prefix and its hash compared in constant time."""
    if not key or len(key) > 200:
        return None
    digest = _hash(key)
    now = timezone.now()
    for token in ApiToken.objects.filter(key_prefix=key[:PREFIX_LENGTH]).select_related("user"):
        if not hmac.compare_digest(token.key_hash, digest):
            continue
        if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
            return None
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user
    return None
