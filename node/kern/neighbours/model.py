"""The copied list of every kern's thema's, and what a thema page shows from it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.store import timestamp

SETTING = "show_other_kernen"
# Enough for hundreds of kernen; a larger answer is cut, not refused.
MAX_THEMAS = 5000
SHOWN = 12


@dataclass(frozen=True)
class NeighbourThema:
    url: str
    name: str
    kern_name: str
    category: str
    status: str
    projects: int


def turned_on(conn: sqlite3.Connection) -> bool:
    found = conn.execute("SELECT value FROM site WHERE key = ?", (SETTING,)).fetchone()
    return bool(found and json.loads(found[0]))


def replace_all(conn: sqlite3.Connection, themas: Iterable[NeighbourThema], now: datetime) -> None:
    """The new copy in place of the old one, in one transaction (a reader sees one or the other)."""
    conn.execute("DELETE FROM neighbour_themas")
    conn.executemany(
        """INSERT OR IGNORE INTO neighbour_themas (url, name, kern_name, category, status, projects)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [(t.url, t.name, t.kern_name, t.category, t.status, t.projects) for t in themas],
    )
    _note(conn, now, fetched=True, error="")


def note_failure(conn: sqlite3.Connection, now: datetime, error: str) -> None:
    """A refresh that failed keeps the last copy: yesterday's list beats an empty one."""
    _note(conn, now, fetched=False, error=error[:300])


def _note(conn: sqlite3.Connection, now: datetime, *, fetched: bool, error: str) -> None:
    conn.execute(
        """INSERT INTO neighbour_fetches (id, tried_at, fetched_at, error) VALUES (1, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET tried_at = excluded.tried_at, error = excluded.error,
               fetched_at = coalesce(excluded.fetched_at, neighbour_fetches.fetched_at)""",
        (timestamp(now), timestamp(now) if fetched else None, error),
    )


def last_fetch(conn: sqlite3.Connection) -> dict[str, Any] | None:
    found = conn.execute("SELECT tried_at, fetched_at, error FROM neighbour_fetches").fetchone()
    return dict(found) if found else None


def knows_own(conn: sqlite3.Connection, own_root: str) -> bool:
    """Whether the copy lists any thema of this kern (the gemeente follows it and has read it)."""
    found = conn.execute(
        "SELECT 1 FROM neighbour_themas WHERE substr(url, 1, length(?1)) = ?1 LIMIT 1",
        (own_root,),
    ).fetchone()
    return found is not None


def same_thema_elsewhere(conn: sqlite3.Connection, own_url: str) -> list[dict[str, Any]]:
    """Other kernen's thema's in a category of the thema at `own_url`, busiest first."""
    categories = [
        row[0]
        for row in conn.execute("SELECT category FROM neighbour_themas WHERE url = ?", (own_url,))
    ]
    if not categories:
        return []
    own_origin = _origin(own_url)
    found = conn.execute(
        f"""SELECT DISTINCT url, name, kern_name, status, projects FROM neighbour_themas
            WHERE category IN ({", ".join("?" for _ in categories)}) AND category != 'overig'
            ORDER BY projects DESC, kern_name COLLATE NOCASE, name COLLATE NOCASE""",
        categories,
    ).fetchall()
    return [dict(row) for row in found if _origin(row["url"]) != own_origin][:SHOWN]


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
