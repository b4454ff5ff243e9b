"""POST /api/v1/auth/token/: an e-mail address and a password for a new API token, shown once.
It goes through the sign-in limit like every other sign-in door."""

from typing import Any

from django.contrib.auth import authenticate
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .api_tokens import ApiTokenLimitReached, api_token_create
from .identity import InvalidEmail, email_canonical


@extend_schema_serializer(
    examples=[OpenApiExample("Sign in", value={"email": "you@example.org", "password": "…", "name": "nightly export"})]
)
class TokenObtainIn(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, default="API")

    def validate_email(self, value: str) -> str:
        try:
            return email_canonical(value)
        except InvalidEmail:
            raise serializers.ValidationError(EmailValidator.message) from None


class TokenObtainOut(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="The key: send it as 'Authorization: Token <key>'. Shown only this once.")
    name = serializers.CharField()
    key_prefix = serializers.CharField()
    expires_at = serializers.DateTimeField()


@extend_schema(request=TokenObtainIn, responses={201: TokenObtainOut}, auth=[])
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def token_obtain(request: Request) -> Response:
    """A new API token for your e-mail address and password, shown only in this answer (only a
    hash is kept). Wrong credentials and unknown addresses get the same 400; repeated failures
    are limited like every sign-in (429 with Retry-After). Revoke tokens on your profile page."""
    data = TokenObtainIn(data=request.data)
    data.is_valid(raise_exception=True)
    # The Django request: the sign-in limit marks it (accounts.backends).
    django_request = request._request
    user = authenticate(django_request, username=data.validated_data["email"], password=data.validated_data["password"])
    wait = getattr(django_request, "signin_limited", 0)
    if wait:
        raise Throttled(wait=wait, detail=_("Too many attempts. Please wait a few minutes and try again."))
    if user is None:
        raise ValidationError({"detail": _("The e-mail address or the password is not correct.")})
    try:
        token, key = api_token_create(user=user, name=data.validated_data["name"])
    except ApiTokenLimitReached:
        raise ValidationError({"detail": _("You have too many tokens: revoke one you no longer use first.")}) from None
    body = {"token": key, "name": token.name, "key_prefix": token.key_prefix, "expires_at": token.expires_at}
    return Response(TokenObtainOut(body).data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "'Token <key>' or 'Bearer <key>'; make one on your profile page or at /api/v1/auth/token/.",
        }
