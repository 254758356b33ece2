"""Outbox positions that only grow, also when an older backup is restored.

A follower remembers the outbox position it read up to and asks for what came after it
(docs/FEDERATION.md, section 10). Positions come from SQLite's AUTOINCREMENT, whose counter
lives in `sqlite_sequence`, inside the database file. Restoring an older backup brings back an
older counter: the node would hand out positions again that followers already read past, and
they would skip the new activities without noticing.

So the node keeps a second record of how far it got, outside the database file: the
high-water mark in `outbox-positions` in the data folder. It holds a number that no position
handed out so far exceeds. `guard` raises it in blocks of `BLOCK` positions, inside the write
that would pass it, before that write commits. A position is seen by a follower only after
its commit, so every position any follower ever saw is at most the mark on disk; a crash
between the file and the commit only leaves the mark higher, which is harmless. The check on
every write is one small query (microseconds); the file write with its fsyncs (milliseconds)
happens once per `BLOCK` published activities.

A restore (node/backup.py) then sets the restored database's counter to a floor from
`restore_floor`: the highest of the restored counter, the mark and the counter of the folder
it replaces. That is exact however old the backup is and however much the node published
after it, as long as the old folder is there, which is the usual case: `bloei restore --force`
over the live folder. When the old folder is gone, empty, or holds another history (the disk
died and the host starts again from a fresh `bloei init`), or its database cannot be read to
confirm it continues the backup, the mark alone may not know how far the node got. Then the
floor also adds a margin from the time since the backup was made, at
`MAX_RATE` activities a second: far more than a village node publishes on average over any
stretch of time. Higher positions are never wrong (only unused numbers); followers also read
again from the start when an outbox goes back below what they read (node/gemeente/pull.py),
the last safety net if even the margin were too small.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from node.db import Database

MARK_FILE = "outbox-positions"
OUTBOX_SEQUENCE = "federation_outbox"
# How far ahead the mark is raised at a time: one file write per this many activities.
BLOCK = 1000
# Activities a second assumed, on average, for the time since a backup whose later history
# is unknown. A busy day in beheer makes a few hundred; this allows 864,000 a day.
MAX_RATE = 10
# When a backup does not say when it was made: assume it is this old.
UNKNOWN_AGE = timedelta(days=3650)


# --- the mark beside the database ------------------------------------------------------------


def read_mark(data_dir: Path) -> int | None:
    """The high-water mark in the data folder; None when there is none (or it is unreadable)."""
    try:
        text = (data_dir / MARK_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) <= 18 else None


def write_mark(data_dir: Path, value: int) -> None:
    """Replace the mark with `value` atomically and durably (a new file, fsync, rename)."""
    target = data_dir / MARK_FILE
    tmp = data_dir / f".{MARK_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(f"{value}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_folder(data_dir)


def _sync_folder(folder: Path) -> None:
    # The rename itself is only durable once the folder is synced (not possible everywhere).
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class PositionGuard:
    """A before-commit hook: raises the mark before a write commits a position beyond it.

    Several processes (server, worker, commands) may share one folder; they are serialised
    by the write transaction this runs in, and each reads the file again before raising it.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._covered = 0  # what the mark on disk was known to cover, to skip the file

    def __call__(self, conn: sqlite3.Connection) -> None:
        handed_out = sequence(conn)
        if handed_out <= self._covered:
            return
        mark = read_mark(self.data_dir) or 0
        if handed_out > mark:
            mark = handed_out + BLOCK
            write_mark(self.data_dir, mark)
        self._covered = mark


def guard(db: Database, data_dir: Path) -> PositionGuard:
    """Keep the mark of `db`'s outbox in `data_dir` from now on."""
    hook = PositionGuard(data_dir)
    db.before_commit(hook)
    return hook


# --- the counter in the database -------------------------------------------------------------


def sequence(conn: sqlite3.Connection) -> int:
    """The highest position the database handed out (AUTOINCREMENT's counter); 0 for none."""
    try:
        found = conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", (OUTBOX_SEQUENCE,)
        ).fetchone()
    except sqlite3.OperationalError:  # no AUTOINCREMENT table at all yet
        return 0
    return int(found[0]) if found and found[0] is not None else 0


def raise_sequence(conn: sqlite3.Connection, floor: int) -> None:
    """Make the next position at least floor + 1; never lowers the counter."""
    updated = conn.execute(
        "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (floor, OUTBOX_SEQUENCE)
    ).rowcount
    if not updated:
        conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (OUTBOX_SEQUENCE, floor)
        )


def has_outbox(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (OUTBOX_SEQUENCE,)
    ).fetchone()
    return found is not None


# --- restoring -------------------------------------------------------------------------------


def restore_floor(
    restored: sqlite3.Connection,
    old_folder: Path | None,
    old_database: Path | None,
    made_at: datetime | None,
    now: datetime,
    *,
    new_actor: bool = False,
) -> int:
    """The position the restored outbox must go on after (see the module's docstring).

    `restored` is the database from the backup; `old_folder` and `old_database` the folder and
    database it replaces, when there are any; `made_at` when the backup was made. With
    `new_actor` (an import at a new address, node/migrate.py) there is no margin: the new actor
    never published beyond the backup, and its followers come over from the old actor, whose
    Move takes the position the import leaves free (node/kern/moving/rehome.py).
    """
    floor = sequence(restored)
    old_mark = read_mark(old_folder) if old_folder is not None else None
    old_counter, continues = _old_history(restored, old_database)
    floor = max(floor, old_mark or 0, old_counter)
    if not continues and not new_actor:
        age = now - made_at if made_at is not None else UNKNOWN_AGE
        seconds = max(0, int(age.total_seconds()))
        floor = max(floor, sequence(restored) + BLOCK + MAX_RATE * seconds)
    return floor


def _old_history(restored: sqlite3.Connection, old_database: Path | None) -> tuple[int, bool]:
    """(the old database's counter, whether it continues the backup's history).

    It continues it when it holds the backup's newest activity at the same position: then the
    old counter (and mark) are this node's own, from after the backup. A damaged, missing or
    fresh database gives (its counter or 0, False).
    """
    if old_database is None or not old_database.is_file():
        return 0, False
    newest = restored.execute(
        "SELECT position, activity_id FROM federation_outbox ORDER BY position DESC LIMIT 1"
    ).fetchone()
    try:
        old = sqlite3.connect(f"file:{old_database}?mode=ro", uri=True, timeout=5)
        try:
            counter = sequence(old)
            if newest is None or not has_outbox(old):
                return counter, False
            same = old.execute(
                "SELECT 1 FROM federation_outbox WHERE position = ? AND activity_id = ?",
                (newest[0], newest[1]),
            ).fetchone()
            return counter, same is not None
        finally:
            old.close()
    except sqlite3.Error:
        return 0, False
