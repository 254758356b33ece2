"""What a write did that someone must hear of: a row per happening, in the write's transaction.

Data functions (meetings, RSVPs, ideas, the inbox) only record here what happened and what a
message about it needs: ids, and the few facts that are gone once the write is done (the
time and place before a move, the personal link whose token is never stored, the attendees
to tell). They take no template environment and send nothing. node/kern/mail_effects.py
runs before every commit, turns the happenings into queued mails and deletes them, so a
change and its mails commit together or not at all, and the table is empty between writes.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils.migrations import Migrations

from node.web.auth import now

happenings_table = Migrations("kern_happenings")


@happenings_table(name="0001_happenings")
def _create(db) -> None:
    db.execute(
        """CREATE TABLE happenings (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )


# The kinds there are; node/kern/mail_effects.py says who hears of each, and how.
RSVP_CONFIRMED = "rsvp.confirm"
RSVP_WAITLISTED = "rsvp.waitlist"
RSVP_REQUESTED = "rsvp.request"
RSVP_PROMOTED = "rsvp.promoted"
RSVP_LINK_MAILED = "rsvp.link"
MEETING_CANCELLED = "meeting.cancelled"
MEETING_MOVED = "meeting.moved"
IDEA_RECEIVED = "idea.new"
IDEA_SENDER_TOLD = "idea.sender"
GEMEENTE_REACTIE = "gemeente.reactie"
GEMEENTE_BERICHT = "gemeente.bericht"
VOLUNTEER_NEW = "volunteer.new"
RSVP_NEW = "rsvp.new"
SUBSCRIPTION_REQUESTED = "subscription.request"


def record(conn: sqlite3.Connection, kind: str, **payload: Any) -> None:
    """Note that `kind` happened, in the caller's transaction."""
    conn.execute(
        "INSERT INTO happenings (kind, payload, created_at) VALUES (?, ?, ?)",
        (kind, json.dumps(payload, ensure_ascii=False), now()),
    )


def take(conn: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    """The happenings of this transaction in the order they happened, removed from the table."""
    rows = conn.execute("SELECT id, kind, payload FROM happenings ORDER BY id").fetchall()
    if rows:
        conn.execute("DELETE FROM happenings WHERE id <= ?", (rows[-1][0],))
    return [(row[1], json.loads(row[2])) for row in rows]
