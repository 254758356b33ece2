"""A kern this kern follows moved: follow it at its new address, and keep what it sent.

Only a Move from an actor this kern follows (asked or accepted) is taken; from anyone else it
is answered 202 and changes nothing. The checks are every follower's (federation/moves.py:
the Move is the sender's own, and the new actor names the old one in `alsoKnownAs`). Then, in
the inbox's transaction: the old follow is forgotten, a Follow goes to the new actor, and the
objects received from the old actor move to their ids under the new base (federation/rebase.py,
as the moved kern's own history did), so a later Update from the new actor changes the same
copy. When the new actor is not at `<base>/actor` the copies keep their old ids.
"""

from __future__ import annotations

import sqlite3

from federation import followers, follows
from federation.dispatch import InboxContext, InboxRefusal
from federation.moves import MoveRefused, confirmed_target
from federation.rebase import Rebase, rebase_column, rebase_json_column
from federation.store import REJECTED
from node.kern.conversation import model as gemeente_messages
from node.kern.federation.identity import ACTOR_PATH
from node.web.audit import record_audit


def handle_move(ctx: InboxContext) -> None:
    old = ctx.actor.id
    following = followers.get_following(ctx.conn, old)
    if following is None or following.state == REJECTED:
        return  # not an actor this kern follows
    try:
        new_actor, _document = confirmed_target(ctx.conn, old, ctx.activity)
    except MoveRefused as refusal:
        raise InboxRefusal(refusal.status, refusal.reason) from None
    followers.remove_following(ctx.conn, old)
    if followers.get_following(ctx.conn, new_actor.id) is None:
        follows.follow(ctx.conn, ctx.identity, new_actor, ctx.now)
    rebase = Rebase.between_actors(old, new_actor.id, ACTOR_PATH)
    moved = _rekey_received(ctx.conn, rebase, old, new_actor.id) if rebase else 0
    record_audit(
        ctx.conn, "federation", "volgen.verhuisd", "Kern", new_actor.id, f"{old} ({moved})"
    )
    gemeente_messages.touch(ctx.conn)  # pages that show received objects change at once


def _rekey_received(conn: sqlite3.Connection, rebase: Rebase, old: str, new: str) -> int:
    """Move the copies received from `old` under the new base and to the new actor."""
    held = conn.execute(
        "SELECT object_id FROM received_objects WHERE actor_id = ?", (old,)
    ).fetchall()
    for (object_id,) in held:
        # A copy under the new id came in first: it is the newer one, the old copy goes.
        moved_id = rebase.id(object_id)
        if (
            moved_id != object_id
            and conn.execute(
                "SELECT 1 FROM received_objects WHERE object_id = ?", (moved_id,)
            ).fetchone()
        ):
            conn.execute("DELETE FROM received_objects WHERE object_id = ?", (object_id,))
    moved = rebase_column(conn, rebase, "received_objects", "object_id", "actor_id = ?", (old,))
    rebase_json_column(
        conn,
        rebase,
        "received_objects",
        "object_id",
        "document",
        where="actor_id = ?",
        params=(old,),
    )
    conn.execute("UPDATE received_objects SET actor_id = ? WHERE actor_id = ?", (new, old))
    return moved
