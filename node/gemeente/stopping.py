"""Stopping to follow a kern: a kern left the pilot, or was added by mistake.

`stop` does it all in the caller's transaction, so it happens whole or not at all:

* the kern hears it: an `Undo` of the gemeente's Follow is queued (`federation.follows`),
  and the follow record goes, so the kern's pushes are refused like an unknown kern's;
* the kern record stays, marked stopped (`stopped_at`): the gemeente's reacties, the kern's
  moves and the audit log point at it, and following the kern again resumes it
  (`kernen.add`);
* the gemeente forgets its copy of the kern's data (the kern keeps the original): the
  objects and every projection of them, the log of received activities and the refusals;
* positions, failures and errors start afresh, so a later follow reads the kern's outbox
  from the start and the data comes back whole.

What the gemeente said itself (`gemeente_reacties`) is its own trail and stays.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from federation import follows
from federation.identity import LocalIdentity
from federation.store import timestamp
from node.gemeente import kernen, readmodel
from node.web.audit import record_audit
from node.web.auth import User
from node.web.i18n import ngettext

# The kern's data in the read model, children before parents. Project thema's and phase
# changes go with their project (ON DELETE CASCADE, foreign keys are on: node/db.py), and a
# thema's categories with the thema; the FTS table has no foreign key, so it goes first.
_FORGET = (
    """DELETE FROM gemeente_project_search
       WHERE rowid IN (SELECT id FROM gemeente_projects WHERE kern_id = ?)""",
    "DELETE FROM gemeente_projects WHERE kern_id = ?",
    "DELETE FROM gemeente_themas WHERE kern_id = ?",
    "DELETE FROM gemeente_meetings WHERE kern_id = ?",
    "DELETE FROM gemeente_partner_links WHERE kern_id = ?",
    "DELETE FROM gemeente_partners WHERE kern_id = ?",
    "DELETE FROM gemeente_objects WHERE kern_id = ?",
    "DELETE FROM gemeente_activities WHERE kern_id = ?",
    "DELETE FROM gemeente_refused WHERE kern_id = ?",
)


def stop(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    kern_id: int,
    who: User | str,
    now: datetime,
) -> bool:
    """Stop following the kern and forget its data (see the module's docstring); False when
    there is no such kern or it was stopped already."""
    kern = kernen.get(conn, kern_id)
    if kern is None or kern["stopped_at"]:
        return False
    # Queues the Undo (when there is a follow to undo) and removes the follow record.
    follows.unfollow(conn, identity, kern["actor_id"], now)
    objects = forget_copy(conn, kern_id)
    conn.execute(
        """UPDATE gemeente_kernen SET stopped_at = ?, position = 0, outbox_position = 0,
               failures = 0, last_error = '', last_error_at = NULL, failing_since = NULL,
               refused = 0, settled_at = NULL, next_pull_at = NULL, last_change_at = NULL,
               went_back_at = NULL, went_back_from = NULL, went_back_to = NULL
           WHERE id = ?""",
        (timestamp(now), kern_id),
    )
    summary = ngettext(
        "%(name)s (%(num)s object weggehaald)", "%(name)s (%(num)s objecten weggehaald)", objects
    )
    record_audit(
        conn,
        who,
        "kern.ontvolgd",
        "Kern",
        kern["actor_id"],
        summary % {"name": kern["name"], "num": objects},
    )
    readmodel.touch(conn)
    return True


def forget_copy(conn: sqlite3.Connection, kern_id: int) -> int:
    """Delete the gemeente's copy of one kern's data; how many objects it held."""
    objects = conn.execute(
        "SELECT count(*) FROM gemeente_objects WHERE kern_id = ?", (kern_id,)
    ).fetchone()[0]
    for statement in _FORGET:
        conn.execute(statement, (kern_id,))
    return int(objects)
