"""The outbox: every published activity, signed, in order, and the feed that serves it.

`publish` stores an activity with its integrity proof and queues it for every accepted
follower, in the caller's transaction: the change it describes, the activity and its deliveries
commit together or not at all.

Each activity gets a `position`, a number that only grows. The feed is served in two ways:

* AS 2.0 paging, newest first: the collection (`GET outbox`) names its `first` page
  (`?page=true`); each page links `next` (older, `?before=<position>`) and `prev` (newer).
* Catch-up, oldest first: `?after=<position>` gives the activities after that position, up to a
  page, with `next` to continue and `lastPosition` to remember. A follower that stores the
  `lastPosition` it reached asks again from there and misses nothing, whatever push lost.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from federation import delivery, followers
from federation.identity import LocalIdentity
from federation.store import rows, timestamp
from federation.vocabulary import CONTEXT, id_of

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class OutboxEntry:
    position: int
    activity_id: str
    document: dict[str, Any]


class OutboxQueryError(ValueError):
    """A query parameter of the outbox is not understood (the caller answers 400)."""


def publish(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    activity: Mapping[str, Any],
    now: datetime,
    *,
    to_followers: bool = True,
    extra_inboxes: Iterable[str] = (),
) -> OutboxEntry:
    """Sign `activity`, append it to the outbox and queue its deliveries; in the caller's
    transaction. `extra_inboxes` adds recipients beyond the followers (say a mentioned kern)."""
    if activity.get("actor") != identity.actor_id:
        raise ValueError("an outbox only holds the local actor's own activities")
    signed = identity.sign(dict(activity), created=now)
    body = delivery.encode(signed)
    cursor = conn.execute(
        """INSERT INTO federation_outbox (activity_id, type, object_id, published, document)
           VALUES (?, ?, ?, ?, ?)""",
        (
            signed["id"],
            str(signed.get("type")),
            id_of(signed.get("object")),
            timestamp(now),
            body.decode("utf-8"),
        ),
    )
    inboxes = list(extra_inboxes)
    if to_followers:
        inboxes = followers.delivery_inboxes(conn) + inboxes
    delivery.enqueue(conn, signed["id"], body, inboxes, now)
    return OutboxEntry(int(cursor.lastrowid), signed["id"], signed)


def resign(conn: sqlite3.Connection, identity: LocalIdentity, now: datetime) -> int:
    """Sign every stored activity again with the identity's current key; after a key rotation,
    so that a follower catching up can verify the whole outbox with the published key."""
    count = 0
    for found in rows(conn, "SELECT position, document FROM federation_outbox"):
        signed = identity.sign(json.loads(found["document"]), created=now)
        conn.execute(
            "UPDATE federation_outbox SET document = ? WHERE position = ?",
            (delivery.encode(signed).decode("utf-8"), found["position"]),
        )
        count += 1
    return count


def replace(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    entry: OutboxEntry,
    activity: Mapping[str, Any],
    now: datetime,
) -> OutboxEntry:
    """Put a new version of a stored activity in its place: same id, same position, signed
    again; in the caller's transaction. For erasure: what may no longer be public must not
    stay readable in the history. Queued deliveries of it carry the new version too."""
    if activity.get("id") != entry.activity_id or activity.get("actor") != identity.actor_id:
        raise ValueError("a replacement keeps the stored activity's id and actor")
    signed = identity.sign(dict(activity), created=now)
    body = delivery.encode(signed)
    conn.execute(
        "UPDATE federation_outbox SET document = ? WHERE position = ?",
        (body.decode("utf-8"), entry.position),
    )
    delivery.replace_body(conn, entry.activity_id, body)
    return OutboxEntry(entry.position, entry.activity_id, signed)


# --- reading -----------------------------------------------------------------------------------


def get_activity(conn: sqlite3.Connection, activity_id: str) -> dict[str, Any] | None:
    """One stored activity by id, for serving it at its own URL."""
    found = conn.execute(
        "SELECT document FROM federation_outbox WHERE activity_id = ?", (activity_id,)
    ).fetchone()
    return json.loads(found[0]) if found else None


def last_position(conn: sqlite3.Connection) -> int:
    """The newest position, 0 for an empty outbox."""
    return int(
        conn.execute("SELECT coalesce(max(position), 0) FROM federation_outbox").fetchone()[0]
    )


def entries_about(conn: sqlite3.Connection, object_id: str) -> list[OutboxEntry]:
    """Every stored activity whose object is `object_id`, oldest first."""
    found = rows(
        conn,
        """SELECT position, activity_id, document FROM federation_outbox
           WHERE object_id = ? ORDER BY position""",
        (object_id,),
    )
    return [_entry(r) for r in found]


def entries_after(
    conn: sqlite3.Connection, position: int, limit: int = MAX_PAGE_SIZE
) -> list[OutboxEntry]:
    """Entries after `position`, oldest first: what a follower missed."""
    found = rows(
        conn,
        """SELECT position, activity_id, document FROM federation_outbox
           WHERE position > ? ORDER BY position LIMIT ?""",
        (position, limit),
    )
    return [_entry(r) for r in found]


def entries_before(
    conn: sqlite3.Connection, position: int | None, limit: int = PAGE_SIZE
) -> list[OutboxEntry]:
    """Entries before `position` (or the newest), newest first."""
    found = rows(
        conn,
        """SELECT position, activity_id, document FROM federation_outbox
           WHERE position < ? ORDER BY position DESC LIMIT ?""",
        (position if position is not None else 2**62, limit),
    )
    return [_entry(r) for r in found]


def _entry(found: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(found["position"], found["activity_id"], json.loads(found["document"]))


# --- documents ---------------------------------------------------------------------------------


def _url(outbox_url: str, **params: Any) -> str:
    return f"{outbox_url}?{urlencode(params)}"


def collection(conn: sqlite3.Connection, outbox_url: str) -> dict[str, Any]:
    """The OrderedCollection at the outbox URL: size, newest position, first and last page."""
    total = int(conn.execute("SELECT count(*) FROM federation_outbox").fetchone()[0])
    return {
        "@context": CONTEXT,
        "id": outbox_url,
        "type": "OrderedCollection",
        "totalItems": total,
        "lastPosition": last_position(conn),
        "first": _url(outbox_url, page="true"),
        "last": _url(outbox_url, after=0),
    }


def page(
    conn: sqlite3.Connection,
    outbox_url: str,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """A page newest first: the newest `size` activities, or those before `before`."""
    items = entries_before(conn, before, size)
    page_id = (
        _url(outbox_url, before=before) if before is not None else _url(outbox_url, page="true")
    )
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": outbox_url,
        "orderedItems": [entry.document for entry in items],
    }
    if items:
        oldest, newest = items[-1].position, items[0].position
        if entries_before(conn, oldest, 1):
            document["next"] = _url(outbox_url, before=oldest)
        newer = entries_after(conn, newest, size)
        if newer:
            # The page of `size` items just newer than this one ends at newer[-1].
            document["prev"] = _url(outbox_url, before=newer[-1].position + 1)
    return document


def catch_up_page(
    conn: sqlite3.Connection, outbox_url: str, after: int, size: int = MAX_PAGE_SIZE
) -> dict[str, Any]:
    """A page oldest first, of what came after `after`; `lastPosition` is where it ends."""
    items = entries_after(conn, after, size)
    reached = items[-1].position if items else after
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": _url(outbox_url, after=after),
        "type": "OrderedCollectionPage",
        "partOf": outbox_url,
        "orderedItems": [entry.document for entry in items],
        "lastPosition": reached,
    }
    if items and entries_after(conn, reached, 1):
        document["next"] = _url(outbox_url, after=reached)
    return document


def check_query(query: Mapping[str, str]) -> None:
    """OutboxQueryError for query parameters `respond` does not understand, before anything
    is read: so a server can check the question, then answer it or say it has not changed."""
    known = {"page", "before", "after", "size"}
    unknown = set(query) - known
    if unknown:
        raise OutboxQueryError(f"unknown parameter {sorted(unknown)[0]}")
    size = _int_param(query, "size", PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise OutboxQueryError(f"size must be between 1 and {MAX_PAGE_SIZE}")
    if "after" in query and "before" in query:
        raise OutboxQueryError("use before or after, not both")
    _int_param(query, "after", 0)
    _int_param(query, "before", 0)
    if "page" in query and query["page"] != "true" and not {"after", "before"} & set(query):
        raise OutboxQueryError("page must be true")


def respond(conn: sqlite3.Connection, outbox_url: str, query: Mapping[str, str]) -> dict[str, Any]:
    """The document for a GET of the outbox with these query parameters.

    No parameters: the collection. `page=true`: the newest page. `before=N`: the page of
    activities older than N. `after=N`: the catch-up page after N. `size` (1-100) sets the
    page size. OutboxQueryError for anything else, which the caller answers with 400.
    """
    check_query(query)
    size = _int_param(query, "size", PAGE_SIZE if "after" not in query else MAX_PAGE_SIZE)
    if "after" in query:
        return catch_up_page(conn, outbox_url, _int_param(query, "after", 0), size)
    if "before" in query:
        return page(conn, outbox_url, _int_param(query, "before", 0), size)
    if query.get("page") == "true":
        return page(conn, outbox_url, None, size)
    return collection(conn, outbox_url)


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    if name not in query:
        return default
    value = query[name]
    # ASCII digits only: "²".isdigit() is true, and int("²") fails.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise OutboxQueryError(f"{name} must be a whole number")
    return int(value)
