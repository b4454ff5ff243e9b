"""Signed, single-use links to set a password."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

if TYPE_CHECKING:
    from .models import User


class AccountClaimTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token (it covers the password hash, so setting a password spends it) with
    its own salt, so a claim link is no reset link, and its own lifetime: a caller may read the
    confirmation of their request days later (ACCOUNT_CLAIM_LINK_DAYS)."""

    key_salt = "accounts.tokens.AccountClaimTokenGenerator"

    def check_token(self, user: "User | None", token: str | None) -> bool:
        # Django's check_token, with ACCOUNT_CLAIM_LINK_DAYS instead of PASSWORD_RESET_TIMEOUT.
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token):
                break
        else:
            return False
        lifetime: int = settings.ACCOUNT_CLAIM_LINK_DAYS * 24 * 3600
        return self._num_seconds(self._now()) - timestamp <= lifetime


account_claim_token_generator = AccountClaimTokenGenerator()
