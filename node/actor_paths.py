"""Where a node's own actor and its collections live, the same for kern and gemeente.

Both roles serve one actor at `ACTOR_PATH` (federation.actors.ActorRoutes.under lays out its
collections beneath it), and both rely on that layout when a peer moves: a Move re-keys ids
from `<old base>/actor` to `<new base>/actor` (federation.rebase). The route table in
node/web/activitypub.py serves these paths.
"""

from __future__ import annotations

from federation.actors import ActorRoutes

ACTOR_PATH = "/actor"
INBOX_PATH = f"{ACTOR_PATH}/inbox"
OUTBOX_PATH = f"{ACTOR_PATH}/outbox"
FOLLOWERS_PATH = f"{ACTOR_PATH}/followers"
FOLLOWING_PATH = f"{ACTOR_PATH}/following"
ACTIVITIES_PATH = f"{ACTOR_PATH}/activities"
SHARED_INBOX_PATH = "/inbox"
WEBFINGER_PATH = "/.well-known/webfinger"
NODEINFO_DISCOVERY_PATH = "/.well-known/nodeinfo"
NODEINFO_PATH = "/nodeinfo/2.1"


def actor_routes(public_url: str) -> ActorRoutes:
    """The URLs of this node's actor and its collections."""
    return ActorRoutes.under(public_url, ACTOR_PATH)
