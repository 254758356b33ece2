"""`Move`: an actor followed here says it now lives at another actor.

What every follower checks before it follows along (docs/FEDERATION.md, `Move`): the Move is
the sender's own (`object` is the sender), it names a target other than the sender, and the
target's document names the sender in `alsoKnownAs`, so the new actor wants the move too.
The target's document comes from the key cache (`federation_remote_actors`): when it is
missing or does not (yet) name the sender, `receive_offering_moves_again` fetches the target
once and hands the Move to the inbox a second time. What a follower then does (follow the
new actor, re-key what it holds of the old one) is its own business.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from federation import boundedjson
from federation.actors import ActorError, RemoteActor
from federation.fetch import FetchError
from federation.inbox import Inbox, InboxRequest, InboxResponse
from federation.keycache import KeyCache
from federation.store import utcnow
from federation.vocabulary import id_of

# Refusals after which the target's document is fetched afresh and the Move tried once more.
FETCH_REASONS = frozenset({"move_target_unknown", "move_not_confirmed"})


class MoveRefused(Exception):
    """The Move is not followed; `status` is what an inbox answers, `reason` is short."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def target_of(activity: Mapping[str, Any]) -> str | None:
    return id_of(activity.get("target"))


def also_known_as(document: Any) -> list[str]:
    """The ids an actor document says it is also known as."""
    value = document.get("alsoKnownAs") if isinstance(document, Mapping) else None
    items = value if isinstance(value, list) else [value]
    return [id_of(item) or "" for item in items if item]


def confirmed_target(
    conn: sqlite3.Connection, sender: str, activity: Mapping[str, Any]
) -> tuple[RemoteActor, dict[str, Any]]:
    """The target actor and its document, when the Move passes the checks; else MoveRefused."""
    if id_of(activity.get("object")) != sender:
        raise MoveRefused(403, "move_other_actor")
    target = target_of(activity)
    if not target or target == sender:
        raise MoveRefused(400, "move_without_target")
    found = conn.execute(
        "SELECT document FROM federation_remote_actors WHERE actor_id = ?", (target,)
    ).fetchone()
    if found is None:
        raise MoveRefused(403, "move_target_unknown")
    document = json.loads(found[0])
    if sender not in also_known_as(document):
        raise MoveRefused(403, "move_not_confirmed")
    try:
        return RemoteActor.from_document(document), document
    except ActorError:
        raise MoveRefused(403, "move_target_not_an_actor") from None


async def receive_offering_moves_again(
    inbox: Inbox, keys: KeyCache, request: InboxRequest, now: datetime | None = None
) -> InboxResponse:
    """`inbox.receive`, and for a Move refused for want of its target's document: fetch the
    target once, then offer the same request again (nothing was stored the first time)."""
    now = now or utcnow()
    response = await inbox.receive(request, now)
    if response.status != 403 or response.reason not in FETCH_REASONS:
        return response
    try:
        target = target_of(boundedjson.loads(request.body))
        await keys.fetch_actor(str(target), now)
    except (ValueError, AttributeError, ActorError, FetchError):
        return response
    return await inbox.receive(request, now)
