"""The kern's own federation tables, beside the protocol's (`federation.store.migrations`).

* `received_objects`: what the kern keeps of the objects other kernen it follows publish
  (and of what its gemeente sends), one row per object, a removed one kept as deleted.
* `publishing_deferred`: berichten scheduled for later; they are published when they come due,
  never before (the outbox is public).
* `meta.federation_published_event`: the id of the last event turned into activities.
"""

from sqlite_utils.migrations import Migrations

kern_federation = Migrations("kern_federation")
PUBLISHED_EVENT_KEY = "federation_published_event"


@kern_federation(name="0001_received_deferred")
def _initial(db) -> None:
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, '0')", (PUBLISHED_EVENT_KEY,))
    db.execute(
        """CREATE TABLE received_objects (
            object_id TEXT PRIMARY KEY,
            actor_id TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            type TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            document TEXT NOT NULL,
            received_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            deleted_at TEXT
        )"""
    )
    db.execute("CREATE INDEX received_objects_updated ON received_objects (updated_at)")
    db.execute("CREATE INDEX received_objects_actor ON received_objects (actor_id)")
    db.execute(
        """CREATE TABLE publishing_deferred (
            object_id TEXT PRIMARY KEY,
            due_at TEXT NOT NULL
        )"""
    )


@kern_federation(name="0002_deleted_copies_keep_only_tombstones")
def _deleted_copies(db) -> None:
    # A removed object's copy keeps nothing but its tombstone (node/kern/federation/received.py).
    db.execute(
        """UPDATE received_objects SET document = json_object('id', object_id, 'type', 'Tombstone')
           WHERE deleted = 1"""
    )
