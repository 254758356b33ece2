"""Shared pieces for the federation tests: a migrated database, identities, fake remote servers.

No outside network: remote servers are httpx.MockTransport handlers, names resolve through a
dictionary, and time is passed in.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpcore
import httpx

from federation import actors, delivery, store
from federation.addresses import AddressPolicy
from federation.identity import LocalIdentity
from federation.keys import KeyPair, PublicKeyInfo, generate_key_pair
from federation.signatures import sign_cavage
from federation.transport import CheckedNetworkBackend

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
PUBLIC_IP = "93.184.216.34"  # a global unicast address; never contacted, transports are mocks


@functools.cache
def key_pair(name: str) -> KeyPair:
    """One RSA-2048 + Ed25519 pair per name, shared by all tests: RSA generation is slow."""
    return generate_key_pair(2048)


def open_store(path: Path) -> store.ConnectionStore:
    conn = store.open_connection(str(path))
    store.apply_migrations(conn)
    return store.ConnectionStore(conn)


def local_identity(host: str = "beesd.example", name: str = "beesd") -> LocalIdentity:
    return LocalIdentity(f"https://{host}/actor", key_pair(name))


def profile_for(identity: LocalIdentity, username: str, kind: str = "Group") -> actors.ActorProfile:
    base = identity.actor_id.rsplit("/actor", 1)[0]
    return actors.ActorProfile(
        routes=actors.ActorRoutes.under(base), username=username, name=username.title(), kind=kind
    )


def resolver(mapping: dict[str, list[str]] | None = None, default: str = PUBLIC_IP):
    """An injectable resolver: names in `mapping`, anything else to `default`."""

    async def resolve(host: str, port: int) -> list[str]:
        return (mapping or {}).get(host, [default])

    return resolve


class RecordingNetwork(httpcore.AsyncMockBackend):
    """A network for httpcore that answers every connection with `answer` (raw HTTP/1.1
    bytes) and keeps the (address, port) of each connection it was asked to make."""

    def __init__(self, answer: bytes = b"HTTP/1.1 204 No Content\r\n\r\n") -> None:
        super().__init__([answer])
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.connected.append((host, port))
        return await super().connect_tcp(host, port, timeout, local_address, socket_options)


class PolicedMockTransport(httpx.AsyncBaseTransport):
    """An httpx.MockTransport behind the connect-time address check of the real transport
    (federation.transport): a refused address never reaches the handler."""

    def __init__(self, handler: Callable, policy: AddressPolicy) -> None:
        self.mock = httpx.MockTransport(handler)
        self.network = RecordingNetwork()
        self.backend = CheckedNetworkBackend(lambda: policy, self.network)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        stream = await self.backend.connect_tcp(request.url.host, port)
        await stream.aclose()
        return await self.mock.handle_async_request(request)


class Remote:
    """Another server's actor: its document, keys, and requests signed by it."""

    def __init__(self, host: str, username: str = "gemeente", kind: str = "Organization"):
        self.identity = LocalIdentity(f"https://{host}/actor", key_pair(host))
        self.profile = profile_for(self.identity, username, kind)
        self.host = host

    @property
    def id(self) -> str:
        return self.identity.actor_id

    @property
    def inbox(self) -> str:
        return self.profile.routes.inbox

    @property
    def shared_inbox(self) -> str:
        return self.profile.routes.shared_inbox

    def document(self, keys: KeyPair | None = None) -> dict[str, Any]:
        info = PublicKeyInfo.of(keys or self.identity.keys)
        return actors.actor_document(self.profile, info)

    def remote_actor(self) -> actors.RemoteActor:
        return actors.RemoteActor.from_document(self.document())

    def activity(self, kind: str, obj: Any, number: int = 1, **extra: Any) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.id}/activities/{kind.lower()}-{number}",
            "type": kind,
            "actor": self.id,
            "object": obj,
            **extra,
        }

    def signed_post(
        self,
        url: str,
        activity: dict[str, Any] | bytes,
        now: datetime = NOW,
        keys: KeyPair | None = None,
        key_id: str | None = None,
    ) -> tuple[str, dict[str, str], bytes]:
        """(target, headers, body) of a POST signed the way Mastodon signs."""
        body = activity if isinstance(activity, bytes) else delivery.encode(activity)
        headers = {"Content-Type": "application/activity+json"}
        headers.update(
            sign_cavage(
                "POST",
                url,
                key_id or self.identity.main_key_id,
                (keys or self.identity.keys).rsa,
                body=body,
                headers=headers,
                now=now,
            )
        )
        return httpx.URL(url).raw_path.decode(), headers, body


def serve_documents(documents: dict[str, Any], log: list[httpx.Request] | None = None) -> Callable:
    """A MockTransport handler that serves JSON documents by URL (fragment dropped)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if log is not None:
            log.append(request)
        url = str(request.url).split("#")[0]
        if url not in documents:
            return httpx.Response(404)
        return httpx.Response(
            200,
            content=json.dumps(documents[url]).encode(),
            headers={"Content-Type": "application/activity+json"},
        )

    return handler
