"""The protocol's tables: one sqlite-utils migration set, applied once, usable through a Store."""

import sqlite3

import pytest
import sqlite_utils
from federation_helpers import NOW, open_store

from federation import store

TABLES = {
    "federation_outbox",
    "federation_followers",
    "federation_following",
    "federation_deliveries",
    "federation_seen",
    "federation_remote_actors",
    "federation_remote_keys",
}


def test_the_migrations_create_every_table_and_apply_only_once(tmp_path):
    db = open_store(tmp_path / "node.db")
    tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= TABLES
    applied = sqlite_utils.Database(db.conn)["_sqlite_migrations"].rows
    assert [r["name"] for r in applied if r["migration_set"] == "federation"] == [
        "0001_outbox_followers_deliveries_seen_remote",
        "0002_double_knock_signature_schemes",
    ]
    store.apply_migrations(db.conn)  # a second open changes nothing
    assert len(list(sqlite_utils.Database(db.conn)["_sqlite_migrations"].rows)) == 2


def test_outbox_positions_are_never_reused(tmp_path):
    db = open_store(tmp_path / "node.db")
    insert = "INSERT INTO federation_outbox (activity_id, type, published, document) VALUES (?, 'Create', '', '{}')"
    db.conn.execute(insert, ("a",))
    db.conn.execute(insert, ("b",))
    db.conn.execute("DELETE FROM federation_outbox WHERE activity_id = 'b'")
    db.conn.execute(insert, ("c",))
    positions = [r[0] for r in db.conn.execute("SELECT position FROM federation_outbox")]
    assert positions == [1, 3]


def test_follow_states_are_checked_by_the_database(tmp_path):
    db = open_store(tmp_path / "node.db")
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute(
            "INSERT INTO federation_followers (actor_id, inbox, state, created_at, updated_at) "
            "VALUES ('a', 'b', 'maybe', '', '')"
        )


def test_a_connection_store_rolls_back_a_failed_write(tmp_path):
    db = open_store(tmp_path / "node.db")

    def fail(conn):
        conn.execute(
            "INSERT INTO federation_seen (activity_id, actor_id, received_at) VALUES ('x', 'y', '')"
        )
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.write(fail)
    assert db.conn.execute("SELECT count(*) FROM federation_seen").fetchone()[0] == 0


def test_a_connection_store_raises_a_full_disk_not_the_rollback_after_it(tmp_path):
    db = open_store(tmp_path / "node.db")
    pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
    db.conn.execute(f"PRAGMA max_page_count = {pages}")

    def grow(conn):
        conn.execute(
            "INSERT INTO federation_seen (activity_id, actor_id, received_at) VALUES (?, 'y', '')",
            ("x" * 1_000_000,),
        )

    # SQLite rolled the transaction back itself; the error is the full disk.
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        db.write(grow)
    assert not db.conn.in_transaction


def test_a_connection_store_refuses_a_connection_with_implicit_transactions(tmp_path):
    with pytest.raises(ValueError):
        store.ConnectionStore(sqlite3.connect(tmp_path / "x.db"))


def test_timestamps_sort_in_time_order_as_text():
    earlier = store.timestamp(NOW.replace(microsecond=5))
    later = store.timestamp(NOW.replace(second=1))
    assert earlier < later
    assert store.parse_timestamp(later) == NOW.replace(second=1)
    with pytest.raises(ValueError):
        store.timestamp(NOW.replace(tzinfo=None))
