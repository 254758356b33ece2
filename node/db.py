"""Opening SQLite: WAL mode, one writer, reads on their own connections, named migrations.

Writes are functions handed to `Database.write`, which runs them on the single writer
connection inside `BEGIN IMMEDIATE`, so a write either lands whole or not at all, and
several server processes on one file queue up instead of corrupting each other.
Every write also bumps the node's data version, which the page cache uses to know when a
rendered page is stale; `write_quiet` is for bookkeeping no page shows (federation's delivery
queue, inbox de-duplication, cached remote keys), so it leaves the page cache alone.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

from node.storage import StorageError, check_database_files, storage_cause

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000
# SQLite keeps up to 2 MiB of pages per connection by default, and every thread that reads
# has a connection of its own. Read connections get a smaller cache: the pages they miss
# come from the operating system's file cache, which is shared and not counted against
# the process, so a kern's memory stays flat however many threads have read.
READER_CACHE_KIB = 512
# The one writer touches few pages per transaction (a row, its indexes, the queue): half of
# SQLite's default is plenty, and a burst of writes (RSVPs) then grows the process less.
WRITER_CACHE_KIB = 1024


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Database:
    """One SQLite file: a writer connection behind a lock, and a read connection per thread."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._writer: sqlite3.Connection | None = None
        self._write_lock = threading.Lock()
        self._local = threading.local()
        # Read connections by the thread that owns them, so those of finished threads can be
        # closed when the next one is opened.
        self._readers: dict[threading.Thread, sqlite3.Connection] = {}
        self._readers_lock = threading.Lock()
        self._before_commit: list[Callable[[sqlite3.Connection], None]] = []
        # Objects that live as long as this database and belong to it, by name: the kern's
        # publisher (its keys and before_commit hook) is kept here by node.app.open_database.
        self.services: dict[str, Any] = {}

    def open(self, migrations: Iterable[Migrations] = ()) -> Database:
        # Before SQLite touches the files: one clear line about a folder or file it could not
        # write, instead of a failure later (or SIGBUS on a -shm file it maps read-only).
        check_database_files(self.path)
        self._writer = connect(self.path)
        self._writer.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        # WAL is a property of the file; set it at open, never inside a migration.
        self._writer.execute("PRAGMA journal_mode = WAL")
        self.migrate(migrations)
        return self

    def migrate(self, migrations: Iterable[Migrations]) -> None:
        with self._write_lock:
            utils_db = sqlite_utils.Database(self._writer)
            for migration_set in migrations:
                migration_set.apply(utils_db)

    def before_commit(self, hook: Callable[[sqlite3.Connection], None]) -> None:
        """Run hook(conn) at the end of every write, inside its transaction.

        Publishing uses this: the activities for the events a write recorded are made in the
        same transaction, so nothing is published that was not committed, and nothing
        committed is left unpublished.
        """
        self._before_commit.append(hook)

    @property
    def writer(self) -> sqlite3.Connection:
        if self._writer is None:
            raise RuntimeError("database is not open")
        return self._writer

    def read(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only = ON")
            conn.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
            self._local.conn = conn
            with self._readers_lock:
                self._close_readers_of_finished_threads()
                self._readers[threading.current_thread()] = conn
        return conn

    def _close_readers_of_finished_threads(self) -> None:
        # Thread pools retire idle threads and start new ones (anyio after 10 s), and each new
        # thread opens its own reader: without this sweep every replacement would leave a
        # connection and two file descriptors behind until close().
        for thread in [t for t in self._readers if not t.is_alive()]:
            self._readers.pop(thread).close()

    def reader_count(self) -> int:
        """How many read connections are open: one per live thread that has read."""
        with self._readers_lock:
            return len(self._readers)

    def execute(self, sql: str, params: Iterable | dict = ()) -> list[sqlite3.Row]:
        return self.read().execute(sql, params).fetchall()

    def one(self, sql: str, params: Iterable | dict = ()) -> sqlite3.Row | None:
        return self.read().execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Iterable | dict = ()):
        row = self.read().execute(sql, params).fetchone()
        return None if row is None else row[0]

    def write(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run fn(conn, *args) in one IMMEDIATE transaction on the writer; all or nothing."""
        return self._write(fn, args, kwargs, bump=True)

    def write_quiet(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """As `write`, without bumping the data version, so cached pages stay valid.

        Only for what no cached page shows: delivery bookkeeping, inbox de-duplication, the
        cache of remote keys. The before_commit hooks still run, so an event recorded here
        would still be published with it.
        """
        return self._write(fn, args, kwargs, bump=False)

    def _write(self, fn: Callable[..., T], args: tuple, kwargs: dict, bump: bool) -> T:
        with self._write_lock:
            try:
                return self._transaction(fn, args, kwargs, bump)
            except sqlite3.Error as error:
                # A full disk or a read-only file is the host's problem, not the data's.
                cause = storage_cause(error)
                if cause is None:
                    raise
                raise StorageError(cause, self.path) from error

    def _transaction(self, fn: Callable[..., T], args: tuple, kwargs: dict, bump: bool) -> T:
        conn = self.writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn, *args, **kwargs)
            for hook in self._before_commit:
                hook(conn)
            if bump:
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
            conn.execute("COMMIT")
        except BaseException as error:
            _rollback(conn, error)
            raise
        return result

    def data_version(self) -> int:
        return int(self.scalar("SELECT value FROM meta WHERE key = 'data_version'") or 0)

    def data_changed_at(self) -> datetime | None:
        """When the data version last moved (kept by a trigger, node/web/schema.py)."""
        value = self.scalar("SELECT value FROM meta WHERE key = 'data_changed_at'")
        return None if value is None else datetime.fromtimestamp(float(value), UTC)

    def backup_to(self, target: Path | str) -> None:
        """A consistent copy while the server runs, through SQLite's online backup API."""
        target_conn = sqlite3.connect(target)
        try:
            source = connect(self.path)
            try:
                source.backup(target_conn)
            finally:
                source.close()
        finally:
            target_conn.close()

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers.values():
                conn.close()
            self._readers.clear()
        self._local = threading.local()
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _rollback(conn: sqlite3.Connection, error: BaseException) -> None:
    """Undo an unfinished write without hiding why it failed.

    After some errors (a full disk, an I/O error) SQLite has already rolled the transaction
    back itself; a ROLLBACK then fails with "no transaction is active", and raising that
    would hide the real cause.
    """
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error as rollback_error:
        error.add_note(f"the rollback failed too: {rollback_error}")


def insert(conn: sqlite3.Connection, table: str, values: dict) -> int:
    """INSERT a row from a dict and return its rowid; table names come from code only."""
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())
    )
    return int(cursor.lastrowid)


def update(conn: sqlite3.Connection, table: str, row_id: int, values: dict) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row_id])
