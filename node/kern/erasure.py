"""What may no longer be public leaves the signed history too, not only the site.

The outbox keeps every activity the kern published, and anyone may read it from position 0.
So a Delete or an Update alone is not enough: the older activities would still show what was
removed. When the publisher publishes one, the stored activities about the same object are
replaced in place (same id, same position, signed again with the kern's key, so a follower
catching up still verifies every item):

* a removed object (idea, bericht, project, ...): every Create, Update and Announce of it
  carries the Delete's Tombstone instead of the object;
* a value of a personal property that the object no longer shows (a trekker's name after
  the consent was withdrawn or the name erased, a photo that was taken away) is taken out of
  every earlier activity of the object.

Followers get the Delete or Update itself through the normal deliveries; deliveries of the
replaced activities still waiting carry the new version (`federation.outbox.replace`).
"""

from __future__ import annotations

import copy
import sqlite3
from datetime import datetime
from typing import Any

from federation import outbox
from federation.identity import LocalIdentity

# Properties that may name or show a person: a project's trekker (shown only with consent)
# and its photo (people may be in it). A value stays in the history only while the object
# still shows it.
PERSONAL_PROPERTIES = ("trekker", "attachment")
# The activities that carry an object; a Delete already carries only its Tombstone.
CARRYING_TYPES = frozenset({"Create", "Update", "Announce"})


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
    for entry in outbox.entries_about(conn, current["id"]):
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


def redact(obj: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`obj` without the personal values `current` does not show (a list keeps the items
    `current` still has)."""
    redacted = copy.deepcopy(obj)
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


def _is_tombstone(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "Tombstone"


def _touch(conn: sqlite3.Connection) -> None:
    # The outbox pages are cached by data version: a replaced history must show at once,
    # also when the change was written without bumping it.
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
