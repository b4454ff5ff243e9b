"""DRF authentication by API token (accounts.api_tokens): "Authorization: Token <key>" or
"Authorization: Bearer <key>"."""

from typing import TYPE_CHECKING

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .api_tokens import api_token_user

if TYPE_CHECKING:
    from .models import User

KEYWORDS = (b"token", b"bearer")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple["User", None] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        user = api_token_user(key=key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if user.language:
            # As UserLanguageMiddleware does for sessions, which runs before DRF knows the user.
            translation.activate(user.language)
            request._request.LANGUAGE_CODE = user.language
        return user, None

    def authenticate_header(self, request: Request) -> str:
        return "Token"
