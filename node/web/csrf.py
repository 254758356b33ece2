"""Protection against cross-site requests.

Public pages are cached and shared by everyone, so their forms cannot carry a per-session
token. Every state-changing request is therefore checked on where it comes from
(`Sec-Fetch-Site`, then `Origin`); beheer forms carry a session token on top.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from node.web.auth import current_session
from node.web.refusals import CrossSiteRefusal

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginCheckMiddleware:
    """Refuse a POST from another site before any endpoint sees it.

    `on_refusal` makes the answer (node/web/errors.py's 403): this middleware runs outside
    the app's exception handlers, so it is handed the answer instead of raising.
    """

    def __init__(
        self,
        app: ASGIApp,
        public_url: str,
        on_refusal: CrossSiteRefusal,
        exempt_prefixes: tuple[str, ...] = (),
    ):
        self.app = app
        self.on_refusal = on_refusal
        self.public_origin = _origin(public_url)
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        if scope["path"].startswith(self.exempt_prefixes):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if not self._allowed(headers, scope):
            response = self.on_refusal(scope)
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)

    def _allowed(self, headers: dict[str, str], scope: Scope) -> bool:
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            return fetch_site in ("same-origin", "none")
        origin = headers.get("origin")
        if origin is None or origin == "null":
            # Browsers send one of the two on a cross-site POST; without either, this is not
            # a browser acting for someone else (curl, a script, an old client).
            return origin is None
        own = {self.public_origin}
        host = headers.get("host")
        if host:
            own.add(f"{scope.get('scheme', 'http')}://{host}".lower())
        return origin.lower() in own


def csrf_token(request: Request) -> str:
    """The token of the signed-in session (kept with the session, on the server)."""
    session = current_session(request)
    return session.csrf if session else ""


def valid_csrf(request: Request, submitted: str | None) -> bool:
    expected = csrf_token(request)
    return bool(expected) and bool(submitted) and hmac.compare_digest(expected, submitted)
