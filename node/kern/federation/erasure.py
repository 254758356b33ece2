"""What may no longer be public leaves the signed history too, not only the site.

The outbox keeps every activity the kern published, and anyone may read it from position 0.
So a Delete or an Update alone is not enough: the older activities would still show what was
removed. When the publisher publishes one, the stored activities about the same object are
replaced in place (same id, same position, signed again with the kern's key, so a follower
catching up still verifies every item):

* a removed object (idea, bericht, project, ...): every Create, Update and Announce of it
  carries the Delete's Tombstone instead of the object;
* a value of a personal property that the object no longer shows (a trekker's name after
  the consent was withdrawn or the name erased, a photo that was taken away, a partner's
  contact that was changed) is taken out of every earlier activity of the object.

Followers get the Delete or Update itself through the normal deliveries; deliveries of the
replaced activities still waiting carry the new version (`federation.outbox.replace`).

A data folder from before these rules is brought in line once, when it is opened
(`catch_up`): the whole outbox, and the photo files of projects removed back then.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from federation import outbox
from federation.identity import LocalIdentity
from federation.store import utcnow
from node.db import Database
from node.kern.projects import photos
from node.settings import Settings

# Properties that may name or show a person: a project's trekker (shown only with consent),
# its photo (people may be in it) and a partner's public contact (a club's secretary may give
# their own number). A value stays in the history only while the object still shows it.
PERSONAL_PROPERTIES = ("trekker", "attachment", "contact")
# The activities that carry an object; a Delete already carries only its Tombstone.
CARRYING_TYPES = frozenset({"Create", "Update", "Announce"})
# Set once the outbox of a data folder from before erasure was brought in line.
CAUGHT_UP_KEY = "erasure_history"


def tombstone_history(
    conn: sqlite3.Connection, identity: LocalIdentity, tombstone: dict[str, Any], now: datetime
) -> int:
    """Replace the object of every earlier activity about a removed object by its Tombstone;
    returns how many activities were replaced."""
    replaced = 0
    for entry in outbox.entries_about(conn, tombstone["id"]):
        document = entry.document
        if document.get("type") not in CARRYING_TYPES or _is_tombstone(document.get("object")):
            continue
        outbox.replace(conn, identity, entry, {**document, "object": tombstone}, now)
        replaced += 1
    if replaced:
        _touch(conn)
    return replaced


def redact_history(
    conn: sqlite3.Connection, identity: LocalIdentity, current: dict[str, Any], now: datetime
) -> int:
    """Take out of every earlier activity about `current` the personal values it no longer
    shows; returns how many activities were replaced."""
    replaced = 0
    for entry in _showing_other_values(conn, current):
        document = entry.document
        obj = document.get("object")
        if document.get("type") not in CARRYING_TYPES or not isinstance(obj, dict):
            continue
        redacted = redact(obj, current)
        if redacted == obj:
            continue
        outbox.replace(conn, identity, entry, {**document, "object": redacted}, now)
        replaced += 1
    if replaced:
        _touch(conn)
    return replaced


def _showing_other_values(conn: sqlite3.Connection, current: dict[str, Any]) -> list:
    """The stored activities about `current` whose personal values are not the ones it shows
    now. This runs on every Update, and an object may have hundreds of activities: SQLite
    skips those whose values are the same text (so the same values) without parsing them
    here; `redact` decides about the rest."""
    differs = " OR ".join(
        f"json_extract(document, '$.object.{name}') IS NOT ?" for name in PERSONAL_PROPERTIES
    )
    found = conn.execute(
        f"""SELECT position, activity_id, document FROM federation_outbox
            WHERE object_id = ? AND ({differs}) ORDER BY position""",
        (current["id"], *(_as_stored(current.get(name)) for name in PERSONAL_PROPERTIES)),
    ).fetchall()
    return [outbox.OutboxEntry(row[0], row[1], json.loads(row[2])) for row in found]


def _as_stored(value: Any) -> Any:
    """A value as json_extract gives it back from a stored document: text for a string, the
    compact JSON text for a list or an object."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def redact(obj: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`obj` without the personal values `current` does not show (a list keeps the items
    `current` still has)."""
    redacted = dict(obj)  # only top-level properties are dropped or replaced
    for name in PERSONAL_PROPERTIES:
        if name not in redacted:
            continue
        value, now_shown = redacted[name], current.get(name)
        if isinstance(value, list):
            kept = [item for item in value if isinstance(now_shown, list) and item in now_shown]
            if kept:
                redacted[name] = kept
            else:
                del redacted[name]
        elif value != now_shown:
            del redacted[name]
    return redacted


def catch_up(db: Database, settings: Settings, identity: LocalIdentity) -> None:
    """Once per data folder: apply the rules to everything published before they existed,
    and delete the photo files of projects removed back then (after the commit)."""
    if db.scalar("SELECT 1 FROM meta WHERE key = ?", (CAUGHT_UP_KEY,)):
        return
    newest_actor = db.scalar(
        """SELECT json_extract(document, '$.actor') FROM federation_outbox
           ORDER BY position DESC LIMIT 1"""
    )
    if newest_actor not in (None, identity.actor_id):
        return  # a folder on its way to a new address: its history is rehomed first
    for name in db.write(_catch_up, identity, utcnow()):
        photos.delete_photo(settings.media_dir, name)


def _catch_up(conn: sqlite3.Connection, identity: LocalIdentity, now: datetime) -> list[str]:
    latest = conn.execute(
        """SELECT document FROM federation_outbox WHERE position IN (
               SELECT max(position) FROM federation_outbox
               WHERE object_id IS NOT NULL AND type IN ('Create', 'Update', 'Delete')
               GROUP BY object_id)"""
    ).fetchall()
    for (document,) in latest:
        activity = json.loads(document)
        obj = activity.get("object")
        if not isinstance(obj, dict):
            continue
        if activity["type"] == "Delete":
            tombstone_history(conn, identity, obj, now)
        else:
            redact_history(conn, identity, obj, now)
    removed = [
        name
        for (name,) in conn.execute(
            "SELECT photo FROM projects WHERE removed_at IS NOT NULL AND photo IS NOT NULL"
        )
    ]
    conn.execute(
        """UPDATE projects SET photo = NULL, photo_alt = ''
           WHERE removed_at IS NOT NULL AND photo IS NOT NULL"""
    )
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, '1')", (CAUGHT_UP_KEY,))
    return removed


def _is_tombstone(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "Tombstone"


def _touch(conn: sqlite3.Connection) -> None:
    # The outbox pages are cached by data version: a replaced history must show at once,
    # also when the change was written without bumping it.
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
