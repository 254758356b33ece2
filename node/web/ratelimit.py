"""A small in-memory sliding-window limit for what anonymous residents send.

Kept per process on purpose: it only has to stop a script hammering one form; a real
person never comes near the limits.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

from starlette.requests import Request

from node.web.client_address import visitor_address


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float):
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        hits = self._hits[key]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window]:
            del self._hits[key]


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
