"""The kern's federation at run time: the objects `federation/` needs, wired once per app.

`KernFederation` holds the publisher (keys and the publishing hook, made by open_database), the
address policy (development mode allows http and loopback), a fetcher that signs its GETs, the
cache of remote keys, the inbox with its handler table, and the delivery job.

Every write federation makes on its own (claiming and recording deliveries, de-duplicating
received activities, caching remote keys, following) goes through `QuietStore`: it leaves the
data version, and so the page cache, alone.

Delivery runs as a worker job (node/web/worker.py): it looks every `DELIVERY_TICK` seconds
whether a write queued something (`Publisher.queued`) and otherwise does a full round every
`DELIVERY_INTERVAL` seconds. A round lasts while deliveries are in flight and sends what is
queued meanwhile at once, each inbox in a lane of its own, so a published change leaves within
a fraction of a second even while a follower does not answer, and the write that published it
never waits for the network.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime

import httpx

from federation import delivery, follows
from federation.actors import RemoteActor
from federation.addresses import AddressPolicy
from federation.fetch import Fetcher
from federation.follows import FollowDecision, FollowRules
from federation.inbox import Inbox, InboxRequest, InboxResponse
from federation.jsonld import Contexts
from federation.keycache import KeyCache
from federation.knocking import DoubleKnockAuth, SchemeMemory
from federation.moves import receive_offering_moves_again
from federation.store import timestamp, utcnow
from node.db import Database
from node.jobs import Job
from node.kern.federation import actor as kern_actor
from node.kern.federation import publishing, received
from node.kern.federation.publishing import Publisher
from node.kern.moving import handover, moving_in
from node.remote_client import DELIVERY_INTERVAL, DELIVERY_TICK, QuietStore, RemoteClient
from node.settings import Settings


class KernFederation(RemoteClient):
    """One kern's federation objects. Tests may replace `transport` and `policy`."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        publisher: Publisher,
        *,
        policy: AddressPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.db = db
        self.publisher = publisher
        self.store = QuietStore(db)
        # RFC 9421 first, draft-cavage for a host that refuses it (federation/knocking.py).
        self.auth = DoubleKnockAuth(self._http_auth, SchemeMemory(self.store))
        self.transport = transport
        self._tls = self.tls_context()
        self.fetcher = Fetcher(self._client(), policy or AddressPolicy(dev=settings.dev), self.auth)
        # Development mode never fetches contexts from the internet (federation/jsonld.py).
        self.contexts = Contexts(fetching=not settings.dev)
        self.keys = KeyCache(self.store, self.fetcher, contexts=self.contexts)
        trusted = frozenset({settings.gemeente_actor} - {""})
        rules = FollowRules(self._follow_policy, trusted)
        handlers = follows.default_handlers(rules)
        # A follower that took this kern's Move gets what was held for it (node/kern/moving/moving_in.py).
        handlers.register("Follow", lambda ctx: moving_in.handle_follow(ctx, rules))
        self.handlers = received.register(handlers, settings)
        self.inbox = Inbox(self.store, publisher.identity, self.keys, self.handlers)
        self._last_round = float("-inf")

    # --- wiring ---

    def _http_auth(self, scheme: str) -> httpx.Auth:
        # The key now on disk: a key rotation takes effect without a restart.
        return self.publisher.identity.http_auth(scheme)

    def _follow_policy(self, conn: sqlite3.Connection, actor: RemoteActor) -> FollowDecision:
        manual = kern_actor.follow_approval(conn, self.settings) == "manual"
        return "pending" if manual else "accept"

    @property
    def scheme(self) -> str:
        return self.settings.public_url.split("://", 1)[0]

    # --- receiving ---

    async def receive(self, request: InboxRequest, now: datetime | None = None) -> InboxResponse:
        # Replies (Accept, Reject) are signed with the key now on disk, also after a rotation.
        self.inbox.identity = self.publisher.identity
        # A Move whose target is not known yet: fetched, and the Move offered again.
        response = await receive_offering_moves_again(self.inbox, self.keys, request, now)
        if response.dispatched:
            self.publisher.queued.set()  # a reply (Accept, Reject) may be waiting
        return response

    # --- delivering ---

    def delivery_job(self) -> Job:
        return Job("federation", DELIVERY_TICK, self.tick)

    @property
    def round_interval(self) -> float:
        retry = self.settings.delivery_retry_seconds
        return min(DELIVERY_INTERVAL, retry) if retry else DELIVERY_INTERVAL

    def tick(self) -> delivery.Report | None:
        """The worker job: a round when a write queued something, or when one is due."""
        now = time.monotonic()
        if not self.publisher.queued.is_set() and now - self._last_round < self.round_interval:
            return None
        self.publisher.queued.clear()
        self._last_round = now
        return asyncio.run(self.deliver())

    async def deliver(self, now: datetime | None = None) -> delivery.Report:
        """One round: publish berichten that came due, send every due delivery (and what
        comes due while the round runs), tidy up."""
        moment = now or utcnow()
        self._prepare(moment)
        total = delivery.Report()
        if self._has_due(moment):
            held = moving_in.held_inboxes(self.db.read())
            total = await self.deliver_due(now, held, before_claim=self._prepare)
        self.prune(moment)
        return total

    def _prepare(self, now: datetime) -> None:
        """Before each look for due deliveries: what became due is queued, and an exported
        node holds back what it queued after the export."""
        self._publish_due(now)
        if handover.exported_at(self.db.read()):
            # Exported to move: the new node publishes; this one sends its Move and retries.
            self.store.write(handover.hold_back_deliveries, now)

    def _has_due(self, now: datetime) -> bool:
        # A cheap look (the queue's own due index) before a client is made for a round.
        found = self.db.one(
            """SELECT 1 FROM federation_deliveries
               WHERE status = 'pending' AND next_try_at <= ? LIMIT 1""",
            (timestamp(now),),
        )
        return found is not None

    def _publish_due(self, now: datetime) -> None:
        due = publishing.next_due(self.db.read())
        if due is not None and due <= timestamp(now):
            # A plain write: the outbox (a cached page) changes with it.
            self.db.write(publishing.publish_due, self.publisher, now)
            self.publisher.queued.set()
