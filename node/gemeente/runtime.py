"""The gemeente's federation at run time: the objects `federation/` needs, wired once per app.

`GemeenteFederation` holds the gemeente's identity, the address policy (development mode
allows http and loopback), a fetcher that signs its GETs, the cache of kern keys, the inbox
with the aggregator's handlers, and two background jobs:

* delivery (`DELIVERY_TICK`): sends the Follows (and later reacties) the moment a write
  queued one, and otherwise does a round every `DELIVERY_INTERVAL` seconds;
* pull (`PULL_TICK`): catches up with every accepted kern whose turn has come
  (`pull_interval_seconds`), at once after a kern accepted, several kernen at a time.

Jobs run in worker threads, each round on an event loop of its own, so they make their own
HTTP clients; the inbox and the "ophalen" button use the app's.

Protocol bookkeeping (deliveries, seen ids, cached keys, pull positions) is written through
`QuietStore`, which leaves the page cache alone; what changes a page (the read model) bumps
the data version itself (`readmodel.touch`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

import httpx

from federation import delivery, follows
from federation.addresses import AddressPolicy
from federation.fetch import Fetcher
from federation.follows import FollowRules
from federation.inbox import Inbox, InboxRequest, InboxResponse
from federation.jsonld import Contexts
from federation.keycache import KeyCache
from federation.knocking import DoubleKnockAuth, SchemeMemory
from federation.moves import receive_offering_moves_again
from federation.store import utcnow
from node.db import Database
from node.gemeente import handlers as gemeente_handlers
from node.gemeente import identity as gemeente_identity
from node.gemeente import kernen, pull
from node.jobs import Job
from node.remote_client import DELIVERY_INTERVAL, DELIVERY_TICK, QuietStore, RemoteClient
from node.settings import Settings

PULL_TICK = 0.5
PULL_CONCURRENCY = 8


class GemeenteFederation(RemoteClient):
    """The aggregator's federation objects. Tests may pass `transport` and `policy`."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        policy: AddressPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.db = db
        self.identity = gemeente_identity.load_identity(settings)
        self.routes = gemeente_identity.routes(settings)
        self.store = QuietStore(db)
        # RFC 9421 first, draft-cavage for a host that refuses it (federation/knocking.py).
        self.auth = DoubleKnockAuth(self.identity.http_auth, SchemeMemory(self.store))
        self.transport = transport
        self._tls = self.tls_context()
        self.fetcher = Fetcher(self._client(), policy or AddressPolicy(dev=settings.dev), self.auth)
        # Development mode never fetches contexts from the internet (federation/jsonld.py).
        self.contexts = Contexts(fetching=not settings.dev)
        self.keys = KeyCache(self.store, self.fetcher, contexts=self.contexts)
        # Set when a write queued deliveries, and when a kern accepted (pull it at once).
        self.queued = threading.Event()
        self.pull_wanted = threading.Event()
        table = follows.default_handlers(FollowRules())
        self.handlers = gemeente_handlers.register(table, self.keys, self.pull_wanted.set)
        self.inbox = Inbox(self.store, self.identity, self.keys, self.handlers)
        self._last_round = float("-inf")

    # --- wiring ---

    @property
    def dev(self) -> bool:
        return self.settings.dev

    @property
    def pull_interval(self) -> timedelta:
        return timedelta(seconds=self.settings.pull_interval_seconds)

    @property
    def scheme(self) -> str:
        return self.settings.public_url.split("://", 1)[0]

    # --- receiving ---

    async def receive(self, request: InboxRequest, now: datetime | None = None) -> InboxResponse:
        now = now or utcnow()
        # A Move whose target is not known yet: fetched, and the Move offered again.
        response = await receive_offering_moves_again(self.inbox, self.keys, request, now)
        if response.dispatched:
            self.queued.set()  # a reply (an Accept of someone's Follow) may be waiting
        elif response.status == 403 and gemeente_handlers.is_noted(response.reason):
            self.store.write(self._note_refusal, response, now)
        return response

    @staticmethod
    def _note_refusal(conn: sqlite3.Connection, response: InboxResponse, now: datetime) -> None:
        kern = kernen.by_actor(conn, response.actor_id or "")
        if kern is not None:
            kernen.note_refused(
                conn, kern["id"], response.activity_id or "", response.reason, "push", now
            )

    # --- delivering ---

    def delivery_job(self) -> Job:
        return Job("federation", DELIVERY_TICK, self.tick)

    def tick(self) -> delivery.Report | None:
        """The worker job: a round when a write queued something, or when one is due."""
        moment = time.monotonic()
        if not self.queued.is_set() and moment - self._last_round < DELIVERY_INTERVAL:
            return None
        self.queued.clear()
        self._last_round = moment
        return asyncio.run(self.deliver())

    async def deliver(self, now: datetime | None = None) -> delivery.Report:
        """Send every due delivery, and what comes due meanwhile; then tidy up now and then."""
        total = await self.deliver_due(now)
        self.prune(now or utcnow())
        return total

    # --- pulling ---

    def pull_job(self) -> Job:
        return Job("pull", PULL_TICK, self.pull_tick)

    def pull_tick(self) -> list[pull.PullReport]:
        """The worker job: pull every kern whose turn has come (cheap when none has)."""
        self.pull_wanted.clear()
        now = utcnow()
        due = kernen.due_for_pull(self.db.read(), now)
        if not due:
            return []
        return asyncio.run(self.pull_many(due, now))

    async def pull_many(
        self, kern_ids: Iterable[int], now: datetime | None = None
    ) -> list[pull.PullReport]:
        """Pull several kernen at once, with a client of this event loop's own."""
        now = now or utcnow()
        limit = asyncio.Semaphore(PULL_CONCURRENCY)
        async with self._client() as client:
            fetcher = Fetcher(client, self.policy, self.auth)
            keys = KeyCache(self.store, fetcher, contexts=self.contexts)

            async def one(kern_id: int) -> pull.PullReport:
                async with limit:
                    report = await pull.pull(
                        self.store,
                        fetcher,
                        keys,
                        kern_id,
                        now,
                        interval=self.pull_interval,
                        identity=self.identity,
                    )
                    if report.moved_to:
                        self.queued.set()  # the Follow of the kern's new actor
                    return report

            return list(await asyncio.gather(*(one(kern_id) for kern_id in kern_ids)))

    async def pull_now(self, kern_id: int, now: datetime | None = None) -> pull.PullReport:
        """One kern, on demand (the "ophalen" button), on the app's own client."""
        report = await pull.pull(
            self.store,
            self.fetcher,
            self.keys,
            kern_id,
            now or utcnow(),
            interval=self.pull_interval,
            identity=self.identity,
        )
        if report.moved_to:
            self.queued.set()  # the Follow of the kern's new actor
        return report
