"""Applying a kern's verified activities to the read model, through a table by type.

`apply` runs in the caller's transaction (the inbox's for a push, a pull page's for a pull):
the activity is recorded as seen and its change made together, or neither. Pull and push
overlap on purpose, so an activity seen before (by id) is skipped.

Rules, so that the copy stays faithful and no kern can touch another's objects:

* the activity's id and its object's id must be on the kern actor's origin, and an object
  the read model already holds must belong to the same kern (else `Refused`);
* Create and Update replace the copy with the object as sent (not a patch); Update of a
  deleted object is ignored (it was overtaken by its Delete), a later Create restores it;
* an activity older than what the copy already reflects (by `published`) is skipped as stale,
  so a retried delivery that arrives late never undoes a newer change;
* Delete keeps a tombstone, so an older Create arriving after it cannot bring it back, and
  nothing else: the kern erased the object, so the copy of it goes (readmodel.delete);
* a Create, Update or Announce whose object is a Tombstone (an activity the kern replaced in
  its history when it erased the object) is ignored: it has no Bloei type;
* a `Reactie` is kept only as the answer to one of the gemeente's own reacties to that kern;
* Announce adds an embedded object the copy does not have yet; Bloei never fetches an object
  for an Announce. Move and other types are recorded and ignored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from federation.store import timestamp
from federation.vocabulary import former_types_of, id_of
from node.gemeente import readmodel
from node.gemeente.kernen import Kern

APPLIED, DUPLICATE, STALE, IGNORED = "applied", "duplicate", "stale", "ignored"


class Refused(Exception):
    """The activity may not be applied; `reason` is a short code kept for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Handler = Callable[[sqlite3.Connection, Kern, dict[str, Any], str, datetime], str]


def apply(
    conn: sqlite3.Connection, kern: Kern, activity: dict[str, Any], *, via: str, now: datetime
) -> str:
    """Apply one activity whose proof was checked; returns applied, duplicate, stale or
    ignored. Raises Refused (and writes nothing) when it may not be applied."""
    activity_id = activity.get("id")
    kind = activity.get("type")
    if not isinstance(activity_id, str) or not isinstance(kind, str):
        raise Refused("not_an_activity")
    if id_of(activity.get("actor")) != kern.actor_id:
        raise Refused("other_actor")
    if readmodel.origin(activity_id) != readmodel.origin(kern.actor_id):
        raise Refused("foreign_id")
    seen = conn.execute(
        "SELECT 1 FROM gemeente_activities WHERE activity_id = ?", (activity_id,)
    ).fetchone()
    if seen is not None:
        return DUPLICATE
    published = readmodel.moment(activity.get("published")) or timestamp(now)
    handler = HANDLERS.get(kind)
    outcome = handler(conn, kern, activity, published, now) if handler else IGNORED
    obj = activity.get("object")
    conn.execute(
        """INSERT INTO gemeente_activities
               (activity_id, kern_id, type, object_id, object_type, name, published,
                received_at, via, outcome)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            activity_id[:1000],
            kern.id,
            kind[:40],
            (id_of(obj) or "")[:1000] or None,
            _object_type(obj),
            readmodel.text(obj.get("name")) if isinstance(obj, dict) else "",
            published,
            timestamp(now),
            via,
            outcome,
        ),
    )
    if outcome == APPLIED:
        conn.execute(
            """UPDATE gemeente_kernen SET last_change_at = max(coalesce(last_change_at, ''), ?)
               WHERE id = ?""",
            (published, kern.id),
        )
        readmodel.touch(conn)
    return outcome


def _object_type(obj: Any) -> str:
    kind = readmodel.bloei_type(obj)
    if kind is None and isinstance(obj, dict) and obj.get("type") == "Tombstone":
        kind = readmodel.bloei_type({"type": list(former_types_of(obj))})
    return kind or ""


# --- handlers ----------------------------------------------------------------------------------


def _owned(kern: Kern, object_id: str | None) -> str:
    if object_id is None:
        raise Refused("object_without_id")
    if readmodel.origin(object_id) != readmodel.origin(kern.actor_id):
        raise Refused("foreign_object")
    return object_id


def _existing(conn: sqlite3.Connection, kern: Kern, object_id: str) -> sqlite3.Row | None:
    found = readmodel.current(conn, object_id)
    if found is not None and found["kern_id"] != kern.id:
        raise Refused("not_owner")
    return found


def _create(
    conn: sqlite3.Connection, kern: Kern, activity: dict, published: str, now: datetime
) -> str:
    return _store(conn, kern, activity.get("object"), published, now, restore=True)


def _update(
    conn: sqlite3.Connection, kern: Kern, activity: dict, published: str, now: datetime
) -> str:
    obj = activity.get("object")
    if id_of(obj) == kern.actor_id:
        return _refresh_actor(conn, kern, obj)
    return _store(conn, kern, obj, published, now, restore=False)


def _store(
    conn: sqlite3.Connection,
    kern: Kern,
    obj: Any,
    published: str,
    now: datetime,
    *,
    restore: bool,
) -> str:
    if not isinstance(obj, dict):
        return IGNORED  # a bare id says nothing new, and Bloei does not fetch it
    object_id = _owned(kern, id_of(obj))
    kind = readmodel.bloei_type(obj)
    if kind is None:
        return IGNORED
    if kind == "Reactie" and readmodel.answered_reactie(conn, kern.id, obj) is None:
        # A kern answers the gemeente's reacties to it, and nothing else.
        raise Refused("not_an_answer")
    existing = _existing(conn, kern, object_id)
    if existing is not None:
        if existing["changed_at"] > published:
            return STALE
        if existing["deleted"] and not restore:
            return STALE
    readmodel.save(conn, kern.id, kind, obj, published, now)
    return APPLIED


def _refresh_actor(conn: sqlite3.Connection, kern: Kern, obj: Any) -> str:
    """The kern's own actor changed (a new name; keys are the key cache's business)."""
    name = readmodel.text(obj.get("name"), 200) if isinstance(obj, dict) else ""
    if name:
        conn.execute("UPDATE gemeente_kernen SET name = ? WHERE id = ?", (name, kern.id))
        return APPLIED
    return IGNORED


def _delete(
    conn: sqlite3.Connection, kern: Kern, activity: dict, published: str, now: datetime
) -> str:
    obj = activity.get("object")
    object_id = id_of(obj)
    if object_id == kern.actor_id:
        return IGNORED
    object_id = _owned(kern, object_id)
    existing = _existing(conn, kern, object_id)
    if existing is None:
        # Keep the tombstone: an older Create that arrives later must not bring it back.
        kind = readmodel.bloei_type({"type": list(former_types_of(obj))}) or "Tombstone"
        tombstone = {"id": object_id, "type": "Tombstone"}
        readmodel.save(conn, kern.id, kind, tombstone, published, now, project=False)
        readmodel.delete(conn, object_id, published, now)
        return APPLIED
    if existing["changed_at"] > published:
        return STALE
    readmodel.delete(conn, object_id, published, now)
    return APPLIED


def _announce(
    conn: sqlite3.Connection, kern: Kern, activity: dict, published: str, now: datetime
) -> str:
    obj = activity.get("object")
    if not isinstance(obj, dict) or readmodel.bloei_type(obj) is None:
        return IGNORED
    object_id = _owned(kern, id_of(obj))
    if _existing(conn, kern, object_id) is not None:
        return IGNORED  # the Create that came with it already did the work
    return _store(conn, kern, obj, published, now, restore=False)


HANDLERS: dict[str, Handler] = {
    "Create": _create,
    "Update": _update,
    "Delete": _delete,
    "Announce": _announce,
}
