"""gzip for clients that accept it, with validators that stay true (RFC 9110 §8.4, §8.8.3).

Pages, feeds and JSON shrink to a fifth or less. Starlette's GZipMiddleware does the work;
this module decides what it may touch and keeps the entity-tags right:

* It sits outside the page cache, so the cache keeps one form of every answer (the plain
  one) and its 304s follow the same tags.
* A compressed body is not the bytes a strong ETag was made from, so its tag turns weak
  (`W/"…"`): it still names the same content, and If-None-Match compares weakly, so a client
  that sends back the weak tag gets its 304 from the same code as any other.
* What is compressed already (photos, PDF posters, archives) and tiny bodies are left alone:
  compressing them costs time and saves nothing.
* Large answers (the calendar of a big kern is half a megabyte) are compressed one at a time,
  and when they carry a strong tag their gzip form is kept by that tag: calendar apps poll
  the same feed all day, and compressing it anew for each of them, many at once, took more
  CPU than making it and ten megabytes of memory at the peak (bench/bench_memory.py).

Brotli or zstd would save a few percent more on text, but need a library the runtime does
not have; a reverse proxy in front (deploy/) may offer them, and passes an answer that is
already encoded on unchanged.
"""

from __future__ import annotations

import gzip
import re
from collections import OrderedDict
from collections.abc import Hashable
from functools import partial

import anyio
import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Already compressed, or too random to shrink, on top of what Starlette skips (raster images,
# audio, video, zip and gzip archives, fonts, event streams).
ALREADY_COMPRESSED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/pdf",
    "application/octet-stream",
    "application/x-bzip2",
    "application/x-xz",
    "application/zstd",
)
# Entity-tags with their weakness prefix, in an If-None-Match list (RFC 9110 §8.8.3).
_ENTITY_TAGS = re.compile(r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"')
# Below this a gzip header and checksum cost more than the packet it might save.
MINIMUM_SIZE = 1024
# Level 6 is zlib's own default: nearly the size of level 9 at a fraction of its time, which
# matters on a small machine that compresses every page it serves.
COMPRESS_LEVEL = 6
# From this size an answer is compressed here, one at a time and in a worker thread (the
# event loop keeps serving), instead of by Starlette, which runs up to forty at once.
LARGE = 64 * 1024
# gzip forms kept, all together (the 537 KB calendar of a 5,000-object kern is 32 KB).
KEEP_BYTES = 2 * 1024 * 1024


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = MINIMUM_SIZE):
        self.app = app
        self.gzip = GZipMiddleware(
            LargeAnswerCompression(app, GzipForms()),
            minimum_size=minimum_size,
            compresslevel=COMPRESS_LEVEL,
            exclude_content_types=ALREADY_COMPRESSED,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.gzip(scope, receive, send)

        request = Headers(scope=scope)
        # Only a client that accepts gzip can hold the weak form of a tag from here.
        held = (
            request.getlist("if-none-match") if "gzip" in request.get("accept-encoding", "") else []
        )

        async def send_with_weak_tag(message: Message) -> None:
            if message["type"] == "http.response.start":
                weaken_etag_if_encoded(message, held)
            await send(message)

        await self.gzip(scope, receive, send_with_weak_tag)


def weaken_etag_if_encoded(start: Message, if_none_match: list[str]) -> None:
    """The tag of a gzip-encoded body, made for the plain bytes, as a weak tag; and a 304
    names the tag in the form the client holds (RFC 9110 §15.4.5: the tag its 200 had)."""
    headers = MutableHeaders(raw=start.setdefault("headers", []))
    etag = headers.get("etag")
    if not etag or etag.startswith("W/"):
        return
    encoded = headers.get("content-encoding") == "gzip"
    held_weak = start["status"] == 304 and f"W/{etag}" in _ENTITY_TAGS.findall(
        ", ".join(if_none_match)
    )
    if encoded or held_weak:
        headers["etag"] = f"W/{etag}"


class GzipForms:
    """gzip forms of large answers by address and entity-tag, the least recently used dropped
    first; the same tag at the same address is the same plain body, so its gzip form is too."""

    def __init__(self, max_bytes: int = KEEP_BYTES) -> None:
        self.max_bytes = max_bytes
        self._forms: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock: anyio.Lock | None = None

    def kept(self, key: Hashable | None) -> bytes | None:
        found = self._forms.get(key) if key is not None else None
        if found is not None:
            self._forms.move_to_end(key)
        return found

    async def compress(self, key: Hashable | None, body: bytes) -> bytes:
        """The gzip form of `body`, kept under `key` unless that is None. One compression at
        a time: a second client asking for the same answer meanwhile gets the kept form."""
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            found = self.kept(key)
            if found is not None:
                return found
            packed = await anyio.to_thread.run_sync(
                partial(gzip.compress, body, COMPRESS_LEVEL, mtime=0)
            )
            if key is not None and len(packed) <= self.max_bytes:
                self._forms[key] = packed
                self._size += len(packed)
                while self._size > self.max_bytes:
                    _, dropped = self._forms.popitem(last=False)
                    self._size -= len(dropped)
            return packed

    def __len__(self) -> int:
        return len(self._forms)


class LargeAnswerCompression:
    """Compresses answers of at least `LARGE` bytes for a client that accepts gzip, with
    `GzipForms`; it sits just inside Starlette's GZipMiddleware, which passes an answer that
    is encoded already on unchanged and still compresses the smaller ones."""

    def __init__(self, app: ASGIApp, forms: GzipForms):
        self.app = app
        self.forms = forms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        if "gzip" not in Headers(scope=scope).get("accept-encoding", ""):
            return await self.app(scope, receive, send)
        await self.app(scope, receive, _LargeAnswer(scope, send, self.forms).send)


class _LargeAnswer:
    """One answer on its way out: passed on as it is, or gathered and sent compressed."""

    def __init__(self, scope: Scope, send: Send, forms: GzipForms):
        self.scope = scope
        self.downstream = send
        self.forms = forms
        self.start: Message = {}
        self.key: Hashable | None = None
        self.chunks: list[bytes] = []
        self.passing = True
        self.done = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.passing = not _large_plain_answer(message)
            if self.passing:
                return await self.downstream(message)
            self.start = message
            self.key = self._key(message)
            kept = self.forms.kept(self.key)
            if kept is not None:
                # The app made (or its cache gave) the plain body; the rest of it is dropped.
                self.done = True
                await self._send_packed(kept)
        elif message["type"] != "http.response.body" or self.passing:
            await self.downstream(message)
        elif not self.done:
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.done = True
                body = b"".join(self.chunks)
                self.chunks = []
                await self._send_packed(await self.forms.compress(self.key, body))

    def _key(self, start: Message) -> Hashable | None:
        headers = Headers(raw=start["headers"])
        etag = headers.get("etag")
        if etag is None or etag.startswith("W/"):
            return None
        # One process may serve several sites (`bloei serve --sites`): the host is part of it.
        host = Headers(scope=self.scope).get("host", "")
        address = (host, self.scope.get("root_path", ""), self.scope["path"])
        return (*address, self.scope.get("query_string", b""), headers.get("content-type"), etag)

    async def _send_packed(self, packed: bytes) -> None:
        headers = MutableHeaders(raw=list(self.start["headers"]))
        headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(packed))
        headers.add_vary_header("Accept-Encoding")
        await self.downstream({**self.start, "headers": headers.raw})
        await self.downstream({"type": "http.response.body", "body": packed})


def _large_plain_answer(start: Message) -> bool:
    """A full answer of at least `LARGE` bytes, not encoded yet, of a type worth compressing."""
    headers = Headers(raw=start.get("headers", []))
    if start["status"] != 200 or "content-encoding" in headers:
        return False
    try:
        size = int(headers.get("content-length", ""))
    except ValueError:
        return False
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    excluded = {media_type, media_type.partition("/")[0] + "/*"} & set(ALREADY_COMPRESSED)
    return size >= LARGE and not excluded
