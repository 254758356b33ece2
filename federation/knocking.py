"""Double knocking: sign with RFC 9421 first, fall back to draft-cavage when a server refuses
the signature, and remember per host what worked.

The fediverse is between the two schemes: Mastodon before 4.4 reads only draft-cavage, newer
servers read RFC 9421 too, some only that. `DoubleKnockAuth` is an `httpx.Auth`, so deliveries
and signed fetches both use it as they used a single-scheme auth:

1. it signs with the scheme remembered for the request's host (host and port), or RFC 9421 for
   a host it does not know yet;
2. when the answer refuses the signature (401 or 403, or a 400 whose short body names the
   signature), it signs the same request with the other scheme and sends it once more, at once;
3. a 2xx answer makes the scheme that got it the one remembered for that host
   (`federation_signature_schemes`), so later requests knock once.

The first knock was refused, so nothing of it was taken: sending the same activity again is
safe, and receivers drop a repeat by activity id anyway.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncGenerator, Callable, Generator

import httpx

from federation.signature_common import SCHEME_CAVAGE, SCHEME_RFC9421
from federation.store import Store, timestamp, utcnow

FIRST_CHOICE = SCHEME_RFC9421
SIGNATURE_REFUSALS = frozenset({401, 403})
# A 400 is read for the word "signature" only when it says it is this short: the answer of a
# fetch is streamed and capped by its caller, which a long body must not get around.
REFUSAL_BODY_LIMIT = 16 * 1024

Signer = Callable[[str], httpx.Auth]


def other_scheme(scheme: str) -> str:
    return SCHEME_CAVAGE if scheme == SCHEME_RFC9421 else SCHEME_RFC9421


def host_key(url: httpx.URL) -> str:
    """What the memory is kept by: the host, with its port when it is not the default one."""
    host = url.host.lower()
    return f"{host}:{url.port}" if url.port else host


class SchemeMemory:
    """The signature scheme each host took last, in `federation_signature_schemes`, with a
    copy in memory so a request costs no query once its host is known."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._known: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def scheme_for(self, host: str) -> str:
        with self._lock:
            if host not in self._known:
                found = (
                    self.store.read()
                    .execute(
                        "SELECT scheme FROM federation_signature_schemes WHERE host = ?", (host,)
                    )
                    .fetchone()
                )
                self._known[host] = found[0] if found else None
            return self._known[host] or FIRST_CHOICE

    def remember(self, host: str, scheme: str) -> None:
        with self._lock:
            if self._known.get(host) == scheme:
                return
            self._known[host] = scheme
        self.store.write(_save, host, scheme)


def _save(conn: sqlite3.Connection, host: str, scheme: str) -> None:
    conn.execute(
        """INSERT INTO federation_signature_schemes (host, scheme, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (host) DO UPDATE SET scheme = excluded.scheme,
               updated_at = excluded.updated_at""",
        (host, scheme, timestamp(utcnow())),
    )


def refuses_signature(response: httpx.Response) -> bool:
    """Whether an answer says the signature was not taken (see `DoubleKnockAuth`)."""
    if response.status_code in SIGNATURE_REFUSALS:
        return True
    if response.status_code != 400 or not _has_short_body(response):
        return False
    try:
        return b"signature" in response.content.lower()
    except httpx.ResponseNotRead:
        return False


def _has_short_body(response: httpx.Response) -> bool:
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) <= REFUSAL_BODY_LIMIT


class DoubleKnockAuth(httpx.Auth):
    """Signs as `signer(scheme)` does (an `httpx.Auth` for a scheme, e.g.
    `LocalIdentity.http_auth`), knocking a second time with the other scheme when the first is
    refused, and remembering per host what worked in `memory`."""

    requires_request_body = True  # the digests need the body before the request leaves

    def __init__(self, signer: Signer, memory: SchemeMemory) -> None:
        self.signer = signer
        self.memory = memory

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        host = host_key(request.url)
        unsigned = request.headers.copy()
        scheme = self.memory.scheme_for(host)
        response = yield self._signed(request, scheme)
        if refuses_signature(response):
            scheme = other_scheme(scheme)
            again = httpx.Request(
                request.method,
                request.url,
                headers=unsigned,
                content=request.content,
                extensions=request.extensions,
            )
            response = yield self._signed(again, scheme)
        if 200 <= response.status_code < 300:
            self.memory.remember(host, scheme)

    def _signed(self, request: httpx.Request, scheme: str) -> httpx.Request:
        return next(self.signer(scheme).auth_flow(request))

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # As httpx.Auth's own, but a short 400 is read first: its body may name the signature.
        await request.aread()
        flow = self.auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            if response.status_code == 400 and _has_short_body(response):
                await response.aread()
            try:
                request = flow.send(response)
            except StopIteration:
                break

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.read()
        flow = self.auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            if response.status_code == 400 and _has_short_body(response):
                response.read()
            try:
                request = flow.send(response)
            except StopIteration:
                break
