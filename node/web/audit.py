"""The audit log: who changed what, when, in beheer or on the command line."""

from __future__ import annotations

import sqlite3

from node.web.auth import User, now


def record_audit(
    conn: sqlite3.Connection,
    who: User | str,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
) -> None:
    """Write one audit line inside the caller's transaction, so it lands with the change."""
    if isinstance(who, User):
        user_id, username = who.id, who.username
    else:
        user_id, username = None, who
    conn.execute(
        """INSERT INTO audit_log (at, user_id, username, action, object_type, object_id, summary)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (now(), user_id, username, action, object_type, str(object_id), summary[:500]),
    )
