"""The kern's federation addresses: discovery, the actor, its inbox, outbox and collections,
and content negotiation for the pages of public objects.

    GET  /.well-known/webfinger?resource=acct:<slug>@<host>   WebFinger (RFC 7033)
    GET  /.well-known/nodeinfo, /nodeinfo/2.1                 NodeInfo 2.1
    GET  /actor                                               the Group actor (always JSON)
    POST /actor/inbox, /inbox                                 the actor's and the shared inbox
    GET  /actor/outbox[?page=true|before=N|after=N][&size=N]  the signed outbox
    GET  /actor/followers, /actor/following                   collections (their size only)
    GET  /actor/activities/{id}                               one published activity
    GET  /ns/bloei.jsonld                                     Bloei's JSON-LD context

`ActivityJsonMiddleware` answers a GET of `/` or of a public object's page (a project, thema,
agenda version, meeting, bericht, idea or partner) that asks for `application/activity+json` (or the
ActivityStreams ld+json profile) with the object as the outbox last published it; everything
else goes on to the pages. Anonymous pages are cached by the Accept header too, so the HTML and
the JSON of one address never mix.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation.vocabulary import ACTIVITY_JSON, CONTEXT
from node.kern.federation import actor as kern_actor
from node.kern.federation import publishing
from node.kern.federation.runtime import KernFederation
from node.web.activitypub import (
    ActivityJson,
    ActorEndpoints,
    activity_response,
    activitypub_routes,
    conditional_activity,
    followers_response,
    following_response,
    inbox_response,
    outbox_response,
    webfinger_response,
)
from node.web.errors import problem

# Public objects whose pages also answer as ActivityStreams objects.
OBJECT_PATH_RE = re.compile(
    r"^/(?:projecten|agenda/themas|agenda/versies|bijeenkomsten|nieuws|ideeen|antwoorden|partners)"
    r"/[^/]+$"
)


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
    state = request.app.state
    return webfinger_response(request, kern_actor.profile(state.db.read(), state.settings))


# --- the actor and its collections -------------------------------------------------------------


async def actor_route(request: Request) -> Response:
    state = request.app.state
    fed = _federation(request)
    return conditional_activity(
        request, lambda: kern_actor.document(state.db.read(), state.settings, fed.publisher)
    )


async def inbox_route(request: Request) -> Response:
    return await inbox_response(request, _federation(request))


async def outbox_route(request: Request) -> Response:
    return outbox_response(request, _federation(request).publisher.routes.outbox)


async def followers_route(request: Request) -> Response:
    return followers_response(request, _federation(request).publisher.routes.followers)


async def following_route(request: Request) -> Response:
    return following_response(request, _federation(request).publisher.routes.following)


async def activity_route(request: Request) -> Response:
    return activity_response(request, _federation(request).publisher.routes.id)


def routes() -> list[BaseRoute]:
    return activitypub_routes(
        ActorEndpoints(
            webfinger=webfinger_route,
            actor=actor_route,
            inbox=inbox_route,
            outbox=outbox_route,
            followers=followers_route,
            following=following_route,
            activity=activity_route,
        )
    )


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
