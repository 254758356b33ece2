"""The places of a meeting: how many are taken, whether it is open, and the waiting list.

Below both meetings.py (more room after a change of capacity) and rsvp.py (someone signs
off), so neither has to import the other to let the waiting list in.
"""

from __future__ import annotations

import sqlite3

from node.kern import happenings
from node.web.auth import now
from node.web.i18n import _


def meeting_row(conn: sqlite3.Connection, meeting_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()


def taken(conn: sqlite3.Connection, meeting_id: int) -> int:
    return conn.execute(
        """SELECT coalesce(sum(people), 0) FROM rsvps
           WHERE meeting_id = ? AND status = 'aangemeld'""",
        (meeting_id,),
    ).fetchone()[0]


def closed_reason(meeting, at: str | None = None) -> str | None:
    """None while residents can sign up, else why not, in words they understand."""
    if meeting is None or meeting["removed_at"]:
        return _("Deze bijeenkomst bestaat niet meer.")
    if meeting["status"] == "geannuleerd":
        return _("Deze bijeenkomst gaat niet door. U kunt zich niet meer aanmelden.")
    if meeting["starts_at"] <= (at or now()):
        return _("Deze bijeenkomst is al begonnen of voorbij. U kunt zich niet meer aanmelden.")
    return None


def promote(conn: sqlite3.Connection, meeting_id: int) -> list[int]:
    """Let in from the waiting list, first come first served, everyone who now fits.

    A group that does not fit keeps its place in the queue; a smaller one after it may go
    ahead, so no free place stays empty. Each promoted resident with an e-mail hears of it.
    """
    meeting = meeting_row(conn, meeting_id)
    if closed_reason(meeting):
        return []
    waiting = conn.execute(
        """SELECT * FROM rsvps WHERE meeting_id = ? AND status = 'wachtlijst'
           ORDER BY created_at, id""",
        (meeting_id,),
    ).fetchall()
    free = None if meeting["capacity"] is None else meeting["capacity"] - taken(conn, meeting_id)
    promoted = []
    for rsvp in waiting:
        if free is not None and rsvp["people"] > free:
            continue
        conn.execute(
            "UPDATE rsvps SET status = 'aangemeld', updated_at = ? WHERE id = ?",
            (now(), rsvp["id"]),
        )
        if free is not None:
            free -= rsvp["people"]
        promoted.append(rsvp["id"])
        if rsvp["email"]:
            happenings.record(
                conn, happenings.RSVP_PROMOTED, meeting_id=meeting_id, rsvp_id=rsvp["id"]
            )
    return promoted
