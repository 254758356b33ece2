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

Brotli or zstd would save a few percent more on text, but need a library the runtime does
not have; a reverse proxy in front (deploy/) may offer them, and passes an answer that is
already encoded on unchanged.
"""

from __future__ import annotations

import re

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


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = MINIMUM_SIZE):
        self.app = app
        self.gzip = GZipMiddleware(
            app,
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
