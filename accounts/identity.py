"""Who an address is: the one rule that turns an e-mail address into the form we store and compare.

Addresses used to be matched with `iexact`, and PostgreSQL's UPPER() folds the dotless "ı" to "I"
and the long "ſ" to "S": mail from sam@kıss-support.example (another domain, which an attacker can
own) was filed as the agent sam@kiss-support.example. Python's re.IGNORECASE does the same to
Django's EmailValidator, which lets "İ", "ı", "ſ" and the Kelvin sign "K" through in a local part.
So the canonical form is pure ASCII, and every lookup compares it exactly.
"""

from typing import TYPE_CHECKING

import idna
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

if TYPE_CHECKING:
    from .models import User

# What the `email` column holds (Django's EmailField).
MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """An address that has no canonical form; it can match no account."""


def email_canonical(address: str) -> str:
    """The canonical form of an address: surrounding whitespace removed; the local part pure
    ASCII, lower-cased; the domain without one trailing dot, its ASCII letters lower-cased, then
    IDNA 2008 (strict, no UTS 46 mapping) encoded. Raises InvalidEmail when there is none."""
    if not isinstance(address, str):
        raise InvalidEmail("not a string")
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmail("an address needs a local part and a domain")
    if not local.isascii():
        # Django's validator would let look-alikes of ASCII letters through here (see above).
        raise InvalidEmail("the part before the @ must be plain ASCII")
    if '"' in local or "\\" in local:
        # A quoted local part ("carla"@x) names the same mailbox as carla@x for most servers, but
        # would be a second account here: nobody needs one to reach a help desk.
        raise InvalidEmail("quoted addresses are not accepted")
    if domain.endswith("."):
        domain = domain[:-1]
    domain = "".join(c.lower() if c.isascii() else c for c in domain)
    if domain.startswith("["):
        # A domain literal ("user@[192.0.2.1]"): nobody writes to a help desk from one.
        raise InvalidEmail("an IP address is not accepted as the domain")
    try:
        # Not Python's "idna" codec: it is IDNA 2003 (nameprep), which maps "ſ" to "s".
        domain = idna.encode(domain, strict=True, uts46=False).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as error:
        raise InvalidEmail(f"the domain is not valid: {error}") from error
    canonical = f"{local.lower()}@{domain}"
    if len(canonical) > MAX_LENGTH:
        raise InvalidEmail("the address is too long")
    try:
        # All ASCII now, so the validator's case-insensitive patterns mean what they say.
        validate_email(canonical)
    except ValidationError as error:
        raise InvalidEmail("not a valid e-mail address") from error
    return canonical


def user_by_email(*, address: str, active_only: bool = False) -> "User | None":
    """The account this address belongs to, by its canonical form, compared exactly; None for an
    address with no canonical form or no account. Every door that turns an address into a person
    calls this."""
    from .models import User

    try:
        canonical = email_canonical(address)
    except InvalidEmail:
        return None
    people = User.objects.filter(email=canonical)
    if active_only:
        people = people.filter(is_active=True)
    return people.first()
