"""A kern imported at a new address takes its history along: its own ids move to the new base.

`bloei import --url` calls `rehome` once, in one transaction, with the database opened under
the NEW settings (so the publisher's actor and key ids are the new ones). The rule is
`federation.rebase`: every id under the old public URL lives on at the same path under the
new one. What moves:

* the outbox: each activity's id, object id and document, signed again with the kern's own
  Ed25519 key under its new key id. A follower that catches up from the start (a gemeente
  that adds the kern later) then gets one history it can check against the new actor alone,
  and the object pages served as ActivityStreams find their objects under the new ids;
* the events (object id and snapshot) the publisher compares against, the published agenda
  versions, berichten waiting to be published, and the kern's answers to the gemeente.

What stays: the audit log records what happened as it happened (the import adds a line for
the move, old actor and new). Deliveries still queued at export are removed here, since the old node delivers
them itself (a second copy under a new id would only confuse a follower); objects received
from others are their authors' signed documents and are kept as they came. The gemeente's
reacties name the old ids, so node/kern/conversation/model.py looks under former ids as well.

The old node's `Move` will take the position after the last one exported, on the old node.
That position is left unused here, so that a follower that read the Move from the old outbox
and goes on at the new one from there misses nothing of what the new node publishes.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from federation import delivery, outbox
from federation.identity import LocalIdentity
from federation.rebase import Rebase, rebase_column, rebase_json_column
from federation.vocabulary import id_of

OUTBOX_SEQUENCE = "federation_outbox"
# meta: the actor ids the kern had before, a JSON list, oldest first (see former_actors).
MOVED_FROM = "moved_from"
# meta: the new actor id, once `bloei move` announced the kern moved there (see moved_to).
MOVED_TO = "moved_to"
# meta, on the old node: when `bloei export` handed its queued mail over (node/kern/moving/handover.py).
EXPORTED_AT = "exported_at"
# meta, on the new node: the followers that have not yet followed the new actor after the
# Move, a JSON list; they refuse its deliveries until then (node/kern/moving/moving_in.py).
MOVE_AWAITED = "move_awaited"


@dataclass(frozen=True)
class RehomeReport:
    activities: int  # outbox activities rewritten and signed again
    records: int  # events, versions and deferred berichten moved
    deliveries_dropped: int  # queued at export; the old node delivers them


def rehome(
    conn: sqlite3.Connection, rebase: Rebase, identity: LocalIdentity, now: datetime
) -> RehomeReport:
    """Move the kern's own ids to the new base; in the caller's transaction."""
    records = rebase_column(conn, rebase, "events", "object_id")
    records += rebase_json_column(conn, rebase, "events", "id", "snapshot")
    records += rebase_json_column(conn, rebase, "agenda_versions", "id", "snapshot")
    records += rebase_column(conn, rebase, "publishing_deferred", "object_id")
    records += rebase_column(conn, rebase, "gemeente_answers", "object_id")
    records += rebase_column(conn, rebase, "gemeente_answers", "about")
    activities = _rewrite_outbox(conn, rebase, identity, now)
    dropped = conn.execute("DELETE FROM federation_deliveries WHERE status = 'pending'").rowcount
    _leave_a_position_for_the_move(conn)
    return RehomeReport(activities, records, dropped)


def _rewrite_outbox(
    conn: sqlite3.Connection, rebase: Rebase, identity: LocalIdentity, now: datetime
) -> int:
    found = conn.execute("SELECT position, document FROM federation_outbox ORDER BY position")
    count = 0
    for position, text in found.fetchall():
        document = rebase.json(json.loads(text))
        signed = identity.sign(document, created=now)
        conn.execute(
            """UPDATE federation_outbox SET activity_id = ?, object_id = ?, document = ?
               WHERE position = ?""",
            (
                signed["id"],
                id_of(signed.get("object")),
                delivery.encode(signed).decode("utf-8"),
                position,
            ),
        )
        count += 1
    return count


def _leave_a_position_for_the_move(conn: sqlite3.Connection) -> None:
    # The outbox's positions come from AUTOINCREMENT, which keeps its counter in sqlite_sequence.
    newest = outbox.last_position(conn)
    updated = conn.execute(
        "UPDATE sqlite_sequence SET seq = max(seq, ?) + 1 WHERE name = ?",
        (newest, OUTBOX_SEQUENCE),
    ).rowcount
    if not updated:
        conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (OUTBOX_SEQUENCE, newest + 1)
        )


# --- the former addresses ----------------------------------------------------------------------


def former_actors(conn: sqlite3.Connection) -> list[str]:
    """The actor ids this kern had before, oldest first (one plain id in older data folders)."""
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (MOVED_FROM,)).fetchone()
    value = str(found[0]) if found else ""
    if not value.startswith("["):
        return [value] if value else []
    try:
        items = json.loads(value)
    except ValueError:
        return []
    return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []


def moved_to(conn: sqlite3.Connection) -> str:
    """The actor this kern moved to ("" while it has not moved)."""
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (MOVED_TO,)).fetchone()
    return str(found[0]) if found and found[0] else ""


def former_ids(
    conn: sqlite3.Connection, actor_id: str, actor_path: str, object_id: str
) -> list[str]:
    """The ids an object of this kern had at its former addresses, newest address first."""
    found = []
    for former in reversed(former_actors(conn)):
        back = Rebase.between_actors(actor_id, former, actor_path)
        if back is not None and back.covers(object_id):
            found.append(back.id(object_id))
    return found
