"""A followed kern moved: the copies the gemeente holds move from its old base to its new one.

A moved Bloei node publishes every object at the same path under its new base
(`federation/rebase.py`), so the read model re-keys what it holds of that kern in the same
transaction as the switch to the new actor: an Update the new node sends later then changes
the one copy the gemeente has, instead of arriving as a second project.

What moves: the copies (id, page link and the ids inside the document, tombstones too), their
projections (projects, thema's, meetings, partners, a project's thema links and the
partners named on thema's and projects), the reacties the gemeente
gave on them and the kern's answers to those, the kern's log of received activities (by
object; an activity's own id is history and stays). What stays: the audit log, which records what happened as it happened
(the move itself is a line of it, old actor and new), and row ids (the search index is
keyed by them), the times things were received, published or first asked for the gemeente,
and the phase history.

When an id under the new base is already held (a copy under the new id came in first), the
newer copy (by when it last changed, as ingest judges stale activities) wins and the other is
removed the way a Delete removes projections, so no unique id clashes.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from federation.rebase import Rebase, rebase_column, rebase_json_column
from node.actor_paths import ACTOR_PATH
from node.gemeente import readmodel

# Tables with the kern's id beside one or more columns that hold its ids or page links.
_KERN_COLUMNS = (
    ("gemeente_objects", "object_id"),
    ("gemeente_objects", "url"),
    ("gemeente_projects", "object_id"),
    ("gemeente_projects", "url"),
    ("gemeente_themas", "object_id"),
    ("gemeente_themas", "url"),
    ("gemeente_meetings", "object_id"),
    ("gemeente_meetings", "url"),
    ("gemeente_reacties", "in_reply_to"),
    ("gemeente_kern_answers", "object_id"),
    ("gemeente_kern_answers", "about"),
    ("gemeente_activities", "object_id"),
    ("gemeente_partners", "object_id"),
    ("gemeente_partners", "url"),
    ("gemeente_partner_links", "object_id"),
    ("gemeente_partner_links", "partner_id"),
)
_KERN_PROJECTS = "project_id IN (SELECT id FROM gemeente_projects WHERE kern_id = ?)"


def rekey_kern(
    conn: sqlite3.Connection, kern_id: int, old_actor_id: str, new_actor_id: str, now: datetime
) -> int:
    """Move the kern's held copies to the new actor's base, in the caller's transaction;
    returns how many copies (tombstones included) were re-keyed; one dropped for a newer copy
    already under its new id is not counted. Nothing moves when the two actors are not both
    `<base>/actor` (the rule then does not say where ids went)."""
    rebase = Rebase.between_actors(old_actor_id, new_actor_id, ACTOR_PATH)
    if rebase is None:
        return 0
    _settle_clashes(conn, rebase, kern_id, now)
    moved = 0
    for table, column in _KERN_COLUMNS:
        count = rebase_column(conn, rebase, table, column, "kern_id = ?", (kern_id,))
        if (table, column) == ("gemeente_objects", "object_id"):
            moved = count
    rebase_json_column(
        conn,
        rebase,
        "gemeente_objects",
        "object_id",
        "document",
        dump=_dump,
        where="kern_id = ?",
        params=(kern_id,),
    )
    _drop_doubled_links(conn, rebase, kern_id)
    rebase_column(
        conn, rebase, "gemeente_project_themas", "thema_object_id", _KERN_PROJECTS, (kern_id,)
    )
    return moved


def _dump(document: Any) -> str:
    """As readmodel.save stores a document."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _settle_clashes(conn: sqlite3.Connection, rebase: Rebase, kern_id: int, now: datetime) -> None:
    """Where an old id's new id is held already, keep only the newer of the two copies."""
    found = conn.execute(
        """SELECT object_id, changed_at FROM gemeente_objects
           WHERE kern_id = ? AND object_id LIKE ? ESCAPE '\\'""",
        (kern_id, rebase.like_pattern()),
    ).fetchall()
    for old_id, old_changed in found:
        if not rebase.covers(old_id):
            continue
        new_id = rebase.id(old_id)
        held = conn.execute(
            "SELECT changed_at FROM gemeente_objects WHERE object_id = ?", (new_id,)
        ).fetchone()
        if held is None:
            continue
        # Ingest skips an activity older than the copy; on a tie the new id's copy stays.
        if old_changed > held[0]:
            _drop(conn, new_id, held[0], now)
        else:
            _drop(conn, old_id, old_changed, now)


def _drop_doubled_links(conn: sqlite3.Connection, rebase: Rebase, kern_id: int) -> None:
    """A project that links a thema under both bases (possible when both share an origin)
    keeps one link: the old one would become the new one, which the project has already."""
    found = conn.execute(
        f"""SELECT project_id, thema_object_id FROM gemeente_project_themas
            WHERE {_KERN_PROJECTS} AND thema_object_id LIKE ? ESCAPE '\\'""",
        (kern_id, rebase.like_pattern()),
    ).fetchall()
    for project_id, thema in found:
        if not rebase.covers(thema):
            continue
        doubled = conn.execute(
            """SELECT 1 FROM gemeente_project_themas
               WHERE project_id = ? AND thema_object_id = ?""",
            (project_id, rebase.id(thema)),
        ).fetchone()
        if doubled is not None:
            conn.execute(
                """DELETE FROM gemeente_project_themas
                   WHERE project_id = ? AND thema_object_id = ?""",
                (project_id, thema),
            )


def _drop(conn: sqlite3.Connection, object_id: str, changed_at: str, now: datetime) -> None:
    """Remove one copy entirely: its projections as a Delete removes them, then the row."""
    readmodel.delete(conn, object_id, changed_at, now)
    conn.execute("DELETE FROM gemeente_objects WHERE object_id = ?", (object_id,))
