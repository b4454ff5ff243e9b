"""Endpoint secrets and the signature of each delivery.

A secret is made here, shown to the admin once, and kept encrypted (Fernet: AES-128-CBC with an
HMAC-SHA256 tag) under a key derived from SECRET_KEY, because signing needs the secret itself, not
a hash of it. A database copy alone does not give the secrets away; rotating SECRET_KEY keeps them
readable while the old key is in SECRET_KEY_FALLBACKS.

The signature: hex HMAC-SHA256 with the secret over `<timestamp>.<body>`, the timestamp being the
Unix time of the attempt, so a receiver can refuse an old message played again.
"""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"


def secret_generate() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet_key(secret_key: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk webhooks endpoint secret")
    return base64.urlsafe_b64encode(derived.derive(secret_key.encode()))


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


class SecretUnreadable(Exception):
    """The stored secret was encrypted under a key that is no longer configured."""


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("the endpoint's secret was encrypted with another SECRET_KEY") from exc


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """What the X-Helpdesk-Signature header carries after "sha256="."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
