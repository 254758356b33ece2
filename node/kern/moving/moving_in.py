"""A kern imported at a new address, before and just after its followers read the Move.

Between `bloei import --url` and the moment a follower has taken the old actor's `Move`, the
follower does not know the new actor: it refuses (403) what the new node delivers. A change
made at the new address in that time would then be given up, and a kern that follows this
one (unlike the gemeente, which pulls the outbox) would never get it. So:

* the import notes which followers it took along (`await_followers`, in `meta.move_awaited`
  with the moment of the import);
* while a follower is awaited, a 403 from its inbox is retried, not final (`held_inboxes`,
  passed to the delivery round);
* a follower that took the Move follows the new actor; that Follow (`handle_follow`) ends the
  wait for it and makes its held deliveries due at once, also those given up on a 403 before
  (say by a node without this wait), as long as they were made here since the import.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from federation import follows
from federation.dispatch import InboxContext
from federation.follows import FollowRules
from federation.store import timestamp
from node.kern.moving.rehome import MOVE_AWAITED


def await_followers(conn: sqlite3.Connection, now: datetime) -> int:
    """At import: note the accepted followers, who do not know the new actor yet."""
    actors = [
        row[0]
        for row in conn.execute(
            "SELECT actor_id FROM federation_followers WHERE state = 'accepted' ORDER BY actor_id"
        )
    ]
    value = json.dumps({"since": timestamp(now), "actors": actors})
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (MOVE_AWAITED, value))
    return len(actors)


def _awaited(conn: sqlite3.Connection) -> dict[str, Any]:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (MOVE_AWAITED,)).fetchone()
    try:
        value = json.loads(found[0]) if found else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) and isinstance(value.get("actors"), list) else {}


def awaited_followers(conn: sqlite3.Connection) -> list[str]:
    """The followers from before the import that have not followed the new actor yet."""
    return [actor for actor in _awaited(conn).get("actors", []) if isinstance(actor, str)]


def held_inboxes(conn: sqlite3.Connection) -> frozenset[str]:
    """The inboxes whose refusal is retried: those of the awaited followers."""
    awaited = awaited_followers(conn)
    if not awaited:
        return frozenset()
    marks = ", ".join("?" for _ in awaited)
    found = conn.execute(
        f"SELECT inbox, shared_inbox FROM federation_followers WHERE actor_id IN ({marks})",
        awaited,
    )
    return frozenset(inbox for row in found for inbox in row if inbox)


def handle_follow(ctx: InboxContext, rules: FollowRules) -> None:
    """A Follow as always; from an awaited follower it also releases what was held for it."""
    before = _inboxes_of(ctx.conn, ctx.actor.id)
    follows.handle_follow(ctx, rules)
    state = ctx.conn.execute(
        "SELECT state FROM federation_followers WHERE actor_id = ?", (ctx.actor.id,)
    ).fetchone()
    if state is not None and state[0] != "rejected":
        release(ctx.conn, ctx.actor.id, before | _inboxes_of(ctx.conn, ctx.actor.id), ctx.now)


def release(conn: sqlite3.Connection, actor_id: str, inboxes: set[str], now: datetime) -> int:
    """End the wait for `actor_id`: its held deliveries are due now; returns how many."""
    awaited = _awaited(conn)
    if actor_id not in awaited.get("actors", []):
        return 0
    remaining = [actor for actor in awaited["actors"] if actor != actor_id]
    value = json.dumps({**awaited, "actors": remaining})
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, MOVE_AWAITED))
    if not inboxes:
        return 0
    marks = ", ".join("?" for _ in inboxes)
    return conn.execute(
        f"""UPDATE federation_deliveries
            SET status = 'pending', next_try_at = ?, finished_at = NULL,
                tries = CASE WHEN status = 'failed' THEN 0 ELSE tries END
            WHERE inbox IN ({marks}) AND created_at >= ?
              AND (status = 'pending' OR (status = 'failed' AND last_status = 403))""",
        (timestamp(now), *sorted(inboxes), str(awaited.get("since", ""))),
    ).rowcount


def _inboxes_of(conn: sqlite3.Connection, actor_id: str) -> set[str]:
    found = conn.execute(
        "SELECT inbox, shared_inbox FROM federation_followers WHERE actor_id = ?", (actor_id,)
    ).fetchone()
    return {inbox for inbox in found if inbox} if found else set()
