"""SSRF guard for customer-supplied callback URLs (notes B.5, OWASP API7:2023).

Two checks use the same rules: `check_callback_url` when a subscription is created or changed,
and `resolve_target` right before every send. The send path resolves the host ONCE, refuses if
ANY address is disallowed, and then connects to that validated IP (delivery.py pins it while
keeping the Host header, TLS SNI and certificate check on the original name), so a DNS answer
that changes between check and connect (rebinding) can't reach an internal address.

`settings.WEBHOOK_ALLOW_PRIVATE_TARGETS` (local development and tests only) allows http and
non-global addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Explicit blocks on top of "must be is_global": ranges older CPython builds misclassify
# (cpython#113171) and transition prefixes that embed an IPv4 address we can't see through.
_EXTRA_BLOCKED = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4",
    "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "fc00::/7", "fe80::/10", "::/128", "::1/128",
)]


class BlockedDestination(Exception):
    """The URL is not an allowed delivery target. Permanent: retrying won't change the rules."""


def allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)


def address_is_allowed(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local:
        return False
    return not any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str            # as written in the URL (a name, or an IP literal without brackets)
    port: int
    ip: str              # the validated address to connect to
    path_and_query: str

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"

    @property
    def pinned_url(self) -> str:
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{self.scheme}://{ip}:{self.port}{self.path_and_query}"


def _parse(url: str, *, permissive: bool) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedDestination("The URL is malformed.") from exc
    scheme = parts.scheme.lower()
    allowed_schemes = ("https", "http") if permissive else ("https",)
    if scheme not in allowed_schemes:
        raise BlockedDestination("The callback URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise BlockedDestination("The callback URL must not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedDestination("The callback URL has no host.")
    if parts.fragment:
        raise BlockedDestination("The callback URL must not contain a #fragment.")
    if port == 0:  # urlsplit reads ":0" as 0, which `port or default` would turn into 443/80
        raise BlockedDestination("The callback URL's port must be between 1 and 65535.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port if port is not None else (443 if scheme == "https" else 80), path


def _getaddrinfo(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a separate function so tests can simulate rebinding)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        # An IP literal needs no DNS. Odd spellings (2130706433, 0x7f.1) fall through to
        # getaddrinfo, which normalises them, and are then checked like any other answer.
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        raw = _getaddrinfo(host, port)
    except (OSError, UnicodeError) as exc:
        raise BlockedDestination("The callback URL's host name does not resolve.") from exc
    addresses = []
    for value in raw:
        try:
            addresses.append(ipaddress.ip_address(value.split("%", 1)[0]))
        except ValueError as exc:
            raise BlockedDestination("The callback URL's host resolved to an unusable address.") from exc
    if not addresses:
        raise BlockedDestination("The callback URL's host name does not resolve.")
    return addresses


def resolve_target(url: str) -> Target:
    """Parse, resolve once and validate every address; the Target to connect to. Raises BlockedDestination."""
    permissive = allow_private()
    scheme, host, port, path = _parse(url, permissive=permissive)
    addresses = _resolve(host, port)
    if not permissive:
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise BlockedDestination("The callback URL must not point at this machine.")
        bad = [str(ip) for ip in addresses if not address_is_allowed(ip)]
        if bad:
            raise BlockedDestination(
                "The callback URL resolves to a loopback, private, link-local or reserved address.")
    return Target(scheme=scheme, host=host, port=port, ip=str(addresses[0]), path_and_query=path)


def check_callback_url(url: str) -> None:
    """Create/update-time check (same rules as send time). Raises BlockedDestination."""
    if len(url) > 2048:
        raise BlockedDestination("The callback URL is longer than 2048 characters.")
    resolve_target(url)
