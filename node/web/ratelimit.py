"""A small in-memory sliding-window limit for what anonymous residents send.

Kept per process on purpose: it only has to stop a script hammering one form; a real
person never comes near the limits.
"""

from __future__ import annotations

import time

from starlette.requests import Request

from node.web.client_address import visitor_address

# The most addresses one limiter remembers. A burst from many addresses (a busy evening of
# sign-ups, or a script rotating addresses) must not grow the process without bound:
# past this, the addresses idle longest are forgotten first.
MAX_KEYS = 10_000


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float, max_keys: int = MAX_KEYS):
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        # A plain list of times per key, most recently active key last: a few dozen bytes
        # for the usual single request, where a deque would take some 700.
        self._hits: dict[str, list[float]] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        hits = self._hits.pop(key, [])
        expired = 0
        while expired < len(hits) and now - hits[expired] > self.window:
            expired += 1
        del hits[:expired]
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        if hits:
            self._hits[key] = hits
        # Cheap: it looks at the front of the dict only, until a key is still active.
        self._forget(now)
        return allowed

    def _forget(self, now: float) -> None:
        # The dict keeps keys in the order they were last active, so the idle ones are at its
        # front; when every key is within the window, the longest idle goes all the same.
        while len(self._hits) > self.max_keys or (
            self._hits and now - self._hits[next(iter(self._hits))][-1] > self.window
        ):
            del self._hits[next(iter(self._hits))]

    def __len__(self) -> int:
        return len(self._hits)


def client_key(request: Request, scope: str) -> str:
    """The visitor's address (behind a trusted proxy too: node/web/client_address.py)."""
    return f"{scope}:{visitor_address(request)}"


def limiter(request: Request, name: str, limit: int, window_seconds: float) -> RateLimiter:
    """The app's own limiter for one kind of request, made on first use.

    Kept on the app, not in a module global, so two nodes in one process (or two tests)
    never share their counts.
    """
    limiters = request.app.state.__dict__.setdefault("_rate_limiters", {})
    if name not in limiters:
        limiters[name] = RateLimiter(limit, window_seconds)
    return limiters[name]
