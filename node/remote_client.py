"""What a node's federation runtime shares, kern or gemeente: one client for fetches and
deliveries, its address policy and a transport that tests can replace, the store whose writes
leave the page cache alone, and the delivery round with its tidying up."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Container
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from federation import delivery
from federation.addresses import AddressPolicy
from federation.fetch import Fetcher
from federation.store import timestamp
from federation.transport import checked_client
from node.db import Database
from node.settings import Settings

T = TypeVar("T")
DELIVERY_TICK = 0.2
DELIVERY_INTERVAL = 2.0
# Jobs in flight at once, one per inbox, each claimed as a slot frees: few, so a worker
# killed mid-round holds few leases.
DELIVERY_SLOTS = 10
PRUNE_INTERVAL = 3600.0
# Replays older than the hour of allowed clock skew fail the signature check anyway.
KEEP_SEEN = timedelta(days=2)
KEEP_FINISHED_DELIVERIES = timedelta(days=30)


class QuietStore:
    """A `federation.store.Store` over the node's Database whose writes keep the page cache."""

    def __init__(self, db: Database):
        self.db = db

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.db.write_quiet(fn, *args, **kwargs)

    def read(self) -> sqlite3.Connection:
        return self.db.read()


def retry_schedule(settings: Settings) -> delivery.RetrySchedule:
    """The protocol's retries (1 minute ... 24 hours), or for tests and the pilot a short
    backoff from `delivery_retry_seconds` that keeps trying just as long."""
    if settings.delivery_retry_seconds:
        return delivery.quick_retries(timedelta(seconds=settings.delivery_retry_seconds))
    return delivery.PROTOCOL_RETRIES


class RemoteClient:
    """Mixed into a runtime that sets `settings`, `transport`, `_tls`, `fetcher`, `store` and
    `auth` in its __init__."""

    settings: Settings
    transport: httpx.AsyncBaseTransport | None
    fetcher: Fetcher
    store: QuietStore
    auth: httpx.Auth
    _last_prune: float = float("-inf")
    _claims_checked: bool = False

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
        if self.transport is not None:
            return httpx.AsyncClient(transport=self.transport)
        # The policy is read at each connection: tests and dev mode may set it later.
        return checked_client(lambda: self.policy, verify=self._tls)

    async def aclose(self) -> None:
        await self.fetcher.client.aclose()

    def new_fetcher(self) -> Fetcher:
        """An unsigned Fetcher under this node's policy on a client of its own, for a job that
        runs its own event loop (a client belongs to one loop); the caller closes its client."""
        return Fetcher(self._client(), self.fetcher.policy)

    # --- delivering ---

    async def deliver_due(
        self,
        now: datetime | None = None,
        retry_refusals_from: Container[str] = frozenset(),
        before_claim: Callable[[datetime], object] | None = None,
    ) -> delivery.Report:
        """Send every due delivery, and what comes due meanwhile, on a client of this event
        loop's own, each inbox in a lane of its own (`delivery.deliver_due`); a refusal from
        an inbox in `retry_refusals_from` is retried (delivery.held)."""
        if not self._claims_checked:
            # The first round after a start: a worker killed mid-round left its claims.
            self._claims_checked = True
            self.store.write(delivery.release_dead_claims)
        async with self._client() as client:
            return await delivery.deliver_due(
                self.store,
                self.auth,
                client,
                now,
                policy=self.policy,
                slots=DELIVERY_SLOTS,
                retry_refusals_from=retry_refusals_from,
                retries=retry_schedule(self.settings),
                deadline=self.settings.delivery_timeout_seconds,
                before_claim=before_claim,
            )

    def prune(self, now: datetime) -> None:
        """Forget finished deliveries and old seen ids, at most once per PRUNE_INTERVAL."""
        moment = time.monotonic()
        if moment - self._last_prune < PRUNE_INTERVAL:
            return
        self._last_prune = moment

        def prune(conn: sqlite3.Connection) -> None:
            delivery.prune(conn, now - KEEP_FINISHED_DELIVERIES)
            conn.execute(
                "DELETE FROM federation_seen WHERE received_at < ?",
                (timestamp(now - KEEP_SEEN),),
            )

        self.store.write(prune)
