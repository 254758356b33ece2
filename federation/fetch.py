"""Fetching remote JSON documents safely: actors, keys, outbox pages, WebFinger answers.

Every fetch has timeouts, reads at most `max_bytes` (streamed, so a huge or endless answer
costs no more than the cap), follows at most two redirects and checks every hop against the
`AddressPolicy` (https only, public addresses only, except in development mode). GETs are
signed when an `auth` is given (authorized fetch, which Mastodon servers may demand).

The URL rules are checked here; the address rules where the connection is made, so `client`
must come from `federation.transport.checked_client()` under the same policy (tests may give
a client on a mock transport, which connects nowhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from federation import boundedjson
from federation.addresses import AddressPolicy, AddressRefused
from federation.vocabulary import ACTIVITY_JSON, LD_JSON

MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 2
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ACCEPT_ACTIVITY = f"{ACTIVITY_JSON}, {LD_JSON}"
JSON_TYPES = frozenset(
    {"application/activity+json", "application/ld+json", "application/json", "application/jrd+json"}
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """A fetch failed; `reason` is one of: refused, redirects, too_large, status, not_json,
    network. `status` is the HTTP status when there was one."""

    def __init__(self, reason: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.status = status


@dataclass
class Fetcher:
    """Fetches JSON with one httpx client under one policy; share one per node."""

    client: httpx.AsyncClient
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    auth: httpx.Auth | None = None
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    timeout: httpx.Timeout = field(default_factory=lambda: TIMEOUT)

    async def get_json(self, url: str, accept: str = ACCEPT_ACTIVITY) -> tuple[str, Any]:
        """GET `url` and parse it; returns (final URL after redirects, parsed JSON)."""
        current = url
        for _hop in range(self.max_redirects + 1):
            request = self.client.build_request(
                "GET", current, headers={"Accept": accept}, timeout=self.timeout
            )
            try:
                self.policy.check_url(current)
                response = await self.client.send(
                    request, auth=self.auth, follow_redirects=False, stream=True
                )
            except AddressRefused as exc:
                raise FetchError("refused", f"{current}: {exc.reason}") from exc
            except httpx.HTTPError as exc:
                raise FetchError("network", f"{current}: {type(exc).__name__}") from exc
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError("status", "a redirect without Location", 502)
                    current = str(response.url.join(location))
                    continue
                if response.status_code != 200:
                    raise FetchError(
                        "status", f"{current} answered {response.status_code}", response.status_code
                    )
                body = await self._read_capped(response)
            finally:
                await response.aclose()
            return current, self._parse(response, body)
        raise FetchError("redirects", f"more than {self.max_redirects} redirects from {url}")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        # ASCII digits only ("²".isdigit() is true), and never more than int() accepts.
        too_long = len(declared) > len(str(self.max_bytes))
        if (
            declared.isascii()
            and declared.isdigit()
            and (too_long or int(declared) > self.max_bytes)
        ):
            raise FetchError("too_large", f"{declared} bytes is over {self.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError("too_large", f"more than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _parse(response: httpx.Response, body: bytes) -> Any:
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in JSON_TYPES:
            raise FetchError("not_json", f"content type {media or '(none)'} is not JSON")
        try:
            return boundedjson.loads(body)
        except ValueError as exc:  # not JSON, not UTF-8, or nested too deeply
            raise FetchError("not_json", "the body is not valid JSON") from exc
