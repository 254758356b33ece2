"""Small ASGI middlewares: body size limit, security headers, the anonymous page cache."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.web import errors
from node.web.conditional import not_modified, parse_http_date


class BodySizeLimitMiddleware:
    """Answer 413 to a request body over the limit, before it is read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for key, value in scope["headers"]:
            if key == b"content-length" and _declared_over(value, self.max_bytes):
                return await self._too_large(scope, receive, send)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/api/"):
            response = errors.problem(413, "Te groot", "Het verzoek is groter dan toegestaan.")
        else:
            response = HTMLResponse(
                "<!doctype html><html lang='nl'><title>Te groot</title><h1>Dit is te groot</h1>"
                "<p>Wat u stuurde is te groot. Maak het kleiner en probeer het opnieuw.</p>",
                status_code=413,
            )
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    pass


def _declared_over(value: bytes, limit: int) -> bool:
    """A Content-Length over the limit; a longer digit string than the limit has is over it
    too (and is never handed to int(), which refuses more than 4,300 digits)."""
    if not value.isdigit():
        return False
    return len(value) > len(str(limit)) or int(value) > limit


_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src {scripts}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# A page that uses one of the site's own small scripts (a copy button) sends this instead;
# still no inline script and nothing from elsewhere.
PAGE_SCRIPTS_POLICY = _POLICY.format(scripts="'self'")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", _POLICY.format(scripts="'none'").encode()),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ServerErrorPageMiddleware:
    """An unhandled exception becomes the 500 page (problem+json under /api/), logged once.

    It sits just inside SecurityHeadersMiddleware, so a 500 carries the same headers as any
    other answer. The exception is not raised further: Starlette's outermost error middleware
    and the server would each log its traceback again.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            rid = errors.request_id(scope)
            errors.log_server_error(scope, exc, rid)
            if started:
                return  # part of the answer went out: the connection ends here
            response = errors.server_error_page(Request(scope), rid)
            await response(scope, receive, send)


_BODY_HEADERS = (b"content-length", b"content-type")


class PageCacheMiddleware:
    """Keep rendered anonymous GET responses until the data version changes.

    Most visitors only read, and the data changes a few times a day: serving a stored page
    keeps the site near the framework's own speed on a small machine. A request with a
    session cookie (someone signed in, or a message waiting) is never served from, or
    stored in, the cache; nor is anything under the excluded prefixes.
    """

    def __init__(
        self,
        app: ASGIApp,
        data_version: Callable[[], int],
        session_cookie: str,
        exclude_prefixes: tuple[str, ...] = ("/beheer", "/media"),
        max_entries: int = 512,
        max_body: int = 512 * 1024,
        max_total_bytes: int = 8 * 1024 * 1024,
        max_age_seconds: float = 60.0,
    ):
        self.app = app
        self.data_version = data_version
        self.session_cookie = session_cookie.encode()
        self.exclude_prefixes = exclude_prefixes
        self.max_entries = max_entries
        self.max_body = max_body
        # The whole cache stays within a budget, so a small server's memory stays flat
        # however many different addresses (searches, filters) visitors ask for. 8 MiB holds
        # the lists, feeds and calendar of a kern with 5,000 objects (some 2 MB) and hundreds
        # of its other pages, and keeps the worst case a tenth of a kern's 80 MB budget.
        self.max_total_bytes = max_total_bytes
        self.total_bytes = 0
        # Some pages change with the clock, not with a write: a meeting that has ended, news
        # scheduled for later. A minute is the most such a page may lag behind.
        self.max_age_seconds = max_age_seconds
        self.entries: OrderedDict[tuple, tuple[int, dict, list[bytes], float]] = OrderedDict()
        self.hits = 0

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        if scope["path"].startswith(self.exclude_prefixes):
            return False
        for key, value in scope["headers"]:
            if key == b"cookie" and self.session_cookie + b"=" in value:
                return False
            if key == b"authorization":
                return False
        return True

    def _store(self, key: tuple, entry: tuple, size: int) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.total_bytes -= sum(len(chunk) for chunk in old[2])
        self.entries[key] = entry
        self.total_bytes += size
        while self.entries and (
            len(self.entries) > self.max_entries or self.total_bytes > self.max_total_bytes
        ):
            _key, evicted = self.entries.popitem(last=False)
            self.total_bytes -= sum(len(chunk) for chunk in evicted[2])

    @staticmethod
    def _not_modified(scope: Scope, start: dict) -> bool:
        """A stored response the client already has: answer 304 by the same RFC 9110 rules as
        the app (node/web/conditional.py: weak comparison, If-Modified-Since)."""
        stored = Headers(raw=start.get("headers", []))
        etag = stored.get("etag")
        if etag is None:
            return False
        last_modified = stored.get("last-modified")
        since = parse_http_date(last_modified) if last_modified else None
        return not_modified(Headers(scope=scope), etag, since)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            return await self.app(scope, receive, send)
        accept = b""
        for key, value in scope["headers"]:
            if key == b"accept":
                accept = value
        cache_key = (scope["method"], scope["path"], scope.get("query_string", b""), accept)
        version = self.data_version()
        entry = self.entries.get(cache_key)
        if (
            entry is not None
            and entry[0] == version
            and time.monotonic() - entry[3] < self.max_age_seconds
        ):
            self.hits += 1
            self.entries.move_to_end(cache_key)
            if self._not_modified(scope, entry[1]):
                headers = [(k, v) for k, v in entry[1]["headers"] if k not in _BODY_HEADERS]
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
            await send(_copy_of_start(entry[1]))
            for body in entry[2]:
                await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return

        start: dict | None = None
        chunks: list[bytes] = []
        size = 0
        storable = True

        async def capture(message: Message) -> None:
            nonlocal start, size, storable
            if message["type"] == "http.response.start":
                start = message
                headers = dict(message.get("headers", []))
                if (
                    message["status"] != 200
                    or b"set-cookie" in headers
                    # This is a shared cache: what is no one's to keep, or only the one
                    # client's (RFC 9111 §5.2.2.7), stays out of it.
                    or b"no-store" in headers.get(b"cache-control", b"")
                    or b"private" in headers.get(b"cache-control", b"")
                ):
                    storable = False
            elif message["type"] == "http.response.body" and storable:
                body = message.get("body", b"")
                size += len(body)
                if size > self.max_body:
                    storable = False
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and storable and start is not None:
                    entry = (version, _copy_of_start(start), list(chunks), time.monotonic())
                    self._store(cache_key, entry, size)
            await send(message)

        await self.app(scope, receive, capture)


def _copy_of_start(start: Message) -> Message:
    """The stored start of a response, to send or keep: middleware further out change the
    headers of what they are sent in place (gzip adds Content-Encoding), and that must reach
    neither the stored answer nor the next visitor."""
    return {**start, "headers": list(start.get("headers", []))}
