"""The HTTP side a node's federation runtime shares, kern or gemeente: one client for
fetches and deliveries, its address policy, and a transport that tests can replace."""

from __future__ import annotations

import httpx

from federation.addresses import AddressPolicy
from federation.fetch import Fetcher


class RemoteClient:
    """Mixed into a runtime that sets `transport`, `_tls` and `fetcher` in its __init__."""

    transport: httpx.AsyncBaseTransport | None
    fetcher: Fetcher

    @staticmethod
    def tls_context():
        # Loading the CA bundle costs a tenth of a second: once per app, not once per client.
        return httpx.create_ssl_context()

    @property
    def policy(self) -> AddressPolicy:
        return self.fetcher.policy

    @policy.setter
    def policy(self, value: AddressPolicy) -> None:
        self.fetcher.policy = value

    def use_transport(self, transport: httpx.AsyncBaseTransport) -> None:
        """Send fetches and deliveries through `transport` (tests: an httpx.MockTransport)."""
        self.transport = transport
        self.fetcher.client = self._client()

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, verify=self._tls)

    async def aclose(self) -> None:
        await self.fetcher.client.aclose()
