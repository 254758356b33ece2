"""SQLite: WAL mode, one writer, all-or-nothing writes, a consistent backup while running."""

from __future__ import annotations

import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import add_thema


def test_wal_mode_is_set_at_open(db):
    assert db.scalar("PRAGMA journal_mode") == "wal"


def test_a_failing_write_leaves_nothing_behind(db, settings):
    from node.kern.agenda import model as agenda
    from tests.helpers import THEMA

    def half_then_fail(conn):
        agenda.save_thema(conn, settings, "test", THEMA)
        raise RuntimeError("disk full, say")

    version = db.data_version()
    with pytest.raises(RuntimeError):
        db.write(half_then_fail)
    assert db.scalar("SELECT count(*) FROM themas") == 0
    assert db.scalar("SELECT count(*) FROM events") == 0
    assert db.scalar("SELECT count(*) FROM audit_log") == 0
    assert db.data_version() == version


def test_concurrent_writers_do_not_lose_updates(db, settings):
    def add_one(n):
        return add_thema(db, settings, title=f"Thema {n}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        slugs = list(pool.map(add_one, range(60)))
    assert len(set(slugs)) == 60
    assert db.scalar("SELECT count(*) FROM themas") == 60
    assert db.scalar("SELECT count(*) FROM events") == 60


def test_a_second_process_writing_the_same_file_waits_instead_of_failing(db, settings):
    from node.app import open_database

    other = open_database(settings)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(
                pool.map(
                    lambda n: (db if n % 2 else other).write(
                        lambda c: c.execute("INSERT INTO site VALUES (?, '1')", (f"k{n}",))
                    ),
                    range(40),
                )
            )
        assert db.scalar("SELECT count(*) FROM site") == 40
    finally:
        other.close()


def test_reads_never_write(db):
    with pytest.raises(sqlite3.OperationalError):
        db.read().execute("DELETE FROM users")


def test_backup_is_consistent_while_a_write_is_open(db, settings, tmp_path):
    add_thema(db, settings)
    db.writer.execute("BEGIN IMMEDIATE")
    db.writer.execute("DELETE FROM themas")
    try:
        db.backup_to(tmp_path / "copy.db")
    finally:
        db.writer.execute("ROLLBACK")
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM themas").fetchone()[0] == 1
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_before_commit_hooks_run_inside_the_transaction(db):
    seen = []

    def hook(conn):
        seen.append(conn.in_transaction)
        conn.execute("INSERT INTO site VALUES ('hooked', '1')")

    db.before_commit(hook)
    db.write(lambda conn: conn.execute("INSERT INTO site VALUES ('write', '1')"))
    assert seen == [True]
    assert db.scalar("SELECT count(*) FROM site") == 2

    def failing(conn):
        conn.execute("INSERT INTO site VALUES ('lost', '1')")
        raise ValueError("no")

    with pytest.raises(ValueError):
        db.write(failing)
    assert db.scalar("SELECT count(*) FROM site WHERE key = 'lost'") == 0


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_short_lived_threads_leave_a_bounded_number_of_read_connections(db):
    # anyio retires idle worker threads and starts new ones; each thread reads once and ends.
    db.scalar("SELECT 1")
    before = open_descriptors()
    for _ in range(200):
        thread = threading.Thread(target=db.scalar, args=("SELECT count(*) FROM meta",))
        thread.start()
        thread.join()
    db.scalar("SELECT 1")  # any read on a new thread sweeps; this one reuses its own
    reader = threading.Thread(target=db.scalar, args=("SELECT 1",))
    reader.start()
    reader.join()
    assert db.reader_count() <= 2
    assert open_descriptors() - before <= 4


def test_a_thread_keeps_its_own_read_connection(db):
    assert db.read() is db.read()
