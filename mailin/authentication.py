"""Whether the sender of a mail is who the From header says: the receiving mail server's verdict.

Anyone can write any From header. The server that received the mail checks SPF, DKIM and DMARC
and records the results in an Authentication-Results header (RFC 8601) under its own
authserv-id; a server removes such headers that claim its id before adding its own, so only
those with an id we trust (settings.MAILIN_AUTHSERV_IDS) are believed. With none configured,
nothing is known about any sender.
"""

import re

from django.conf import settings

PASS = "pass"
FAIL = "fail"
UNKNOWN = "unknown"

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*(dmarc|dkim|spf)\s*=\s*([a-z]+)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.d|header\.from|header\.i)\s*=\s*([^\s;]+)", re.IGNORECASE)


def _trusted_ids() -> set[str]:
    return {name.strip().lower() for name in settings.MAILIN_AUTHSERV_IDS.split(",") if name.strip()}


def _aligned(domain: str, from_domain: str) -> bool:
    """DMARC's relaxed alignment: the signing domain is the From domain or a parent of it."""
    domain, from_domain = domain.lower().lstrip("@").rstrip("."), from_domain.lower().rstrip(".")
    return bool(domain) and (from_domain == domain or from_domain.endswith("." + domain))


def sender_authentication(*, headers: list[str], from_email: str) -> str:
    """PASS when a trusted server says DMARC passed (or an aligned DKIM signature verified),
    FAIL when it says DMARC failed, UNKNOWN otherwise."""
    trusted = _trusted_ids()
    if not trusted or "@" not in from_email:
        return UNKNOWN
    from_domain = from_email.rpartition("@")[2]
    verdict = UNKNOWN
    for header in headers:
        text = _COMMENT.sub(" ", " ".join(header.split()))
        authserv, _sep, rest = text.partition(";")
        if authserv.strip().split(" ")[0].lower() not in trusted:
            continue
        for resinfo in rest.split(";"):
            match = _RESULT.match(resinfo)
            if match is None:
                continue
            method, result = match.group(1).lower(), match.group(2).lower()
            if method == "dmarc" and result == "fail":
                return FAIL
            if method == "dmarc" and result == "pass":
                verdict = PASS
            if method == "dkim" and result == "pass":
                signers = [
                    value for name, value in _PROPERTY.findall(resinfo) if name.lower() in ("header.d", "header.i")
                ]
                if any(_aligned(signer.rpartition("@")[2], from_domain) for signer in signers):
                    verdict = PASS
    return verdict
