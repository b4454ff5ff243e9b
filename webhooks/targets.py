"""Where a webhook may be sent: http(s) only, to a host whose every address is public.

A URL whose host resolves to a private, loopback, link-local, multicast, reserved or unspecified
address (IPv4 or IPv6, IPv4-mapped, 6to4 and Teredo included) is refused, unless the host is
named in WEBHOOKS_ALLOWED_HOSTS. The check runs when an endpoint is saved and again at every
send, where the connection goes to an address that was just checked (never to a second lookup,
which a rebinding DNS server could answer differently); redirects are never followed.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import idna
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SCHEMES = {"http": 80, "https": 443}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(ValueError):
    """The URL may not be sent to; the message says why, for the admin."""


@dataclass(frozen=True)
class Target:
    url: SplitResult
    host: str
    port: int
    addresses: tuple[str, ...]  # checked, in the resolver's order

    @property
    def https(self) -> bool:
        return self.url.scheme == "https"

    @property
    def path(self) -> str:
        return (self.url.path or "/") + (f"?{self.url.query}" if self.url.query else "")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = [address.sixtofour]
    if address.teredo:
        embedded.extend(address.teredo)
    # NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if address in ipaddress.ip_network("64:ff9b::/96"):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in embedded if a is not None]


def address_is_public(address: Address) -> bool:
    """Whether sending to this address cannot reach the operator's own network."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_is_public(address.ipv4_mapped)  # the socket reaches the IPv4 address
    if isinstance(address, ipaddress.IPv6Address) and any(not address_is_public(a) for a in _embedded_ipv4(address)):
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global  # e.g. 100.64.0.0/10, shared address space
    )


def host_allowed_private(host: str) -> bool:
    """Whether an admin named this host in WEBHOOKS_ALLOWED_HOSTS."""
    wanted = host.lower().rstrip(".")
    return any(wanted == str(name).strip().lower().rstrip(".") for name in settings.WEBHOOKS_ALLOWED_HOSTS)


def _split(url: str) -> tuple[SplitResult, str, int]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(_("Enter a valid URL.")) from exc
    if parts.scheme not in SCHEMES:
        raise RefusedTarget(_("Only http:// and https:// addresses can receive webhooks."))
    if not parts.hostname:
        raise RefusedTarget(_("Enter a valid URL."))
    if parts.username or parts.password:
        raise RefusedTarget(
            _("Put no user name or password in the address: the signature tells the receiver it is us.")
        )
    host = parts.hostname
    if not host.isascii():
        # Resolved and named in the Host header as its A-label (xn--…), as a browser would.
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise RefusedTarget(_("Enter a valid URL.")) from exc
    return parts, host, port or SCHEMES[parts.scheme]


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedTarget(_("The host name %(host)s could not be found.") % {"host": host}) from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        if str(sockaddr[0]) not in addresses:
            addresses.append(str(sockaddr[0]))
    return addresses


def target_check(url: str) -> Target:
    """The URL's host resolved now and every address checked; RefusedTarget otherwise."""
    parts, host, port = _split(url)
    addresses = _resolve(host, port)
    if not addresses:
        raise RefusedTarget(_("The host name %(host)s could not be found.") % {"host": host})
    if not (host_allowed_private(host) or host_allowed_private(parts.hostname or "")):
        for text in addresses:
            # A scoped IPv6 address ("fe80::1%eth0") is link-local whatever its scope.
            if not address_is_public(ipaddress.ip_address(text.split("%", 1)[0])):
                raise RefusedTarget(
                    _(
                        "%(host)s resolves to a private, loopback or link-local address (%(address)s): webhooks are "
                        "only sent to public addresses unless an administrator allows the host by name."
                    )
                    % {"host": host, "address": text}
                )
    return Target(url=parts, host=host, port=port, addresses=tuple(addresses))


def validate_webhook_url(value: str) -> None:
    """The model field's validator: the same check as at send, as a field error."""
    try:
        target_check(value)
    except RefusedTarget as exc:
        raise ValidationError(str(exc), code="refused_target") from exc
