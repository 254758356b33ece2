"""Recorded changes become signed activities, in the same transaction as the change.

`Publisher.hook` runs inside every write (`Database.before_commit`): it reads the events
recorded since the last one it published (`meta.federation_published_event`), turns each into
a Create, Update or Delete of its ActivityStreams object (`as_objects`), and hands them to
`federation.outbox.publish`, which signs them with an integrity proof and queues a delivery
for every follower. The change, its activities and their deliveries commit together or not at
all; the pages never build activities themselves.

What is removed or may no longer be shown leaves the earlier activities too (`erasure`).

A new meeting or bericht is also announced (an `Announce` of the object itself), which is how
Mastodon shows a Group's posts to its followers. A bericht scheduled for later is held in
`publishing_deferred` and published when it comes due: the outbox is public.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from federation import outbox, vocabulary
from federation.actors import ActorRoutes
from federation.identity import LocalIdentity
from federation.store import timestamp, utcnow
from node.db import Database
from node.kern.federation import as_objects, erasure
from node.kern.federation.identity import ACTOR_PATH, NodeIdentity, ensure_keys
from node.kern.federation.schema import PUBLISHED_EVENT_KEY
from node.settings import Settings

log = logging.getLogger("bloei.publishing")
DEFERRED_TYPES = frozenset({"Bericht"})  # objects with a publish time that may lie ahead


class Publisher:
    """The kern's publishing hook and what it needs: the actor's routes and keys."""

    def __init__(
        self,
        settings: Settings,
        identity: NodeIdentity,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.settings = settings
        self.node_identity = identity
        self.routes = ActorRoutes.under(settings.public_url, ACTOR_PATH)
        self.author = as_objects.Author(self.routes.id, self.routes.followers, settings.name)
        self.clock = clock
        # Set when a write queued deliveries: the delivery job wakes up for it instead of
        # waiting for its next round. The write itself never waits for the network.
        self.queued = threading.Event()

    @property
    def identity(self) -> LocalIdentity:
        return self.node_identity.current

    def hook(self, conn: sqlite3.Connection) -> None:
        """Database.before_commit: publish what this transaction recorded."""
        if publish_pending(conn, self, self.clock()):
            self.queued.set()

    def publish(self, conn: sqlite3.Connection, activity: dict[str, Any], now: datetime) -> str:
        """Sign, store and queue one activity to the followers; returns its id."""
        entry = outbox.publish(conn, self.identity, activity, now)
        self.queued.set()
        return entry.activity_id

    def new_activity_id(self) -> str:
        return vocabulary.new_id(self.routes.id + "/activities")


# --- events to activities ----------------------------------------------------------------------


def last_published_event(conn: sqlite3.Connection) -> int:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (PUBLISHED_EVENT_KEY,)).fetchone()
    return int(found[0]) if found else 0


def has_unpublished(conn: sqlite3.Connection) -> bool:
    """Whether events wait for publishing (say in a data folder older than federation)."""
    newest = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    return int(newest) > last_published_event(conn)


def publish_pending(conn: sqlite3.Connection, publisher: Publisher, now: datetime) -> int:
    """Publish every event after the last published one, and berichten that came due;
    inside the caller's transaction. Returns how many activities were published."""
    last = last_published_event(conn)
    events = conn.execute(
        """SELECT id, verb, object_type, object_id, snapshot FROM events
           WHERE id > ? ORDER BY id""",
        (last,),
    ).fetchall()
    count = 0
    for event in events:
        count += _publish_event(conn, publisher, event, now)
    if events:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = ?", (str(events[-1][0]), PUBLISHED_EVENT_KEY)
        )
    return count + publish_due(conn, publisher, now)


def _publish_event(
    conn: sqlite3.Connection, publisher: Publisher, event: sqlite3.Row, now: datetime
) -> int:
    _id, verb, object_type, object_id, snapshot_text = tuple(event)
    if object_type not in as_objects.BUILDERS:
        log.warning("event %s: %s is not federated", _id, object_type)
        return 0
    deferred = _is_deferred(conn, object_id)
    if verb == "Delete":
        conn.execute("DELETE FROM publishing_deferred WHERE object_id = ?", (object_id,))
        if deferred and _last_kind(conn, object_id) in (None, "Delete"):
            return 0  # never published: nothing to take back
        return _publish_delete(conn, publisher, object_type, object_id, now)
    snapshot = json.loads(snapshot_text)
    due = _due_at(object_type, snapshot)
    if due is not None and due > now and _last_kind(conn, object_id) in (None, "Delete"):
        conn.execute(
            """INSERT INTO publishing_deferred (object_id, due_at) VALUES (?, ?)
               ON CONFLICT (object_id) DO UPDATE SET due_at = excluded.due_at""",
            (object_id, timestamp(due)),
        )
        return 0
    if deferred:
        conn.execute("DELETE FROM publishing_deferred WHERE object_id = ?", (object_id,))
    return _publish_object(conn, publisher, verb, object_type, snapshot, now)


def publish_due(conn: sqlite3.Connection, publisher: Publisher, now: datetime) -> int:
    """Publish the deferred berichten whose time has come, as they now stand."""
    due = conn.execute(
        "SELECT object_id FROM publishing_deferred WHERE due_at <= ?", (timestamp(now),)
    ).fetchall()
    count = 0
    for (object_id,) in due:
        conn.execute("DELETE FROM publishing_deferred WHERE object_id = ?", (object_id,))
        latest = conn.execute(
            """SELECT verb, object_type, snapshot FROM events WHERE object_id = ?
               ORDER BY id DESC LIMIT 1""",
            (object_id,),
        ).fetchone()
        if latest is None or latest[0] == "Delete":
            continue
        count += _publish_object(conn, publisher, "Update", latest[1], json.loads(latest[2]), now)
    return count


def next_due(conn: sqlite3.Connection) -> str | None:
    """When the next deferred bericht comes due (stored timestamp text), if any."""
    found = conn.execute("SELECT min(due_at) FROM publishing_deferred").fetchone()
    return found[0] if found else None


def _publish_object(
    conn: sqlite3.Connection,
    publisher: Publisher,
    verb: str,
    object_type: str,
    snapshot: dict[str, Any],
    now: datetime,
) -> int:
    obj = as_objects.build(object_type, snapshot, publisher.author)
    if obj is None:
        return 0
    # An Update of something followers never saw created (a bericht that came due, an idea
    # published again) is a Create for them.
    kind = verb
    if verb == "Update" and _last_kind(conn, obj["id"]) in (None, "Delete"):
        kind = "Create"
    build = vocabulary.create if kind == "Create" else vocabulary.update
    audience = publisher.author.audience()
    activity = build(
        publisher.routes.id,
        obj,
        activity_id=publisher.new_activity_id(),
        published=now,
        **audience,
    )
    outbox.publish(conn, publisher.identity, activity, now)
    # A name whose consent was withdrawn, a photo taken away: gone from the history too.
    erasure.redact_history(conn, publisher.identity, activity["object"], now)
    if kind != "Create" or object_type not in as_objects.ANNOUNCED:
        return 1
    announce = vocabulary.announce(
        publisher.routes.id,
        {k: v for k, v in activity["object"].items()},
        activity_id=publisher.new_activity_id(),
        published=now,
        **audience,
    )
    outbox.publish(conn, publisher.identity, announce, now)
    return 2


def _publish_delete(
    conn: sqlite3.Connection, publisher: Publisher, object_type: str, object_id: str, now: datetime
) -> int:
    activity = vocabulary.delete(
        publisher.routes.id,
        object_id,
        as_objects.former_type(object_type),
        activity_id=publisher.new_activity_id(),
        published=now,
        **publisher.author.audience(),
    )
    outbox.publish(conn, publisher.identity, activity, now)
    # The removed object must not stay readable in the Creates and Updates before it.
    erasure.tombstone_history(conn, publisher.identity, activity["object"], now)
    return 1


def _last_kind(conn: sqlite3.Connection, object_id: str) -> str | None:
    """Create, Update or Delete: what the outbox last said about an object; None if nothing."""
    found = conn.execute(
        """SELECT type FROM federation_outbox
           WHERE object_id = ? AND type IN ('Create', 'Update', 'Delete')
           ORDER BY position DESC LIMIT 1""",
        (object_id,),
    ).fetchone()
    return found[0] if found else None


def _is_deferred(conn: sqlite3.Connection, object_id: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM publishing_deferred WHERE object_id = ?", (object_id,)
    ).fetchone()
    return found is not None


def _due_at(object_type: str, snapshot: dict[str, Any]) -> datetime | None:
    if object_type not in DEFERRED_TYPES or not snapshot.get("gepubliceerd"):
        return None
    return datetime.fromisoformat(snapshot["gepubliceerd"])


# --- serving objects ---------------------------------------------------------------------------


def current_object(conn: sqlite3.Connection, object_id: str) -> tuple[str, dict[str, Any]] | None:
    """("Create" | "Update" | "Delete", object) as the outbox last published it, or None.

    Content negotiation serves this: the same object followers received, nothing unpublished
    (a scheduled bericht stays hidden until it is published here too).
    """
    found = conn.execute(
        """SELECT type, document FROM federation_outbox
           WHERE object_id = ? AND type IN ('Create', 'Update', 'Delete')
           ORDER BY position DESC LIMIT 1""",
        (object_id,),
    ).fetchone()
    if found is None:
        return None
    return found[0], json.loads(found[1])["object"]


# --- wiring ------------------------------------------------------------------------------------


def attach_publisher(db: Database, settings: Settings) -> Publisher:
    """Give an opened kern database its publisher: keys (created for a data folder older than
    federation), the before_commit hook, and any backlog of events published at once."""
    ensure_keys(settings.keys_dir)
    publisher = Publisher(settings, NodeIdentity(settings.url(ACTOR_PATH), settings.keys_dir))
    db.before_commit(publisher.hook)
    db.services["publisher"] = publisher
    if has_unpublished(db.read()):
        db.write(lambda conn: None)  # the hook does the work
    erasure.catch_up(db, settings, publisher.identity)
    return publisher
