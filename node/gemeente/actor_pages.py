"""The gemeente's federation addresses: discovery, the Organization actor, its inbox and
outbox, and its collections.

    GET  /.well-known/webfinger?resource=acct:<slug>@<host>   WebFinger (RFC 7033)
    GET  /.well-known/nodeinfo, /nodeinfo/2.1                 NodeInfo 2.1
    GET  /actor                                               the Organization actor
    POST /actor/inbox, /inbox                                 the actor's and the shared inbox
    GET  /actor/outbox[?page=true|before=N|after=N][&size=N]  what the gemeente published
    GET  /actor/followers, /actor/following                   collections (their size only)
    GET  /actor/activities/{id}                               one published activity
    GET  /ns/bloei.jsonld                                     Bloei's JSON-LD context
    GET  /reacties/{id}, /berichten/{id}                      a reactie or gemeentebericht
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from federation.vocabulary import CONTEXT
from node.gemeente import identity
from node.gemeente.runtime import GemeenteFederation
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


def _federation(request: Request) -> GemeenteFederation:
    return request.app.state.federation


async def webfinger_route(request: Request) -> Response:
    return webfinger_response(request, identity.profile(request.app.state.settings))


async def actor_route(request: Request) -> Response:
    fed = _federation(request)
    settings = request.app.state.settings
    return conditional_activity(request, lambda: identity.document(settings, fed.identity))


async def inbox_route(request: Request) -> Response:
    return await inbox_response(request, _federation(request))


async def outbox_route(request: Request) -> Response:
    return outbox_response(request, _federation(request).routes.outbox)


async def followers_route(request: Request) -> Response:
    return followers_response(request, _federation(request).routes.followers)


async def following_route(request: Request) -> Response:
    return following_response(request, _federation(request).routes.following)


async def activity_route(request: Request) -> Response:
    return activity_response(request, _federation(request).routes.id)


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
        *activitypub_routes(
            ActorEndpoints(
                webfinger=webfinger_route,
                actor=actor_route,
                inbox=inbox_route,
                outbox=outbox_route,
                followers=followers_route,
                following=following_route,
                activity=activity_route,
            )
        ),
        Route("/reacties/{key}", object_route),
        Route("/berichten/{key}", object_route),
    ]
