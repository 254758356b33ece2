"""The kern's federation addresses: discovery, the actor, its inbox, outbox and collections,
and content negotiation for the pages of public objects.

    GET  /.well-known/webfinger?resource=acct:<slug>@<host>   WebFinger (RFC 7033)
    GET  /.well-known/nodeinfo, /nodeinfo/2.1                 NodeInfo 2.1
    GET  /actor                                               the Group actor (always JSON)
    POST /actor/inbox, /inbox                                 the actor's and the shared inbox
    GET  /actor/outbox[?page=true|before=N|after=N][&size=N]  the signed outbox
    GET  /actor/followers, /actor/following                   collections (their size only)
    GET  /actor/activities/{id}                               one published activity

`ActivityJsonMiddleware` answers a GET of `/` or of a public object's page (a project, thema,
agenda version, meeting, bericht or idea) that asks for `application/activity+json` (or the
ActivityStreams ld+json profile) with the object as the outbox last published it; everything
else goes on to the pages. Anonymous pages are cached by the Accept header too, so the HTML and
the JSON of one address never mix.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation import followers, outbox
from federation.actors import JRD_JSON, NODEINFO_PROFILE, nodeinfo, nodeinfo_discovery, webfinger
from federation.inbox import BodyTooLarge, InboxRequest, read_body
from federation.vocabulary import ACTIVITY_JSON, CONTEXT
from node import __version__
from node.kern import kern_actor, publishing
from node.kern.federation_runtime import KernFederation
from node.web.errors import problem

NODEINFO_JSON = f'application/json; profile="{NODEINFO_PROFILE}"'
# Public objects whose pages also answer as ActivityStreams objects.
OBJECT_PATH_RE = re.compile(
    r"^/(?:projecten|agenda/themas|agenda/versies|bijeenkomsten|nieuws|ideeen)/[^/]+$"
)
# Collections change with follows, which do not bump the data version: never cached.
NO_STORE = {"Cache-Control": "no-store"}


class ActivityJson(JSONResponse):
    media_type = ACTIVITY_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def wants_activity_json(accept: str) -> bool:
    """Whether an Accept header asks for ActivityStreams rather than a page."""
    accept = accept.lower()
    if ACTIVITY_JSON in accept:
        return True
    return "application/ld+json" in accept and "activitystreams" in accept


def _federation(request: Request) -> KernFederation:
    return request.app.state.federation


# --- discovery ---------------------------------------------------------------------------------


async def webfinger_route(request: Request) -> Response:
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return problem(400, "Geen resource", "Vraag naar acct:<naam>@<host>.")
    state = request.app.state
    document = webfinger(kern_actor.profile(state.db.read(), state.settings), resource)
    if document is None:
        return problem(404, "Onbekend", "Op deze server is dat account niet bekend.")
    return JSONResponse(document, media_type=JRD_JSON, headers={"Access-Control-Allow-Origin": "*"})


async def nodeinfo_discovery_route(request: Request) -> Response:
    return JSONResponse(nodeinfo_discovery(request.app.state.settings.public_url))


async def nodeinfo_route(request: Request) -> Response:
    state = request.app.state
    posts = state.db.scalar("SELECT count(*) FROM federation_outbox WHERE type = 'Create'")
    document = nodeinfo(
        __version__,
        local_posts=int(posts or 0),
        metadata={"nodeName": state.settings.name, "role": state.settings.role},
    )
    return JSONResponse(document, media_type=NODEINFO_JSON)


# --- the actor and its collections -------------------------------------------------------------


async def actor_route(request: Request) -> Response:
    state = request.app.state
    fed = _federation(request)
    return ActivityJson(kern_actor.document(state.db.read(), state.settings, fed.publisher))


async def inbox_route(request: Request) -> Response:
    fed = _federation(request)
    try:
        body = await read_body(request.stream())
    except BodyTooLarge:
        return problem(413, "Te groot", "Een activiteit is hoogstens 1 MiB.")
    target = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    if request.url.query:
        target += "?" + request.url.query
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    result = await fed.receive(InboxRequest("POST", target, headers, body, scheme=fed.scheme))
    if result.status == 202:
        return Response(status_code=202)
    return problem(result.status, "Niet aangenomen", result.reason)


async def outbox_route(request: Request) -> Response:
    fed = _federation(request)
    try:
        document = outbox.respond(
            request.app.state.db.read(), fed.publisher.routes.outbox, dict(request.query_params)
        )
    except outbox.OutboxQueryError as error:
        return problem(400, "Onbekende vraag", str(error))
    return ActivityJson(document)


async def followers_route(request: Request) -> Response:
    fed = _federation(request)
    document = followers.followers_collection(
        request.app.state.db.read(), fed.publisher.routes.followers
    )
    return ActivityJson(document, headers=NO_STORE)


async def following_route(request: Request) -> Response:
    fed = _federation(request)
    total = request.app.state.db.scalar(
        "SELECT count(*) FROM federation_following WHERE state = 'accepted'"
    )
    document = {
        "@context": CONTEXT,
        "id": fed.publisher.routes.following,
        "type": "OrderedCollection",
        "totalItems": int(total or 0),
    }
    return ActivityJson(document, headers=NO_STORE)


async def activity_route(request: Request) -> Response:
    fed = _federation(request)
    activity_id = f"{fed.publisher.routes.id}/activities/{request.path_params['activity']}"
    found = outbox.get_activity(request.app.state.db.read(), activity_id)
    if found is None:
        return problem(404, "Onbekend", "Deze activiteit bestaat hier niet.")
    return ActivityJson(found)


def routes() -> list[BaseRoute]:
    return [
        Route("/.well-known/webfinger", webfinger_route),
        Route("/.well-known/nodeinfo", nodeinfo_discovery_route),
        Route("/nodeinfo/2.1", nodeinfo_route),
        Route("/actor", actor_route),
        Route("/actor/inbox", inbox_route, methods=["POST"]),
        Route("/inbox", inbox_route, methods=["POST"]),
        Route("/actor/outbox", outbox_route),
        Route("/actor/followers", followers_route),
        Route("/actor/following", following_route),
        Route("/actor/activities/{activity}", activity_route),
    ]


# --- content negotiation -----------------------------------------------------------------------


class ActivityJsonMiddleware:
    """GET of `/` or an object page with an ActivityStreams Accept header: the actor or the
    object, as JSON. Other requests pass; object pages get `Vary: Accept` either way."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        negotiable = scope.get("method") in ("GET", "HEAD") and (
            path == "/" or OBJECT_PATH_RE.match(path) is not None
        )
        if not negotiable:
            return await self.app(scope, receive, send)
        accept = ""
        for key, value in scope["headers"]:
            if key == b"accept":
                accept = value.decode("latin-1")
        if wants_activity_json(accept):
            response = self._answer(scope, path)
            return await response(scope, receive, send)

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"vary", b"Accept")]
            await send(message)

        await self.app(scope, receive, send_with_vary)

    def _answer(self, scope: Scope, path: str) -> Response:
        state = scope["app"].state
        settings = state.settings
        headers = {"Vary": "Accept"}
        conn = state.db.read()
        if path == "/":
            fed: KernFederation = state.federation
            return ActivityJson(kern_actor.document(conn, settings, fed.publisher), headers=headers)
        found = publishing.current_object(conn, settings.url(path))
        if found is None:
            return problem(404, "Onbekend", "Dit is hier niet (of nog niet) gepubliceerd.")
        kind, obj = found
        document = {"@context": CONTEXT, **obj}
        return ActivityJson(document, status_code=410 if kind == "Delete" else 200, headers=headers)
