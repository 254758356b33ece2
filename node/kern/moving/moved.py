"""A kern that has moved sends people to its new address and takes no more input.

After `bloei move` (node/migrate.py) the old server keeps running for a few days, so that
deliveries that failed at first are retried. Meanwhile a resident could still sign up for a
meeting or send an idea there, and a beheerder could still edit: all of that would stay behind
on a server nobody reads any more. So once `meta.moved_to` holds the new actor id:

* the federation endpoints answer as before (the actor and everything under it, the shared
  inbox, WebFinger, NodeInfo) with the static files and the house style their pages use;
* any other GET or HEAD is a 301 to the same path and query under the new address;
* any other write (POST, PUT, PATCH, DELETE) is refused with 410, before anything reads the
  body or touches the database: a Dutch page for people, problem+json under /api/.

`bloei move` runs in another process while the server runs, so `moved_to` is read on every
request: one lookup by primary key, as cheap as the page cache's own data version check, and
it also sees a value that was written without bumping the data version. This middleware sits
in front of the page cache, so a page stored before the move is never served after it.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from federation.rebase import Rebase, RebaseError
from node.db import Database
from node.kern.federation import actor as kern_actor
from node.kern.federation.identity import ACTOR_PATH
from node.kern.moving import rehome
from node.settings import Settings
from node.web.errors import is_api, problem
from node.web.i18n import _, lazy
from node.web.templating import render

# Still served after the move: the followers fetch the actor and its collections, deliver to
# its inboxes and look it up by WebFinger until they have all followed the Move. The static
# files and /huisstijl.css are what the actor's icon and the 410 page use; a redirect to
# another host would be blocked by the pages' Content-Security-Policy (style-src 'self').
KEPT_PATHS = frozenset({"/actor", "/inbox", "/huisstijl.css"})
KEPT_PREFIXES = ("/actor/", "/.well-known/", "/nodeinfo/", "/static/")

READ_METHODS = ("GET", "HEAD")
# Only asks what is allowed (a CORS preflight) and changes nothing: answered as before. Any
# other method is a write and refused, also one this node does not know (deny by default).
PASS_METHODS = ("OPTIONS",)

# Marked with `lazy` for the catalogue, translated with `_` per request; the template uses
# the same message, so it is translated once.
TITLE = lazy("Deze site is verhuisd")
MESSAGE = lazy(
    "Je bericht is niet verstuurd. De kernagenda van %(naam)s staat nu op %(adres)s. "
    "Probeer het daar opnieuw."
)


def is_kept(path: str) -> bool:
    """Whether `path` answers as before on a moved kern."""
    return path in KEPT_PATHS or path.startswith(KEPT_PREFIXES)


def new_base(own_actor: str, own_base: str, moved_to: str) -> str | None:
    """The base address the kern's pages now live under, or None when there is none to use.

    A Bloei kern names its actor `<base>/actor`, so the new base is the new actor id minus
    that path, and every page keeps its path (the import moved all ids the same way).
    When the new actor is not at `<base>/actor` we cannot know the layout of the new host;
    its origin is the one part of the address we know serves people, and keeping the path
    there costs nothing (a Bloei node behind another actor path still finds the page; any
    other host shows its own "not found" with its own navigation). Sending everyone to the
    actor id instead would answer JSON to a browser on many servers.
    None when `moved_to` is no http(s) address, or when it leads back to this very site: a
    redirect to ourselves would loop, so the site then goes on as if it had not moved.
    """
    rebase = Rebase.between_actors(own_actor, moved_to, ACTOR_PATH)
    if rebase is not None:
        return rebase.new
    parts = urlsplit(moved_to)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    own = urlsplit(own_base)
    return None if origin == f"{own.scheme}://{own.netloc}" else origin


def _target(base: str, scope: Scope) -> str:
    """`base` with the request's own path and query, as the client sent them (still encoded)."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    return base + path + (f"?{query}" if query else "")


def _shown(base: str) -> str:
    """The new address as people read it: without https://."""
    parts = urlsplit(base)
    return parts.netloc + parts.path


class MovedMiddleware:
    """In front of the page cache: redirect reads and refuse writes once the kern moved."""

    def __init__(self, app: ASGIApp, db: Database, settings: Settings):
        self.app = app
        self.db = db
        self.settings = settings
        self.own_base = settings.public_url.rstrip("/")
        self.own_actor = kern_actor.routes(settings).id

    def moved_to(self) -> str:
        """`meta.moved_to` as it is now in the database ("" while the kern has not moved)."""
        return rehome.moved_to(self.db.read())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_kept(scope["path"]):
            return await self.app(scope, receive, send)
        moved_to = self.moved_to()
        base = new_base(self.own_actor, self.own_base, moved_to) if moved_to else None
        if base is None or scope["method"] in PASS_METHODS:
            return await self.app(scope, receive, send)
        if scope["method"] in READ_METHODS:
            response = self._redirect(scope, base)
        else:
            response = self._refusal(Request(scope, receive), base)
        await response(scope, receive, send)

    def _redirect(self, scope: Scope, base: str) -> Response:
        # 301: the move is for good, and search engines move the pages' rank along with it.
        response = RedirectResponse(_target(base, scope), status_code=301)
        if is_api(scope["path"]):
            # Without it a browser's cross-origin fetch may not follow the redirect.
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def _refusal(self, request: Request, base: str) -> Response:
        values = {"naam": self.settings.name, "adres": _shown(base)}
        if is_api(request.url.path):
            response = problem(
                410, _(TITLE), _(MESSAGE) % values, location=_target(base, request.scope)
            )
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response

        return render(
            request,
            "moved.html",
            {"title": _(TITLE), **values, "back": self._back(request, base)},
            status_code=410,
            headers={"Cache-Control": "no-store"},
        )

    def _back(self, request: Request, base: str) -> str:
        """Where to try again: the page the form was on, at the new address; else its home."""
        referer = request.headers.get("referer", "")
        try:
            rebase = Rebase(self.own_base, base)
        except RebaseError:
            return base + "/"
        return rebase.id(referer) if rebase.covers(referer) else base + "/"
