"""The kernagenda: thema's with their status, and the versions the group publishes."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from node.db import Database, insert, update
from node.kern import search
from node.kern.changes import record_change, unique_slug
from node.kern.partners import model as partners
from node.settings import Settings
from node.vocabulary import PRIORITY_ORDER, THEMA_STATUSES, WHO_ACTS, label
from node.web.auth import User, now

THEMA_FIELDS = ("title", "description", "priority", "status", "actor", "actor_other")
_ORDER = "CASE priority WHEN 'hoog' THEN 0 WHEN 'middel' THEN 1 ELSE 2 END, title COLLATE NOCASE"


def thema_path(slug: str) -> str:
    return f"/agenda/themas/{slug}"


def version_path(slug: str) -> str:
    return f"/agenda/versies/{slug}"


def list_themas(db: Database, limit: int | None = None) -> list[sqlite3.Row]:
    sql = f"SELECT * FROM themas WHERE removed_at IS NULL ORDER BY {_ORDER}"
    return db.execute(sql + f" LIMIT {int(limit)}" if limit else sql)


def thema_choices(db: Database) -> list[sqlite3.Row]:
    """Slug and title of every thema, in the agenda's order: what a filter offers. The rows
    without their texts, as a list page needs them on every visit."""
    return db.execute(f"SELECT slug, title FROM themas WHERE removed_at IS NULL ORDER BY {_ORDER}")


def get_thema(db: Database, slug: str) -> sqlite3.Row | None:
    return db.one("SELECT * FROM themas WHERE slug = ? AND removed_at IS NULL", (slug,))


def get_thema_by_id(db: Database, thema_id: int) -> sqlite3.Row | None:
    return db.one("SELECT * FROM themas WHERE id = ? AND removed_at IS NULL", (thema_id,))


def thema_public(
    settings: Settings, row: sqlite3.Row | dict, partner_links: list[dict] | None = None
) -> dict:
    """A thema as anyone may see it: the API, events and versions all use this shape.

    Events and the API add its partners (`partners.links_public`); a version's frozen copy
    leaves them out, so comparing versions compares what the agenda itself says.
    """
    public = {
        "id": settings.url(thema_path(row["slug"])),
        "slug": row["slug"],
        "titel": row["title"],
        "beschrijving": row["description"],
        "prioriteit": row["priority"],
        "status": row["status"],
        "wieIsAanZet": row["actor"],
        "wieIsAanZetToelichting": row["actor_other"],
        "bijgewerkt": row["updated_at"],
    }
    if partner_links is not None:
        public["partners"] = partner_links
    return public


def thema_snapshot(settings: Settings, conn: sqlite3.Connection, thema_id: int) -> dict:
    """The thema as its events record it: with its partners."""
    row = conn.execute("SELECT * FROM themas WHERE id = ?", (thema_id,)).fetchone()
    return thema_public(settings, row, partners.links_public(settings, conn, "thema", thema_id))


def save_thema(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    values: dict,
    thema_id: int | None = None,
    partner_links: dict[int, str] | None = None,
) -> str:
    """Create or change a thema; returns its slug, which never changes after creation.

    `partner_links` ({partner id: role}) replaces its partners; None keeps them.
    """
    data = {key: values[key] for key in THEMA_FIELDS}
    stamp = now()
    if thema_id is None:
        slug = unique_slug(conn, "themas", data["title"], "thema")
        thema_id = insert(
            conn, "themas", {**data, "slug": slug, "created_at": stamp, "updated_at": stamp}
        )
        verb = "Create"
    else:
        update(conn, "themas", thema_id, {**data, "updated_at": stamp})
        verb = "Update"
    if partner_links is not None:
        partners.set_links(conn, "thema", thema_id, partner_links)
    row = conn.execute("SELECT * FROM themas WHERE id = ?", (thema_id,)).fetchone()
    snapshot = thema_snapshot(settings, conn, thema_id)
    record_change(conn, who, verb, "Thema", snapshot["id"], snapshot, row["title"])
    search.index(
        conn,
        "thema",
        row["slug"],
        thema_path(row["slug"]),
        row["title"],
        label(THEMA_STATUSES, row["status"]),
        row["description"],
    )
    return row["slug"]


def remove_thema(
    conn: sqlite3.Connection, settings: Settings, who: User | str, thema_id: int
) -> None:
    row = conn.execute("SELECT * FROM themas WHERE id = ?", (thema_id,)).fetchone()
    conn.execute("UPDATE themas SET removed_at = ? WHERE id = ?", (now(), thema_id))
    conn.execute("DELETE FROM project_themas WHERE thema_id = ?", (thema_id,))
    conn.execute("DELETE FROM thema_partners WHERE thema_id = ?", (thema_id,))
    url = settings.url(thema_path(row["slug"]))
    record_change(conn, who, "Delete", "Thema", url, {"id": url}, row["title"])
    search.remove(conn, "thema", row["slug"])


def republish_thema(
    conn: sqlite3.Connection, settings: Settings, who: User | str, thema_id: int
) -> None:
    """Record the thema as it now stands (its partners changed from elsewhere)."""
    snapshot = thema_snapshot(settings, conn, thema_id)
    record_change(conn, who, "Update", "Thema", snapshot["id"], snapshot, snapshot["titel"])


# --- Versions -----------------------------------------------------------------------------


def list_versions(db: Database) -> list[sqlite3.Row]:
    return db.execute("SELECT * FROM agenda_versions ORDER BY published_at DESC, id DESC")


def get_version(db: Database, slug: str) -> sqlite3.Row | None:
    return db.one("SELECT * FROM agenda_versions WHERE slug = ?", (slug,))


def previous_version(db: Database, version: sqlite3.Row) -> sqlite3.Row | None:
    return db.one(
        """SELECT * FROM agenda_versions WHERE (published_at, id) < (?, ?)
           ORDER BY published_at DESC, id DESC LIMIT 1""",
        (version["published_at"], version["id"]),
    )


def latest_version(db: Database) -> sqlite3.Row | None:
    return db.one("SELECT * FROM agenda_versions ORDER BY published_at DESC, id DESC LIMIT 1")


def snapshot_themas(conn: sqlite3.Connection, settings: Settings) -> list[dict]:
    rows = conn.execute(f"SELECT * FROM themas WHERE removed_at IS NULL ORDER BY {_ORDER}")
    return [thema_public(settings, row) for row in rows]


def version_public(settings: Settings, row: sqlite3.Row) -> dict:
    return {
        "id": settings.url(version_path(row["slug"])),
        "slug": row["slug"],
        "titel": row["title"],
        "inleiding": row["introduction"],
        "gepubliceerd": row["published_at"],
        "themas": json.loads(row["snapshot"]),
    }


def publish_version(
    conn: sqlite3.Connection, settings: Settings, who: User | str, title: str, introduction: str
) -> str:
    """Freeze the agenda as it stands now into a new version that anyone can compare."""
    slug = unique_slug(conn, "agenda_versions", title, "versie")
    snapshot = snapshot_themas(conn, settings)
    name = who.display_name if isinstance(who, User) else who
    version_id = insert(
        conn,
        "agenda_versions",
        {
            "slug": slug,
            "title": title,
            "introduction": introduction,
            "published_at": now(),
            "published_by": name,
            "snapshot": json.dumps(snapshot, ensure_ascii=False),
        },
    )
    row = conn.execute("SELECT * FROM agenda_versions WHERE id = ?", (version_id,)).fetchone()
    url = settings.url(version_path(slug))
    record_change(conn, who, "Create", "AgendaVersie", url, version_public(settings, row), title)
    search.index(conn, "versie", slug, version_path(slug), title, "", introduction)
    return slug


@dataclass
class AgendaDiff:
    """What changed between two states of the agenda, in the words the group uses."""

    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    finished: list[dict] = field(default_factory=list)
    status_changed: list[tuple[dict, dict]] = field(default_factory=list)
    changed: list[tuple[dict, dict]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.finished or self.status_changed or self.changed
        )


# The fields of a thema a version compares, in the order its page lists them.
COMPARED_FIELDS = (
    "titel",
    "beschrijving",
    "prioriteit",
    "status",
    "wieIsAanZet",
    "wieIsAanZetToelichting",
)


def changed_fields(before: dict, after: dict) -> list[str]:
    """The compared fields whose value differs between two snapshots of one thema."""
    return [key for key in COMPARED_FIELDS if before.get(key) != after.get(key)]


def compare(old: list[dict], new: list[dict]) -> AgendaDiff:
    """Compare two snapshots thema by thema (matched on their stable slug)."""
    diff = AgendaDiff()
    old_by_slug = {t["slug"]: t for t in old}
    new_by_slug = {t["slug"]: t for t in new}
    for slug, thema in new_by_slug.items():
        before = old_by_slug.get(slug)
        if before is None:
            diff.added.append(thema)
        elif before["status"] != thema["status"]:
            if thema["status"] == "afgerond":
                diff.finished.append(thema)
            else:
                diff.status_changed.append((before, thema))
        elif changed_fields(before, thema):
            diff.changed.append((before, thema))
    diff.removed = [t for slug, t in old_by_slug.items() if slug not in new_by_slug]
    return diff


def diff_with_previous(db: Database, version: sqlite3.Row) -> tuple[sqlite3.Row | None, AgendaDiff]:
    before = previous_version(db, version)
    old = json.loads(before["snapshot"]) if before else []
    return before, compare(old, json.loads(version["snapshot"]))


def unpublished_changes(db: Database, settings: Settings) -> AgendaDiff:
    """What the next version would show as changed: the live agenda against the last version."""
    last = latest_version(db)
    old = json.loads(last["snapshot"]) if last else []
    return compare(old, snapshot_themas(db.read(), settings))


def actor_label(row) -> str:
    text = label(WHO_ACTS, row["actor"])
    if row["actor"] == "anderen" and row["actor_other"]:
        text = f"{text}: {row['actor_other']}"
    return text


def priority_rank(priority: str) -> int:
    return PRIORITY_ORDER.get(priority, 9)
