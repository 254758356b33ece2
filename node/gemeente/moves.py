"""A followed kern's `Move`, however it arrives: pushed to the inbox or found by a pull.

Push is the usual way (node/gemeente/handlers.py). When the push never arrives (the gemeente
was down longer than the kern retries), the pull of the old actor's outbox still finds the
Move, checked by its integrity proof, and takes it the same way (node/gemeente/pull.py). The
checks are the same either way: the Move names the sender itself, its target is not a kern
the gemeente follows already, and the target's document (in the key cache) names the sender
in `alsoKnownAs` (federation/moves.py) and is a Bloei kern. Then `kernen.move` switches the
kern over.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from federation.identity import LocalIdentity
from federation.moves import MoveRefused, confirmed_target
from node.gemeente import kernen, readmodel


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
    new_actor, document = confirmed_target(conn, sender, activity)
    if kernen.by_actor(conn, new_actor.id) is not None:
        raise MoveRefused(403, "move_target_known")
    try:
        kernen.check_bloei_kern(new_actor, document, identity.actor_id)
    except kernen.AddressError:
        raise MoveRefused(403, "move_target_not_a_kern") from None
    kernen.move(conn, identity, kern, new_actor, str(activity["id"]), now)
    readmodel.touch(conn)
