"""What an exported kern hands to its new node, so that nothing is sent by both.

`bloei export` is how a kern leaves its host. Before the database is copied, one transaction
on the old node (`hand_over`):

* marks every queued mail that no worker holds right now as handed over: the export takes
  it along, the new node sends it, the old node never does (the mail sender skips it);
* notes the moment in `meta.exported_at` (a later export moves it on): from then on the old node's delivery round sends
  only what it queued before the export (retries of what it published there; the new node
  drops those on import, node/kern/moving/rehome.py) and the `Move` that `bloei move` publishes.
  Anything else it would queue later (an Accept, a change made there) is given up at once,
  with a reason beheer and `bloei worker --once` show (`hold_back_deliveries`).

On the new node `take_over` (in `bloei import`, with or without a new address) keeps exactly
the handed-over mail: a mail that was being sent at the export, or was queued after it, stays
the old node's and is removed here. The marks that came along are cleared. An import over an
earlier one (`--force`, after exporting again) keeps what the replaced node already sent.

When the export fails, `take_back` undoes the marks, and the old node goes on as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from federation.store import timestamp
from node.kern.moving.rehome import EXPORTED_AT
from node.mail.mailer import stamp

# A mail as the same message in two copies of a database: its id and when it was queued; and
# what became of it (sent_at, given_up_at).
MailKey = tuple[int, str]
Finished = tuple[str | None, str | None]
# The one activity the old node still publishes after the export.
STILL_SENT_TYPES = ("Move",)
HELD_BACK = "not sent: this node was exported to move (bloei export); the new node publishes"
# A mail that no worker holds: not leased, or its lease ran out (the mail queue's own time
# format, node/web/mailer.py, so a lease compares as text).
UNCLAIMED = "(lease_until IS NULL OR lease_until < :now)"
WAITING = "sent_at IS NULL AND given_up_at IS NULL"


@dataclass(frozen=True)
class Handover:
    mark: str  # when; also the value of the handed-over mails' handed_over_at
    previous: str  # an earlier export's mark ("" when this is the first)
    mails: int  # queued mails the export takes along (also from an earlier export)


def hand_over(conn: sqlite3.Connection, now: datetime) -> Handover:
    """Mark queued mail as handed over and note the export; in the caller's transaction,
    before the database is copied."""
    mark = timestamp(now)
    conn.execute(
        f"""UPDATE mail_queue SET handed_over_at = :mark
            WHERE {WAITING} AND handed_over_at IS NULL AND {UNCLAIMED}""",
        {"mark": mark, "now": stamp(now)},
    )
    mails = conn.execute(
        f"SELECT count(*) FROM mail_queue WHERE {WAITING} AND handed_over_at IS NOT NULL"
    ).fetchone()[0]
    previous = exported_at(conn)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (EXPORTED_AT, mark))
    return Handover(mark, previous, mails)


def take_back(conn: sqlite3.Connection, handover: Handover) -> None:
    """Undo `hand_over` after a failed export: the old node is as it was before."""
    conn.execute(
        "UPDATE mail_queue SET handed_over_at = NULL WHERE handed_over_at = ?", (handover.mark,)
    )
    if handover.previous:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (handover.previous, EXPORTED_AT))
    else:
        conn.execute("DELETE FROM meta WHERE key = ?", (EXPORTED_AT,))


def take_over(conn: sqlite3.Connection, finished: Mapping[MailKey, Finished] | None = None) -> int:
    """On the new node: keep the handed-over mail (to send), drop what stays with the old
    node; returns how many mails this node will send. `finished`: the mail a node replaced
    by this import (`bloei import --force`) already sent or gave up, so it is not sent again."""
    conn.execute(f"DELETE FROM mail_queue WHERE {WAITING} AND handed_over_at IS NULL")
    for (mail_id, created_at), (sent_at, given_up_at) in (finished or {}).items():
        conn.execute(
            f"""UPDATE mail_queue SET sent_at = ?, given_up_at = ?
                WHERE id = ? AND created_at = ? AND {WAITING}""",
            (sent_at, given_up_at, mail_id, created_at),
        )
    taken = conn.execute(
        f"""UPDATE mail_queue SET handed_over_at = NULL, lease_until = NULL
            WHERE {WAITING} AND handed_over_at IS NOT NULL"""
    ).rowcount
    conn.execute("UPDATE mail_queue SET handed_over_at = NULL WHERE handed_over_at IS NOT NULL")
    conn.execute("DELETE FROM meta WHERE key = ?", (EXPORTED_AT,))
    return taken


def finished_mail(database: Path) -> dict[MailKey, Finished]:
    """The mail a node's database holds as sent or given up; {} when there is none to read
    (no node in that folder yet)."""
    if not database.is_file():
        return {}
    conn = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute(
            """SELECT id, created_at, sent_at, given_up_at FROM mail_queue
               WHERE sent_at IS NOT NULL OR given_up_at IS NOT NULL"""
        ).fetchall()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {(row[0], row[1]): (row[2], row[3]) for row in found}


def exported_at(conn: sqlite3.Connection) -> str:
    """When this node was exported to move ("" when it was not)."""
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (EXPORTED_AT,)).fetchone()
    return str(found[0]) if found and found[0] else ""


def hold_back_deliveries(conn: sqlite3.Connection, now: datetime) -> int:
    """On an exported node: give up what it queued after the export, but its Move."""
    since = exported_at(conn)
    if not since:
        return 0
    kinds = ", ".join("?" for _ in STILL_SENT_TYPES)
    return conn.execute(
        f"""UPDATE federation_deliveries
            SET status = 'failed', last_error = ?, finished_at = ?
            WHERE status = 'pending' AND created_at > ?
              AND activity_id NOT IN (
                  SELECT activity_id FROM federation_outbox WHERE type IN ({kinds}))""",
        (HELD_BACK, timestamp(now), since, *STILL_SENT_TYPES),
    ).rowcount
