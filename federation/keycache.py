"""Remote actors and their public keys: fetched once, kept in SQLite, parsed once in memory.

An inbox verifies every request against the sender's key, so the key must be at hand: the
memory cache holds parsed key objects (no PEM parsing per request), the database keeps them
across restarts, and a fetch fills both. When a signature fails with a cached key the inbox may
ask for a `refetch` (the sender may have rotated its key), at most once per
`refetch_interval` per actor, so forged requests cannot make us hammer a server.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urldefrag

from federation.actors import (
    JRD_JSON,
    ActorError,
    RemoteActor,
    actor_id_from_jrd,
    webfinger_url,
)
from federation.fetch import Fetcher, FetchError
from federation.jsonld import Contexts, ContextUnavailable, published_keys
from federation.keys import MultikeyError, PublicKey, load_public_key
from federation.store import Store, parse_timestamp, row, timestamp
from federation.vocabulary import id_of

REFETCH_INTERVAL = timedelta(minutes=5)
MAX_MEMORY = 10_000
MAX_GONE = 1_000  # key ids remembered as gone


@dataclass(frozen=True)
class CachedKey:
    key_id: str
    owner: str
    key: PublicKey
    fetched_at: datetime


class KeyCache:
    """Keys and actors of other servers, by key id and actor id."""

    def __init__(
        self,
        db: Store,
        fetcher: Fetcher | None,
        *,
        refetch_interval: timedelta = REFETCH_INTERVAL,
        max_memory: int = MAX_MEMORY,
        contexts: Contexts | None = None,
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        # With contexts, keys are read from the expanded document, as a JSON-LD reader does.
        self.contexts = contexts
        self.refetch_interval = refetch_interval
        self.max_memory = max_memory
        self._keys: dict[str, CachedKey] = {}
        self._actors: dict[str, RemoteActor] = {}
        # Key ids whose document last answered 410 Gone: a deleted account.
        self._gone: dict[str, None] = {}
        # Counters for metrics and tests: documents fetched, key texts parsed.
        self.fetches = 0
        self.parses = 0

    # --- lookups ---

    def cached(self, key_id: str) -> CachedKey | None:
        """The key from memory or the database, never from the network."""
        found = self._keys.get(key_id)
        if found is not None:
            return found
        stored = row(
            self.db.read(),
            "SELECT actor_id, public_key, fetched_at FROM federation_remote_keys WHERE key_id = ?",
            (key_id,),
        )
        if stored is None:
            return None
        try:
            key = self._parse(stored["public_key"])
        except MultikeyError:
            return None
        return self._remember_key(
            CachedKey(key_id, stored["actor_id"], key, parse_timestamp(stored["fetched_at"]))
        )

    async def get(self, key_id: str, now: datetime) -> CachedKey | None:
        """The key, fetching its actor when it is not known yet; None when it cannot be had."""
        found = self.cached(key_id)
        if found is not None:
            return found
        await self._fetch_for_key(key_id, now)
        return self._keys.get(key_id)

    def is_gone(self, key_id: str) -> bool:
        """Whether the last fetch for `key_id` was answered 410 Gone (a deleted account)."""
        return key_id in self._gone

    def actor(self, actor_id: str) -> RemoteActor | None:
        """A known actor, from memory or the database."""
        found = self._actors.get(actor_id)
        if found is not None:
            return found
        stored = row(
            self.db.read(),
            "SELECT document FROM federation_remote_actors WHERE actor_id = ?",
            (actor_id,),
        )
        if stored is None:
            return None
        try:
            actor = RemoteActor.from_document(json.loads(stored["document"]))
        except (ActorError, ValueError):
            return None
        return self._remember_actor(actor)

    async def fetch_actor(self, actor_id: str, now: datetime) -> RemoteActor:
        """Fetch an actor document and store it with its keys; ActorError or FetchError."""
        if self.fetcher is None:
            raise FetchError("refused", "this key cache has no fetcher")
        self.fetches += 1
        final_url, document = await self.fetcher.get_json(urldefrag(actor_id).url)
        actor = RemoteActor.from_document(document, fetched_from=final_url)
        if actor.id != actor_id:
            raise ActorError(f"{actor_id} serves the actor {actor.id}")
        await self.prepare_contexts(document)
        self.db.write(self.store_actor, actor, document, now)
        return actor

    async def discover(self, address: str, now: datetime, scheme: str = "https") -> RemoteActor:
        """The actor behind an account address (`@beesd@beesd.example`, via WebFinger) or an
        actor URL, fetched and stored; ActorError or FetchError when it cannot be had.
        `scheme` is the WebFinger scheme: "http" only for nodes in development mode."""
        if address.startswith(("https://", "http://")):
            return await self.fetch_actor(address, now)
        if self.fetcher is None:
            raise FetchError("refused", "this key cache has no fetcher")
        try:
            url = webfinger_url(address, scheme)
        except ValueError as exc:
            raise ActorError(str(exc)) from exc
        self.fetches += 1
        _, jrd = await self.fetcher.get_json(url, accept=JRD_JSON)
        if not isinstance(jrd, Mapping):
            raise ActorError("the WebFinger answer is not a JSON object")
        return await self.fetch_actor(actor_id_from_jrd(jrd), now)

    async def refetch(self, key_id: str, now: datetime) -> CachedKey | None:
        """Fetch the owner of `key_id` again, unless that was done within `refetch_interval`.

        Returns the key as now published, or None when rate limited or no longer published.
        """
        current = self.cached(key_id)
        owner = current.owner if current else None
        if owner is None:
            return await self.get(key_id, now)
        last = (
            self.db.read()
            .execute(
                "SELECT refetched_at FROM federation_remote_actors WHERE actor_id = ?", (owner,)
            )
            .fetchone()
        )
        if last and last[0] and now - parse_timestamp(last[0]) < self.refetch_interval:
            return None
        # Mark the attempt first: a failing server is rate limited as well as a working one.
        self.db.write(
            lambda conn: conn.execute(
                "UPDATE federation_remote_actors SET refetched_at = ? WHERE actor_id = ?",
                (timestamp(now), owner),
            )
        )
        self._keys.pop(key_id, None)
        try:
            await self.fetch_actor(owner, now)
        except (ActorError, FetchError):
            return None
        return self._keys.get(key_id)

    # --- storing ---

    async def prepare_contexts(self, document: Any) -> None:
        """Load the contexts an actor document names, before `store_actor` reads its keys."""
        if self.contexts is not None and self.fetcher is not None:
            await self.contexts.prepare(document, self.fetcher.get_json)

    def published_keys(self, actor: RemoteActor, document: Mapping[str, Any]) -> Mapping[str, str]:
        """The keys an actor document publishes for its actor, found as a JSON-LD reader finds
        them (federation/jsonld.py). When a context it names cannot be loaded, as plain JSON,
        the way most fediverse servers read it."""
        if self.contexts is None:
            return actor.keys
        try:
            return published_keys(document, actor.id, self.contexts)
        except ContextUnavailable:
            return actor.keys

    def store_actor(
        self,
        conn: sqlite3.Connection,
        actor: RemoteActor,
        document: Mapping[str, Any],
        now: datetime,
    ) -> None:
        """Save an actor and replace its keys; inside the caller's transaction.

        Also called for an Update of the sender's own actor, so a rotated key is known at once.
        """
        stamp = timestamp(now)
        conn.execute(
            """INSERT INTO federation_remote_actors
                   (actor_id, inbox, shared_inbox, document, fetched_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (actor_id) DO UPDATE SET inbox = excluded.inbox,
                   shared_inbox = excluded.shared_inbox, document = excluded.document,
                   fetched_at = excluded.fetched_at""",
            (actor.id, actor.inbox, actor.shared_inbox, json.dumps(document), stamp),
        )
        conn.execute("DELETE FROM federation_remote_keys WHERE actor_id = ?", (actor.id,))
        for key_id in list(self._keys):
            if self._keys[key_id].owner == actor.id:
                del self._keys[key_id]
        for key_id, text in self.published_keys(actor, document).items():
            # A key id already owned by another actor stays theirs: first come, first kept.
            cursor = conn.execute(
                """INSERT INTO federation_remote_keys (key_id, actor_id, public_key, fetched_at)
                   VALUES (?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING""",
                (key_id, actor.id, text, stamp),
            )
            if not cursor.rowcount:
                continue
            try:
                self._remember_key(CachedKey(key_id, actor.id, self._parse(text), now))
            except MultikeyError:
                continue
        self._remember_actor(actor)

    async def _fetch_for_key(self, key_id: str, now: datetime) -> None:
        if self.fetcher is None:
            return
        url = urldefrag(key_id).url
        self._gone.pop(key_id, None)
        try:
            self.fetches += 1
            final_url, document = await self.fetcher.get_json(url)
            if isinstance(document, Mapping) and "inbox" in document:
                actor = RemoteActor.from_document(document, fetched_from=final_url)
                await self.prepare_contexts(document)
                self.db.write(self.store_actor, actor, document, now)
                return
            # A separate key document (some servers), or a stub of the actor that holds only
            # the key (GoToSocial, whose key ids are paths): its owner must list it.
            owner = _key_owner(document, key_id) if isinstance(document, Mapping) else None
            if owner:
                await self.fetch_actor(owner, now)
        except FetchError as exc:
            if exc.status == 410:
                self._remember_gone(key_id)
        except ActorError:
            return

    def _remember_gone(self, key_id: str) -> None:
        if len(self._gone) >= MAX_GONE:
            self._gone.pop(next(iter(self._gone)))  # the oldest: dicts keep order
        self._gone[key_id] = None

    def _parse(self, text: str) -> PublicKey:
        self.parses += 1
        return load_public_key(text)

    def _remember_key(self, cached: CachedKey) -> CachedKey:
        if len(self._keys) >= self.max_memory:
            self._keys.pop(next(iter(self._keys)))  # the oldest entry: dicts keep order
        self._keys[cached.key_id] = cached
        return cached

    def _remember_actor(self, actor: RemoteActor) -> RemoteActor:
        if len(self._actors) >= self.max_memory:
            self._actors.pop(next(iter(self._actors)))
        self._actors[actor.id] = actor
        return actor


def _key_owner(document: Mapping[str, Any], key_id: str) -> str | None:
    """Who a key document says owns `key_id`: its own `owner` or `controller`, or, for a stub
    of the actor, the `owner` of the `publicKey` with that id. The owner's own document is
    fetched next and must list the key, so a stub cannot claim a key for someone else."""
    owner = id_of(document.get("owner") or document.get("controller"))
    if owner:
        return owner
    embedded = document.get("publicKey")
    for key in embedded if isinstance(embedded, list) else [embedded]:
        if isinstance(key, Mapping) and key.get("id") == key_id:
            return id_of(key.get("owner"))
    return None
