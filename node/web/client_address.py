"""Who is asking: the visitor's own address, also behind the reverse proxy of deploy/.

Caddy, nginx and the container's port forward all reach the node from one address, so
without this every resident would share one limit per address. A proxy passes the
visitor's address in X-Forwarded-For (Caddy, nginx in deploy/) or X-Real-IP; anyone can
send those headers, so they are believed only when the connection itself comes from an
address named in the `trusted_proxies` setting. Otherwise the socket peer is the client.

Written out rather than taken from uvicorn's ProxyHeadersMiddleware: that one reads no
X-Real-IP, and it silently treats a mistyped entry of its trusted list as a host name,
where a mistyped setting here stops the node with one clear line.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from node.addresses import Network, address_group, ip_address, is_trusted, parse_trusted_proxies


def visitor_address(request: Request) -> str:
    """The visitor's address as limits count it (set by ClientAddressMiddleware)."""
    return address_group(request.client.host if request.client else "unknown")


def forwarded_client(
    forwarded_for: list[str], real_ip: str | None, trusted: tuple[Network, ...]
) -> str | None:
    """The visitor's address from a trusted proxy's headers; None when they name none.

    Every proxy appends the address it got the request from, so X-Forwarded-For is read from
    the right: the first address that is not one of our own proxies is the visitor. What
    comes before it was written by the visitor and could say anything. A value that is not
    an address stops the reading: then the headers are not believed at all.
    """
    entries = [entry for value in forwarded_for for entry in value.split(",")]
    if entries:
        for entry in reversed(entries):
            address = ip_address(entry)
            if address is None:
                return None
            if not any(address in network for network in trusted):
                return str(address)
        # Only our own proxies: the request came from one of them.
        return str(ip_address(entries[0]))
    if real_ip is not None:
        address = ip_address(real_ip)
        return None if address is None else str(address)
    return None


class ClientAddressMiddleware:
    """Sets scope["client"] (and the scheme) from a trusted proxy's headers.

    Everything after it, the limits per address and the login attempts, reads
    request.client and so gets the visitor, not the proxy.
    """

    def __init__(self, app: ASGIApp, trusted_proxies: str) -> None:
        self.app = app
        self.trusted = parse_trusted_proxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted:
            peer = scope.get("client")
            if peer and is_trusted(peer[0], self.trusted):
                self._from_proxy(scope)
        await self.app(scope, receive, send)

    def _from_proxy(self, scope: Scope) -> None:
        forwarded_for: list[str] = []
        real_ip = proto = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"x-real-ip":
                real_ip = value.decode("latin-1")
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").strip().lower()
        client = forwarded_client(forwarded_for, real_ip, self.trusted)
        if client is not None:
            scope["client"] = (client, 0)
        if proto in ("http", "https"):
            scope["scheme"] = proto
