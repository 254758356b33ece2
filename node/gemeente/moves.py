"""A followed kern's `Move`, however it arrives: pushed to the inbox or found by a pull.

Push is the usual way (node/gemeente/handlers.py). When the push never arrives (the gemeente
was down longer than the kern retries), the pull of the old actor's outbox still finds the
Move, checked by its integrity proof, and takes it the same way (node/gemeente/pull.py). The
checks are the same either way: the Move names the sender itself, its target is not a kern
the gemeente follows already, and the target's document (in the key cache) names the sender
in `alsoKnownAs` and is a Bloei kern. Then `kernen.move` switches the kern over.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from federation import vocabulary
from federation.actors import ActorError, RemoteActor
from federation.identity import LocalIdentity
from node import migrate
from node.gemeente import kernen, readmodel

# Refusals after which the target's document is fetched afresh and the Move tried once more.
FETCH_REASONS = frozenset({"move_target_unknown", "move_not_confirmed"})


class MoveRefused(Exception):
    """The Move is not taken; `status` is what the inbox answers, `reason` is short."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def target_of(activity: dict[str, Any]) -> str | None:
    return vocabulary.id_of(activity.get("target"))


def take(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    sender: str,
    activity: dict[str, Any],
    now: datetime,
) -> None:
    """Take a Move the kern `sender` made (its signature or proof already checked); in the
    caller's transaction. Raises MoveRefused."""
    kern = kernen.by_actor(conn, sender)
    if not kernen.may_send(kern):
        raise MoveRefused(403, "not_a_followed_kern")
    assert kern is not None
    if vocabulary.id_of(activity.get("object")) != sender:
        raise MoveRefused(403, "move_other_actor")
    target = target_of(activity)
    if not target or target == sender:
        raise MoveRefused(400, "move_without_target")
    if kernen.by_actor(conn, target) is not None:
        raise MoveRefused(403, "move_target_known")
    found = conn.execute(
        "SELECT document FROM federation_remote_actors WHERE actor_id = ?", (target,)
    ).fetchone()
    if found is None:
        raise MoveRefused(403, "move_target_unknown")
    document = json.loads(found[0])
    if sender not in migrate.also_known_as(document):
        raise MoveRefused(403, "move_not_confirmed")
    try:
        new_actor = RemoteActor.from_document(document)
        kernen.check_bloei_kern(new_actor, document, identity.actor_id)
    except (ActorError, kernen.AddressError):
        raise MoveRefused(403, "move_target_not_a_kern") from None
    kernen.move(conn, identity, kern, new_actor, str(activity["id"]), now)
    readmodel.touch(conn)
