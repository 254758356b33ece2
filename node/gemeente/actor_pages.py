"""The gemeente's federation addresses: discovery, the Organization actor, its inbox and
outbox, and its collections.

    GET  /.well-known/webfinger?resource=acct:<slug>@<host>   WebFinger (RFC 7033)
    GET  /.well-known/nodeinfo, /nodeinfo/2.1                 NodeInfo 2.1
    GET  /actor                                               the Organization actor
    POST /actor/inbox, /inbox                                 the actor's and the shared inbox
    GET  /actor/outbox[?page=true|before=N|after=N][&size=N]  what the gemeente published
    GET  /actor/followers, /actor/following                   collections (their size only)
    GET  /actor/activities/{id}                               one published activity
    GET  /reacties/{id}, /berichten/{id}                      a reactie or gemeentebericht
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from federation import followers, outbox
from federation.actors import JRD_JSON, NODEINFO_PROFILE, nodeinfo, nodeinfo_discovery, webfinger
from federation.inbox import BodyTooLarge, InboxRequest, read_body
from federation.vocabulary import ACTIVITY_JSON, CONTEXT
from node import __version__
from node.gemeente import identity
from node.gemeente.runtime import GemeenteFederation
from node.web.errors import problem

NODEINFO_JSON = f'application/json; profile="{NODEINFO_PROFILE}"'
# Collections change with follows, which do not bump the data version: never cached.
NO_STORE = {"Cache-Control": "no-store"}


class ActivityJson(JSONResponse):
    media_type = ACTIVITY_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _federation(request: Request) -> GemeenteFederation:
    return request.app.state.federation


async def webfinger_route(request: Request) -> Response:
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return problem(400, "Geen resource", "Vraag naar acct:<naam>@<host>.")
    document = webfinger(identity.profile(request.app.state.settings), resource)
    if document is None:
        return problem(404, "Onbekend", "Op deze server is dat account niet bekend.")
    return JSONResponse(document, media_type=JRD_JSON, headers={"Access-Control-Allow-Origin": "*"})


async def nodeinfo_discovery_route(request: Request) -> Response:
    return JSONResponse(nodeinfo_discovery(request.app.state.settings.public_url))


async def nodeinfo_route(request: Request) -> Response:
    settings = request.app.state.settings
    posts = request.app.state.db.scalar(
        "SELECT count(*) FROM federation_outbox WHERE type = 'Create'"
    )
    document = nodeinfo(
        __version__,
        local_posts=int(posts or 0),
        metadata={"nodeName": settings.name, "role": settings.role},
    )
    return JSONResponse(document, media_type=NODEINFO_JSON)


async def actor_route(request: Request) -> Response:
    fed = _federation(request)
    return ActivityJson(identity.document(request.app.state.settings, fed.identity))


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
            request.app.state.db.read(), fed.routes.outbox, dict(request.query_params)
        )
    except outbox.OutboxQueryError as error:
        return problem(400, "Onbekende vraag", str(error))
    return ActivityJson(document)


async def followers_route(request: Request) -> Response:
    fed = _federation(request)
    document = followers.followers_collection(request.app.state.db.read(), fed.routes.followers)
    return ActivityJson(document, headers=NO_STORE)


async def following_route(request: Request) -> Response:
    fed = _federation(request)
    total = request.app.state.db.scalar(
        "SELECT count(*) FROM federation_following WHERE state = 'accepted'"
    )
    document = {
        "@context": CONTEXT,
        "id": fed.routes.following,
        "type": "OrderedCollection",
        "totalItems": int(total or 0),
    }
    return ActivityJson(document, headers=NO_STORE)


async def activity_route(request: Request) -> Response:
    fed = _federation(request)
    activity_id = f"{fed.routes.id}/activities/{request.path_params['activity']}"
    found = outbox.get_activity(request.app.state.db.read(), activity_id)
    if found is None:
        return problem(404, "Onbekend", "Deze activiteit bestaat hier niet.")
    return ActivityJson(found)


async def object_route(request: Request) -> Response:
    """A reactie or gemeentebericht at its own id, as the outbox last published it."""
    object_id = request.app.state.settings.url(request.url.path)
    found = request.app.state.db.one(
        """SELECT document FROM federation_outbox WHERE object_id = ?
           AND type IN ('Create', 'Update', 'Delete') ORDER BY position DESC LIMIT 1""",
        (object_id,),
    )
    if found is None:
        return problem(404, "Onbekend", "Dit heeft de gemeente niet gepubliceerd.")
    activity = json.loads(found["document"])
    return ActivityJson({"@context": CONTEXT, **activity["object"]})


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
        Route("/reacties/{key}", object_route),
        Route("/berichten/{key}", object_route),
    ]
