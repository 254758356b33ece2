"""Every change to a public object, recorded where federation will pick it up.

A change is written in the caller's transaction together with its event (Create, Update or
Delete with a snapshot of the object as the public sees it) and its audit line. The
federation issue turns events into activities in `kern/federation/publishing.py`; pages never build
activities themselves.
"""

from __future__ import annotations

import json
import sqlite3

from node.settings import slugify
from node.web.audit import record_audit
from node.web.auth import User, now


def record_change(
    conn: sqlite3.Connection,
    who: User | str,
    verb: str,
    object_type: str,
    object_url: str,
    snapshot: dict,
    summary: str,
) -> int:
    cursor = conn.execute(
        "INSERT INTO events (at, verb, object_type, object_id, snapshot) VALUES (?, ?, ?, ?, ?)",
        (now(), verb, object_type, object_url, json.dumps(snapshot, ensure_ascii=False)),
    )
    record_audit(
        conn, who, f"{object_type.lower()}.{verb.lower()}", object_type, object_url, summary
    )
    return int(cursor.lastrowid)


def unique_slug(conn: sqlite3.Connection, table: str, base: str, fallback: str) -> str:
    """A slug not yet used in table: 'speeltuin', then 'speeltuin-2', ..."""

    slug = slugify(base)[:60].strip("-") or fallback
    candidate, number = slug, 2
    while conn.execute(f"SELECT 1 FROM {table} WHERE slug = ?", (candidate,)).fetchone():
        candidate = f"{slug}-{number}"
        number += 1
    return candidate
