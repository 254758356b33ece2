"""The ActivityPub endpoints every node serves the same way, kern or gemeente.

Each role's own module (node/kern/federation/pages.py, node/gemeente/actor_pages.py) knows
its actor and where its collections live, and hands the request to these. The route table
is written once, here (`activitypub_routes`): each role gives its handlers and adds its own
routes after it, so both serve the same addresses (node/actor_paths.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from federation import followers, outbox
from federation.actors import JRD_JSON, NODEINFO_PROFILE, nodeinfo, nodeinfo_discovery, webfinger
from federation.inbox import BodyTooLarge, InboxRequest, read_body
from federation.vocabulary import (
    ACTIVITY_JSON,
    CONTEXT,
    CONTEXT_PATH,
    LD_JSON_MEDIA,
    context_document,
)
from node import __version__
from node.actor_paths import (
    ACTIVITIES_PATH,
    ACTOR_PATH,
    FOLLOWERS_PATH,
    FOLLOWING_PATH,
    INBOX_PATH,
    NODEINFO_DISCOVERY_PATH,
    NODEINFO_PATH,
    OUTBOX_PATH,
    SHARED_INBOX_PATH,
    WEBFINGER_PATH,
)
from node.web.conditional import conditional_response
from node.web.errors import problem

NODEINFO_JSON = f'application/json; profile="{NODEINFO_PROFILE}"'
# Collections change with follows, which do not bump the data version: a client may keep
# them but asks again each time (a 304 when the count is the same), and the page cache,
# which follows the data version, keeps no copy (`private`).
REVALIDATE_PRIVATE = {"Cache-Control": "no-cache, private"}


class ActivityJson(JSONResponse):
    media_type = ACTIVITY_JSON

    def render(self, content: Any) -> bytes:
        return activity_bytes(content)


def activity_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def conditional_activity(
    request: Request,
    build: Callable[[], dict[str, Any]],
    follows_data: bool = True,
    headers: dict[str, str] | None = None,
) -> Response:
    """An ActivityStreams document with ETag and Last-Modified, or a 304 (RFC 9110 §13).

    `follows_data`: the document changes only with the data version, so that version and
    the time it moved are its validators, and a poll at the same version needs no new body.
    Otherwise (the follow counts, written without a version bump) the body is made each time
    and only its hash, the ETag, decides: their changes include removals, which leave no
    time behind to send as Last-Modified.
    """
    db = request.app.state.db
    version = last_modified = None
    if follows_data:
        # Read before the data: a change landing in between makes them too old, never too new.
        last_modified = db.data_changed_at()
        version = str(db.data_version())
    return conditional_response(
        request,
        lambda: activity_bytes(build()),
        ACTIVITY_JSON,
        last_modified,
        headers=headers,
        version=version or "",
    )


def webfinger_response(request: Request, profile) -> Response:
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return problem(400, "Geen resource", "Vraag naar acct:<naam>@<host>.")
    document = webfinger(profile, resource)
    if document is None:
        return problem(404, "Onbekend", "Op deze server is dat account niet bekend.")
    return JSONResponse(document, media_type=JRD_JSON, headers={"Access-Control-Allow-Origin": "*"})


async def context_route(request: Request) -> Response:
    """Bloei's JSON-LD context at vocabulary.CONTEXT_PATH; the same on every node, so any
    JSON-LD tool may load and cache it (documents carry it inline as well)."""
    return JSONResponse(
        context_document(),
        media_type=LD_JSON_MEDIA,
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=86400"},
    )


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


async def inbox_response(request: Request, federation) -> Response:
    """Read a POST to the inbox (at most 1 MiB) and let the node's federation take it."""
    try:
        body = await read_body(request.stream())
    except BodyTooLarge:
        return problem(413, "Te groot", "Een activiteit is hoogstens 1 MiB.")
    target = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    if request.url.query:
        target += "?" + request.url.query
    # The raw pairs: a mapping would merge repeated headers that a signature covers.
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    result = await federation.receive(
        InboxRequest("POST", target, headers, body, scheme=federation.scheme)
    )
    if result.status == 202:
        return Response(status_code=202)
    return problem(result.status, "Niet aangenomen", result.reason)


def outbox_response(request: Request, outbox_url: str) -> Response:
    query = dict(request.query_params)
    try:
        outbox.check_query(query)
    except outbox.OutboxQueryError as error:
        return problem(400, "Onbekende vraag", str(error))
    db = request.app.state.db
    return conditional_activity(request, lambda: outbox.respond(db.read(), outbox_url, query))


def followers_response(request: Request, followers_url: str) -> Response:
    db = request.app.state.db
    return conditional_activity(
        request,
        lambda: followers.followers_collection(db.read(), followers_url),
        follows_data=False,
        headers=REVALIDATE_PRIVATE,
    )


def following_response(request: Request, following_url: str) -> Response:
    db = request.app.state.db

    def build() -> dict[str, Any]:
        total = db.scalar("SELECT count(*) FROM federation_following WHERE state = 'accepted'")
        return {
            "@context": CONTEXT,
            "id": following_url,
            "type": "OrderedCollection",
            "totalItems": int(total or 0),
        }

    return conditional_activity(request, build, follows_data=False, headers=REVALIDATE_PRIVATE)


def activity_response(request: Request, actor_id: str) -> Response:
    activity_id = f"{actor_id}/activities/{request.path_params['activity']}"
    found = outbox.get_activity(request.app.state.db.read(), activity_id)
    if found is None:
        return problem(404, "Onbekend", "Deze activiteit bestaat hier niet.")
    return ActivityJson(found)


Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class ActorEndpoints:
    """A role's handlers for the addresses of its actor; NodeInfo and the JSON-LD context
    are the same for every node unless a role says otherwise."""

    webfinger: Endpoint
    actor: Endpoint
    inbox: Endpoint
    outbox: Endpoint
    followers: Endpoint
    following: Endpoint
    activity: Endpoint
    nodeinfo_discovery: Endpoint = nodeinfo_discovery_route
    nodeinfo: Endpoint = nodeinfo_route
    context: Endpoint = context_route


def activitypub_routes(endpoints: ActorEndpoints) -> list[BaseRoute]:
    """Discovery, the actor, its inbox (and the shared one), outbox, collections, activities
    and the context, at the addresses every Bloei node uses."""
    return [
        Route(WEBFINGER_PATH, endpoints.webfinger),
        Route(NODEINFO_DISCOVERY_PATH, endpoints.nodeinfo_discovery),
        Route(NODEINFO_PATH, endpoints.nodeinfo),
        Route(ACTOR_PATH, endpoints.actor),
        Route(INBOX_PATH, endpoints.inbox, methods=["POST"]),
        Route(SHARED_INBOX_PATH, endpoints.inbox, methods=["POST"]),
        Route(OUTBOX_PATH, endpoints.outbox),
        Route(FOLLOWERS_PATH, endpoints.followers),
        Route(FOLLOWING_PATH, endpoints.following),
        Route(ACTIVITIES_PATH + "/{activity}", endpoints.activity),
        Route(CONTEXT_PATH, endpoints.context),
    ]
