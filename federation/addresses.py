"""Which remote URLs a node may talk to: https only, and never to private or reserved addresses.

A remote document can name any URL (an inbox, a key id, a redirect), so without these rules a
stranger could make a node probe its own network (SSRF). The rules apply after DNS
resolution, to every address a name resolves to, on every request and every redirect hop.
The connection itself must go to an address checked in the same lookup (`addresses_for`,
used by `federation.transport`): a name looked up once to check and once more to connect
could answer a public address first and 127.0.0.1 the second time (DNS rebinding).

Development mode (the pilot and the tests switch it on explicitly) lifts both rules, so that
nodes on 127.0.0.1 over plain HTTP can federate; production never does.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to. Injectable, so tests need no DNS.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """A URL is not one a node may contact; `reason` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver, without blocking the event loop."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str | IPAddress) -> bool:
    """True for a globally routable unicast address; False for private, loopback, link-local,
    multicast, reserved, unspecified and shared (CGNAT) space, also when an IPv4 address hides
    inside IPv6 (mapped, 6to4, Teredo). NAT64 (64:ff9b::/96) lies in reserved space and is
    refused as a whole."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour):
            if embedded is not None and not is_public_address(embedded):
                return False
        if ip.teredo is not None and not all(is_public_address(a) for a in ip.teredo):
            return False
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback:
        return False
    if ip.is_link_local or ip.is_private:
        return False
    return ip.is_global


@dataclass(frozen=True)
class AddressPolicy:
    """The rules for outgoing requests; `dev=True` allows http and any address."""

    dev: bool = False
    resolver: Resolver = system_resolver

    async def check(self, url: str) -> None:
        """Raise AddressRefused unless `url` may be contacted under this policy."""
        host, port = self.check_url(url)
        if not self.dev:
            await self.addresses_for(host, port)

    def check_url(self, url: str) -> tuple[str, int]:
        """The rules that need no DNS: scheme, host, no credentials; returns (host, port)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise AddressRefused(f"scheme {scheme or '(none)'} is not allowed")
        if not parts.hostname:
            raise AddressRefused("the URL has no host")
        if parts.username or parts.password:
            raise AddressRefused("URLs with credentials are not allowed")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise AddressRefused("the URL has a bad port") from exc
        if not self.dev and scheme != "https":
            raise AddressRefused("plain http is only allowed in development mode")
        return parts.hostname, port

    async def addresses_for(self, host: str, port: int) -> list[str]:
        """Resolve `host` once and return the addresses to connect to, after checking every
        one; raise AddressRefused if any is not public. Development mode checks nothing and
        returns the name itself, for the system to resolve."""
        if self.dev:
            return [host]
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise AddressRefused(f"{host} does not resolve") from exc
        if not addresses:
            raise AddressRefused(f"{host} does not resolve")
        for address in addresses:
            if not is_public_address(address):
                raise AddressRefused(f"{host} resolves to a non-public address ({address})")
        return list(addresses)
