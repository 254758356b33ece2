"""The protocol's tables, as one sqlite-utils migration set, and the small helpers around them.

The node adds `migrations` to the sets it applies at open (`Database.open([core, kern,
federation.store.migrations])`). Every table is prefixed `federation_` so the node's own tables
never collide with it. One database holds one local actor, as one node is one kern.

Functions that run their own transactions take a `Store`: anything with `write(fn, *args)`, which
runs `fn(conn, *args)` in one `BEGIN IMMEDIATE` transaction, and `read()`, which gives a
connection for reading. The node's `Database` is one; `ConnectionStore` makes one from a bare
connection, for tests and for a worker process with a connection of its own.

Times are stored as fixed-width ISO 8601 UTC text with microseconds, so that SQL compares them as
strings in time order (`next_try_at <= ?`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

T = TypeVar("T")

migrations = Migrations("federation")

# The state of a follow, on either side.
PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"
FOLLOW_STATES = (PENDING, ACCEPTED, REJECTED)


@migrations(name="0001_outbox_followers_deliveries_seen_remote")
def _initial(db: Any) -> None:
    # AUTOINCREMENT, not a plain rowid: a position is never handed out twice, even after the
    # newest row was removed, so a follower's "after <position>" never skips or repeats.
    db.execute(
        """CREATE TABLE federation_outbox (
            position INTEGER PRIMARY KEY AUTOINCREMENT,
            activity_id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            object_id TEXT,
            published TEXT NOT NULL,
            document TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX federation_outbox_object ON federation_outbox (object_id)")
    db.execute(
        """CREATE TABLE federation_followers (
            actor_id TEXT PRIMARY KEY,
            inbox TEXT NOT NULL,
            shared_inbox TEXT,
            state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
            follow_id TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX federation_followers_state ON federation_followers (state)")
    # Who this node follows (the aggregator follows kernen). last_position is where a pull of
    # their outbox got to; the caller that pulls keeps it up to date.
    db.execute(
        """CREATE TABLE federation_following (
            actor_id TEXT PRIMARY KEY,
            inbox TEXT NOT NULL,
            outbox TEXT,
            state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
            follow_id TEXT NOT NULL,
            last_position INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    # One job per activity and inbox. The body is kept whole, so a job needs nothing else to be
    # sent and survives a restart as it is. claim_token tells a worker whose lease ran out that
    # the job is no longer its to finish.
    db.execute(
        """CREATE TABLE federation_deliveries (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL,
            inbox TEXT NOT NULL,
            body BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'done', 'failed')),
            tries INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            lease_until TEXT,
            claim_token TEXT,
            last_status INTEGER,
            last_error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            finished_at TEXT,
            UNIQUE (activity_id, inbox)
        )"""
    )
    db.execute(
        "CREATE INDEX federation_deliveries_due ON federation_deliveries (status, next_try_at)"
    )
    db.execute(
        """CREATE TABLE federation_seen (
            activity_id TEXT PRIMARY KEY,
            actor_id TEXT NOT NULL,
            received_at TEXT NOT NULL
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX federation_seen_received ON federation_seen (received_at)")
    # Remote actors and their keys, as last fetched. refetched_at limits how often a failing
    # signature may trigger a new fetch, so a forger cannot make us hammer a server.
    db.execute(
        """CREATE TABLE federation_remote_actors (
            actor_id TEXT PRIMARY KEY,
            inbox TEXT NOT NULL,
            shared_inbox TEXT,
            document TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            refetched_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE federation_remote_keys (
            key_id TEXT PRIMARY KEY,
            actor_id TEXT NOT NULL
                REFERENCES federation_remote_actors (actor_id) ON DELETE CASCADE,
            public_key TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX federation_remote_keys_actor ON federation_remote_keys (actor_id)")


@migrations(name="0002_double_knock_signature_schemes")
def _signature_schemes(db: Any) -> None:
    # Which HTTP signature scheme each host took last (federation.knocking): RFC 9421 is tried
    # first, draft-cavage when a host refuses it; "host" is the host with a non-default port.
    db.execute(
        """CREATE TABLE federation_signature_schemes (
            host TEXT PRIMARY KEY,
            scheme TEXT NOT NULL CHECK (scheme IN ('rfc9421', 'draft-cavage')),
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID"""
    )


# --- writing -----------------------------------------------------------------------------------


class Store(Protocol):
    """Where the protocol's tables live. `node.db.Database` is one; so is `ConnectionStore`."""

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(conn, *args)` in one IMMEDIATE transaction and return its result."""
        ...

    def read(self) -> sqlite3.Connection:
        """A connection to read from (outside any write)."""
        ...


class ConnectionStore:
    """A `Store` over one autocommit connection (`isolation_level=None`), with its own lock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        if conn.isolation_level is not None:
            raise ValueError("ConnectionStore needs a connection opened with isolation_level=None")
        self.conn = conn
        self._lock = threading.Lock()

    def read(self) -> sqlite3.Connection:
        return self.conn

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self.conn, *args, **kwargs)
                self.conn.execute("COMMIT")
            except BaseException:
                # After a full disk or an I/O error SQLite has rolled back by itself; a
                # ROLLBACK then fails ("no transaction is active") and would hide the cause.
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            return result


def as_store(target: Store | sqlite3.Connection) -> Store:
    """A `Store` for a Database-like object or a bare autocommit connection."""
    if isinstance(target, sqlite3.Connection):
        return ConnectionStore(target)
    return target


def open_connection(path: str, timeout: float = 10.0) -> sqlite3.Connection:
    """An autocommit connection in WAL mode, for tests and stand-alone workers."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def apply_migrations(conn: sqlite3.Connection) -> None:
    """Apply this set on a bare connection (the node applies it through `Database.open`)."""

    migrations.apply(sqlite_utils.Database(conn))


# --- reading -----------------------------------------------------------------------------------


def rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
    """Rows by column name whatever the connection's own row_factory is."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, tuple(params)).fetchall()


def row(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
    found = rows(conn, sql, params)
    return found[0] if found else None


# --- time --------------------------------------------------------------------------------------


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC text that sorts in time order: 2026-11-29T12:00:00.000000+00:00."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# The moment a block of writes happens at, when it is not now: sample data writes its history
# at the dates the history says, so every stamp, event and activity carries that date.
_written_at: ContextVar[datetime | None] = ContextVar("written_at", default=None)


def utcnow() -> datetime:
    return _written_at.get() or datetime.now(UTC)


@contextmanager
def clock_set_to(moment: datetime) -> Iterator[None]:
    """Within this block (this thread or task only), `utcnow()` is `moment`."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    token = _written_at.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _written_at.reset(token)
