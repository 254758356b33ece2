"""News from the group ("berichten"), each with a publish time that may lie in the future.

A bericht with a future publish time is scheduled: no page shows it before then. Nothing
runs at that moment, so every public query compares with the current time itself, and a
scheduled bericht enters search once it is due (`index_due_news`). Times are stored in UTC
and shown in Europe/Amsterdam.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from node.db import Database, insert, update
from node.kern import search
from node.kern.changes import record_change, unique_slug
from node.settings import Settings
from node.web.auth import User, now
from node.web.markdown import summary

OBJECT_TYPE = "Bericht"
SEARCH_KIND = "bericht"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PER_PAGE = 10
SUMMARY_LENGTH = 200
NEWS_FIELDS = ("title", "body", "published_at")


def news_path(slug: str) -> str:
    return f"/nieuws/{slug}"


def utc_stamp(moment: datetime) -> str:
    """A moment as stored: UTC ISO 8601 to the second, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_local(local: datetime) -> str:
    """A wall-clock time in Amsterdam (as a form gives it) to the stored UTC form."""
    return utc_stamp(local.replace(tzinfo=AMSTERDAM))


def to_local(stored: str) -> datetime:
    """The stored UTC time as a wall-clock time in Amsterdam, without a zone (for forms)."""
    return datetime.fromisoformat(stored).astimezone(AMSTERDAM).replace(tzinfo=None)


def is_scheduled(row: sqlite3.Row | dict) -> bool:
    return row["published_at"] > now()


def summary_of(body: str) -> str:
    return summary(body, SUMMARY_LENGTH)


# --- Reading ----------------------------------------------------------------------------

_VISIBLE = "removed_at IS NULL AND published_at <= ?"


def list_news(db: Database, page: int = 1, per_page: int = PER_PAGE) -> list[sqlite3.Row]:
    """One page of published berichten, newest first."""
    return db.execute(
        f"""SELECT * FROM news WHERE {_VISIBLE} ORDER BY published_at DESC, id DESC
            LIMIT ? OFFSET ?""",
        (now(), per_page, (page - 1) * per_page),
    )


def count_news(db: Database) -> int:
    return int(db.scalar(f"SELECT count(*) FROM news WHERE {_VISIBLE}", (now(),)))


def latest_news(db: Database, limit: int = 3) -> list[sqlite3.Row]:
    """The newest published berichten, for the home page."""
    return list_news(db, 1, limit)


def get_news(db: Database, slug: str) -> sqlite3.Row | None:
    """A published bericht; a scheduled or removed one does not exist for the public."""
    return db.one(f"SELECT * FROM news WHERE slug = ? AND {_VISIBLE}", (slug, now()))


def get_news_by_id(db: Database, news_id: int) -> sqlite3.Row | None:
    return db.one("SELECT * FROM news WHERE id = ? AND removed_at IS NULL", (news_id,))


def all_news(db: Database) -> list[sqlite3.Row]:
    """Every bericht for beheer, scheduled ones included, the latest publish time first."""
    return db.execute(
        "SELECT * FROM news WHERE removed_at IS NULL ORDER BY published_at DESC, id DESC"
    )


def news_public(settings: Settings, row: sqlite3.Row | dict) -> dict:
    """A bericht as anyone may see it. Who wrote it in beheer is not part of it."""
    return {
        "id": settings.url(news_path(row["slug"])),
        "slug": row["slug"],
        "titel": row["title"],
        "tekst": row["body"],
        "gepubliceerd": row["published_at"],
        "bijgewerkt": row["updated_at"],
    }


# --- Writing ----------------------------------------------------------------------------


def _index(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    search.index(
        conn,
        SEARCH_KIND,
        row["slug"],
        news_path(row["slug"]),
        row["title"],
        summary_of(row["body"]),
        row["body"],
    )


def save_news(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    values: dict,
    news_id: int | None = None,
) -> str:
    """Create or change a bericht; returns its slug, which never changes after creation.

    `values["published_at"]` is a stored UTC stamp (see `from_local`), or empty for now.
    """
    data = {key: values[key] for key in NEWS_FIELDS}
    stamp = now()
    data["published_at"] = data["published_at"] or stamp
    if news_id is None:
        slug = unique_slug(conn, "news", data["title"], "bericht")
        name = who.display_name if isinstance(who, User) else who
        news_id = insert(
            conn,
            "news",
            {**data, "slug": slug, "created_by": name, "created_at": stamp, "updated_at": stamp},
        )
        verb = "Create"
    else:
        update(conn, "news", news_id, {**data, "updated_at": stamp})
        verb = "Update"
    row = conn.execute("SELECT * FROM news WHERE id = ?", (news_id,)).fetchone()
    # A scheduled bericht is recorded now, its publish time in the snapshot, so followers
    # can hold it back; search only gets it once it is due.
    snapshot = news_public(settings, row)
    record_change(conn, who, verb, OBJECT_TYPE, snapshot["id"], snapshot, row["title"])
    if row["published_at"] <= stamp:
        _index(conn, row)
    else:
        search.remove(conn, SEARCH_KIND, row["slug"])
    index_due_news(conn)
    return row["slug"]


def remove_news(
    conn: sqlite3.Connection, settings: Settings, who: User | str, news_id: int
) -> None:
    row = conn.execute("SELECT * FROM news WHERE id = ?", (news_id,)).fetchone()
    conn.execute("UPDATE news SET removed_at = ? WHERE id = ?", (now(), news_id))
    url = settings.url(news_path(row["slug"]))
    record_change(conn, who, "Delete", OBJECT_TYPE, url, {"id": url}, row["title"])
    search.remove(conn, SEARCH_KIND, row["slug"])


def _due_unindexed_sql() -> str:
    return f"""SELECT * FROM news WHERE {_VISIBLE} AND slug NOT IN
               (SELECT ref FROM search_index WHERE kind = '{SEARCH_KIND}')"""


def has_due_unindexed(db: Database) -> bool:
    """Whether a scheduled bericht came due and is not yet searchable (a cheap read)."""
    return db.one(_due_unindexed_sql() + " LIMIT 1", (now(),)) is not None


def index_due_news(conn: sqlite3.Connection) -> int:
    """Put berichten that came due into search; returns how many. Safe to call any time."""
    rows = conn.execute(_due_unindexed_sql(), (now(),)).fetchall()
    for row in rows:
        _index(conn, row)
    return len(rows)
