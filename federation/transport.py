"""An httpx transport that connects only to addresses the `AddressPolicy` has checked.

The policy's address rules (public addresses only, outside development mode) are applied
where the connection is made: the name is resolved once, every address it resolves to is
checked, and the connection goes to one of those checked addresses. TLS still verifies the
certificate for the name, and SNI and the Host header carry the name. Checking a URL first and
letting the HTTP client resolve the name again to connect would let a DNS server answer a
public address to the check and 127.0.0.1 to the connection (DNS rebinding).

`checked_client()` is the client every fetch and delivery goes through. A refused address
raises `AddressRefused` out of `client.send()`; `Fetcher` and `delivery.attempt` turn it into
their own refusal.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from federation.addresses import AddressPolicy, AddressRefused

PolicySource = Callable[[], AddressPolicy]
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class CheckedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to the addresses `policy()` returns for a name."""

    def __init__(
        self, policy: PolicySource, backend: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.policy = policy
        self.backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.policy().addresses_for(host, port)
        # Every address is checked; try them in turn, as a resolver-driven connect would.
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        if failure is None:
            raise AddressRefused(f"{host} does not resolve")
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool on a `CheckedNetworkBackend`."""

    def __init__(
        self,
        policy: PolicySource,
        verify: ssl.SSLContext | bool = True,
        backend: httpcore.AsyncNetworkBackend | None = None,
        limits: httpx.Limits = LIMITS,
    ) -> None:
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        # No proxies from the environment: the connection must go where the policy checked.
        super().__init__(verify=context, trust_env=False, limits=limits)
        # httpx takes no network backend, so the pool it made is replaced by the same pool
        # on ours (the attribute is the one handle_async_request and aclose use).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheckedNetworkBackend(policy, backend),
        )


def checked_client(
    policy: PolicySource,
    verify: ssl.SSLContext | bool = True,
    backend: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """An httpx client whose connections obey `policy()` (read at every connection, so a
    node may change its policy later)."""
    return httpx.AsyncClient(transport=CheckedTransport(policy, verify, backend))
