"""Validators for pages (RFC 9110 §8.8): an `ETag` and a `Last-Modified` on every anonymous
answer that does not bring its own, and `304 Not Modified` to a client that has it already.

Feeds, calendars, the actor and the API work out their validators themselves
(`node/web/conditional.py`), from what they show. A page is made from many tables, so here
the body itself decides: its tag is a hash of its bytes, and its Last-Modified is the moment
this node first sent that body at that address. That moment only moves forward, and a new
body always gets a later second than the one before it, so a client that only sends
`If-Modified-Since` is never told "not modified" about a page that did change; a body that
would get a second still to come is sent without the date (its tag still works).

It sits just inside the anonymous page cache, which keeps the answer with its validators and
answers the next 304s from memory (`node/web/middleware.py`). Signed-in visitors' pages are
their own and change with every message; they are left as they are, as are answers too large
to keep in memory while they are hashed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.web.conditional import http_date, not_modified, strong_etag

MAX_BODY = 512 * 1024
MAX_REMEMBERED = 1024
ONE_SECOND = timedelta(seconds=1)


class FirstSent:
    """Per address, the tag of the last body sent and the moment it was first sent."""

    def __init__(self, max_remembered: int = MAX_REMEMBERED) -> None:
        self._sent: OrderedDict[str, tuple[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_remembered

    def last_modified(self, address: str, etag: str, now: datetime) -> datetime | None:
        """The Last-Modified to send with this body, or None while its second is still to
        come (a second change within one second)."""
        now = now.astimezone(UTC).replace(microsecond=0)
        with self._lock:
            previous = self._sent.get(address)
            if previous is not None and previous[0] == etag:
                moment = previous[1]
            elif previous is None:
                moment = now
            else:
                moment = max(now, previous[1] + ONE_SECOND)
            self._sent[address] = (etag, moment)
            self._sent.move_to_end(address)
            while len(self._sent) > self._max:
                self._sent.popitem(last=False)
        return moment if moment <= now else None


class PageValidatorsMiddleware:
    def __init__(self, app: ASGIApp, session_cookie: str, max_body: int = MAX_BODY):
        self.app = app
        self.session_cookie = session_cookie.encode()
        self.max_body = max_body
        self.first_sent = FirstSent()

    def _anonymous_read(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        for key, value in scope["headers"]:
            if key == b"cookie" and self.session_cookie + b"=" in value:
                return False
            if key == b"authorization":
                return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._anonymous_read(scope):
            return await self.app(scope, receive, send)

        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        holding = True  # until we know whether this answer gets validators

        async def release() -> None:
            nonlocal holding
            holding = False
            assert start is not None
            await send(start)
            for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            chunks.clear()

        async def hold(message: Message) -> None:
            nonlocal start, size
            if not holding:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                if not _wants_validators(message):
                    await release()
                return
            if message["type"] != "http.response.body":
                await release()
                await send(message)
                return
            body = message.get("body", b"")
            size += len(body)
            chunks.append(body)
            if size > self.max_body:
                await release()
                await send({"type": "http.response.body", "body": b"", "more_body": True})
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            if not message.get("more_body", False):
                await self._finish(scope, start, b"".join(chunks), send)

        await self.app(scope, receive, hold)

    async def _finish(self, scope: Scope, start: Message | None, body: bytes, send: Send) -> None:
        assert start is not None
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        declared = headers.get("content-length")
        if not body and declared not in (None, "0"):
            # A HEAD answer without its body: nothing to hash, so no tag to give.
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        etag = strong_etag(body)
        address = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        moment = self.first_sent.last_modified(address, etag, datetime.now(UTC))
        headers["etag"] = etag
        if moment is not None:
            headers["last-modified"] = http_date(moment)
        if not_modified(Headers(scope=scope), etag, moment):
            kept = [(k, v) for k, v in headers.raw if k not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


def _wants_validators(start: Message) -> bool:
    """A whole, shareable 200 without validators of its own."""
    if start["status"] != 200:
        return False
    headers = Headers(raw=start.get("headers", []))
    if "etag" in headers or "set-cookie" in headers or "content-encoding" in headers:
        return False
    cache_control = headers.get("cache-control", "")
    return "no-store" not in cache_control and "private" not in cache_control
