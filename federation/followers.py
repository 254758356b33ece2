"""Records of who follows this node (followers) and whom it follows (following).

Pure storage: the Follow protocol around them (Accept, Reject, Undo) is in `follows.py`. All
functions take the caller's connection; writes belong inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.store import ACCEPTED, FOLLOW_STATES, row, rows, timestamp
from federation.vocabulary import CONTEXT


@dataclass(frozen=True)
class Follower:
    actor_id: str
    inbox: str
    shared_inbox: str | None
    state: str
    follow_id: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Following:
    actor_id: str
    inbox: str
    outbox: str | None
    state: str
    follow_id: str
    last_position: int | None
    created_at: str
    updated_at: str


def _check_state(state: str) -> None:
    if state not in FOLLOW_STATES:
        raise ValueError(f"unknown follow state {state!r}")


# --- followers ---------------------------------------------------------------------------------


def save_follower(
    conn: sqlite3.Connection,
    actor_id: str,
    inbox: str,
    shared_inbox: str | None,
    state: str,
    now: datetime,
    follow_id: str | None = None,
) -> Follower:
    """Add or refresh a follower; a repeated Follow updates inbox, state and follow id."""
    _check_state(state)
    stamp = timestamp(now)
    conn.execute(
        """INSERT INTO federation_followers
               (actor_id, inbox, shared_inbox, state, follow_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (actor_id) DO UPDATE SET inbox = excluded.inbox,
               shared_inbox = excluded.shared_inbox, state = excluded.state,
               follow_id = excluded.follow_id, updated_at = excluded.updated_at""",
        (actor_id, inbox, shared_inbox, state, follow_id, stamp, stamp),
    )
    found = get_follower(conn, actor_id)
    assert found is not None
    return found


def get_follower(conn: sqlite3.Connection, actor_id: str) -> Follower | None:
    found = row(conn, "SELECT * FROM federation_followers WHERE actor_id = ?", (actor_id,))
    return Follower(**dict(found)) if found else None


def set_follower_state(conn: sqlite3.Connection, actor_id: str, state: str, now: datetime) -> bool:
    """Change a follower's state; False when there is no such follower."""
    _check_state(state)
    cursor = conn.execute(
        "UPDATE federation_followers SET state = ?, updated_at = ? WHERE actor_id = ?",
        (state, timestamp(now), actor_id),
    )
    return cursor.rowcount > 0


def remove_follower(conn: sqlite3.Connection, actor_id: str) -> bool:
    cursor = conn.execute("DELETE FROM federation_followers WHERE actor_id = ?", (actor_id,))
    return cursor.rowcount > 0


def list_followers(conn: sqlite3.Connection, state: str | None = None) -> list[Follower]:
    """Followers, newest first; all states unless `state` is given (for beheer)."""
    if state is None:
        found = rows(conn, "SELECT * FROM federation_followers ORDER BY created_at DESC")
    else:
        _check_state(state)
        found = rows(
            conn,
            "SELECT * FROM federation_followers WHERE state = ? ORDER BY created_at DESC",
            (state,),
        )
    return [Follower(**dict(r)) for r in found]


def count_followers(conn: sqlite3.Connection, state: str = ACCEPTED) -> int:
    found = conn.execute(
        "SELECT count(*) FROM federation_followers WHERE state = ?", (state,)
    ).fetchone()
    return int(found[0])


def delivery_inboxes(conn: sqlite3.Connection) -> list[str]:
    """One inbox per server: accepted followers' shared inbox where they have one.

    Twenty Mastodon users on one server get one delivery, as ActivityPub 7.1.3 allows.
    """
    found = conn.execute(
        """SELECT DISTINCT coalesce(shared_inbox, inbox) FROM federation_followers
           WHERE state = 'accepted' ORDER BY 1"""
    ).fetchall()
    return [r[0] for r in found]


def is_follower(conn: sqlite3.Connection, actor_id: str, state: str = ACCEPTED) -> bool:
    found = conn.execute(
        "SELECT 1 FROM federation_followers WHERE actor_id = ? AND state = ?", (actor_id, state)
    ).fetchone()
    return found is not None


def followers_collection(conn: sqlite3.Connection, url: str) -> dict[str, Any]:
    """The followers collection: its size only, as Mastodon shows it; members stay private."""

    return {
        "@context": CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": count_followers(conn),
    }


# --- following ---------------------------------------------------------------------------------


def save_following(
    conn: sqlite3.Connection,
    actor_id: str,
    inbox: str,
    follow_id: str,
    now: datetime,
    outbox: str | None = None,
    state: str = "pending",
) -> Following:
    """Record a Follow we sent; a new Follow of the same actor replaces the old record's id."""
    _check_state(state)
    stamp = timestamp(now)
    conn.execute(
        """INSERT INTO federation_following
               (actor_id, inbox, outbox, state, follow_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (actor_id) DO UPDATE SET inbox = excluded.inbox,
               outbox = excluded.outbox, state = excluded.state,
               follow_id = excluded.follow_id, updated_at = excluded.updated_at""",
        (actor_id, inbox, outbox, state, follow_id, stamp, stamp),
    )
    found = get_following(conn, actor_id)
    assert found is not None
    return found


def get_following(conn: sqlite3.Connection, actor_id: str) -> Following | None:
    found = row(conn, "SELECT * FROM federation_following WHERE actor_id = ?", (actor_id,))
    return Following(**dict(found)) if found else None


def set_following_state(conn: sqlite3.Connection, actor_id: str, state: str, now: datetime) -> bool:
    _check_state(state)
    cursor = conn.execute(
        "UPDATE federation_following SET state = ?, updated_at = ? WHERE actor_id = ?",
        (state, timestamp(now), actor_id),
    )
    return cursor.rowcount > 0


def remove_following(conn: sqlite3.Connection, actor_id: str) -> bool:
    cursor = conn.execute("DELETE FROM federation_following WHERE actor_id = ?", (actor_id,))
    return cursor.rowcount > 0


def list_following(conn: sqlite3.Connection, state: str | None = None) -> list[Following]:
    if state is None:
        found = rows(conn, "SELECT * FROM federation_following ORDER BY created_at")
    else:
        _check_state(state)
        found = rows(
            conn,
            "SELECT * FROM federation_following WHERE state = ? ORDER BY created_at",
            (state,),
        )
    return [Following(**dict(r)) for r in found]


def is_following(conn: sqlite3.Connection, actor_id: str, state: str = ACCEPTED) -> bool:
    found = conn.execute(
        "SELECT 1 FROM federation_following WHERE actor_id = ? AND state = ?", (actor_id, state)
    ).fetchone()
    return found is not None


def set_last_position(conn: sqlite3.Connection, actor_id: str, position: int) -> None:
    """Remember how far a pull of this actor's outbox got; it never moves backwards."""
    conn.execute(
        """UPDATE federation_following SET last_position = max(coalesce(last_position, 0), ?)
           WHERE actor_id = ?""",
        (position, actor_id),
    )


def restart_position(conn: sqlite3.Connection, actor_id: str) -> None:
    """Read this actor's outbox again from the start: it went back below what was read (say,
    restored from an older backup), so positions already passed may now hold new activities."""
    conn.execute(
        "UPDATE federation_following SET last_position = 0 WHERE actor_id = ?", (actor_id,)
    )
