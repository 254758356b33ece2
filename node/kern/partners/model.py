"""The kern's partner organisations, and who of them acts or helps on a thema or project.

A partner (the sports club, the school, the housing corporation) is an organisation, so all
that is kept of it is public: its name, kind, website, a public contact and a line on what it
does. It is published like every public object (`record_change`), and thema's and projects
name their partners by address with a role (`links_public`), so a follower joins them to the
Partner objects it holds. A partner's slug, and so its address, never changes.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from node.db import Database, insert, update
from node.kern import search
from node.kern.changes import record_change, unique_slug
from node.settings import Settings
from node.vocabulary import PARTNER_KINDS, PARTNER_ROLES, label
from node.web.auth import User, now

OBJECT_TYPE = "Partner"
SEARCH_KIND = "partner"
PARTNER_FIELDS = ("name", "kind", "website", "contact", "description")
# What a partner can be linked to: (the link table, its column, the parent table).
LINK_TABLES = {
    "thema": ("thema_partners", "thema_id", "themas"),
    "project": ("project_partners", "project_id", "projects"),
}
_ORDER = "name COLLATE NOCASE, id"


def partner_path(slug: str) -> str:
    return f"/partners/{slug}"


def is_web_address(value: str) -> bool:
    """An absolute http(s) address with a host: what a website field may hold."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


# --- Reading ----------------------------------------------------------------------------


def list_partners(db_or_conn: Database | sqlite3.Connection) -> list[sqlite3.Row]:
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        f"SELECT * FROM partners WHERE removed_at IS NULL ORDER BY {_ORDER}"
    ).fetchall()


def get_partner(db: Database, slug: str) -> sqlite3.Row | None:
    return db.one("SELECT * FROM partners WHERE slug = ? AND removed_at IS NULL", (slug,))


def get_partner_by_id(db: Database, partner_id: int) -> sqlite3.Row | None:
    return db.one("SELECT * FROM partners WHERE id = ? AND removed_at IS NULL", (partner_id,))


def partner_public(settings: Settings, row: sqlite3.Row | dict) -> dict:
    """A partner as anyone may see it: the API, events and pages use this shape."""
    return {
        "id": settings.url(partner_path(row["slug"])),
        "slug": row["slug"],
        "naam": row["name"],
        "soort": row["kind"],
        "beschrijving": row["description"],
        "website": row["website"] or None,
        "contact": row["contact"] or None,
        "bijgewerkt": row["updated_at"],
    }


def partners_of(db_or_conn: Database | sqlite3.Connection, kind: str, object_id: int) -> list:
    """The partners linked to a thema or project, with their role; those aan zet first."""
    table, column, _parent = LINK_TABLES[kind]
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        f"""SELECT p.*, l.role FROM {table} l JOIN partners p ON p.id = l.partner_id
            WHERE l.{column} = ? AND p.removed_at IS NULL
            ORDER BY l.role = 'helpt', p.name COLLATE NOCASE, p.id""",
        (object_id,),
    ).fetchall()


def links_public(settings: Settings, conn: sqlite3.Connection, kind: str, object_id: int) -> list:
    """A thema's or project's partners as its public snapshot names them."""
    return [
        {"partner": settings.url(partner_path(row["slug"])), "rol": row["role"]}
        for row in partners_of(conn, kind, object_id)
    ]


def roles_by_partner(db: Database, kind: str, object_id: int) -> dict[int, str]:
    """{partner id: role} for one thema or project, as its beheer form shows them."""
    return {row["id"]: row["role"] for row in partners_of(db, kind, object_id)}


def work_of(db: Database, partner_id: int) -> dict[str, list[sqlite3.Row]]:
    """The thema's and projects a partner acts or helps on, for its page."""
    themas = db.execute(
        """SELECT t.slug, t.title, t.status, l.role FROM thema_partners l
           JOIN themas t ON t.id = l.thema_id
           WHERE l.partner_id = ? AND t.removed_at IS NULL ORDER BY t.title COLLATE NOCASE""",
        (partner_id,),
    )
    projects = db.execute(
        """SELECT p.slug, p.title, p.phase, l.role FROM project_partners l
           JOIN projects p ON p.id = l.project_id
           WHERE l.partner_id = ? AND p.removed_at IS NULL ORDER BY p.title COLLATE NOCASE""",
        (partner_id,),
    )
    return {"themas": themas, "projects": projects}


# --- Writing ----------------------------------------------------------------------------


def save_partner(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    values: dict,
    partner_id: int | None = None,
) -> str:
    """Create or change a partner; returns its slug, which never changes after creation."""
    data = {key: values.get(key) or "" for key in PARTNER_FIELDS}
    if data["kind"] not in PARTNER_KINDS:
        raise ValueError(f"unknown partner kind {data['kind']!r}")
    if data["website"] and not is_web_address(data["website"]):
        raise ValueError("a website is an http(s) address")
    stamp = now()
    if partner_id is None:
        slug = unique_slug(conn, "partners", data["name"], "partner")
        partner_id = insert(
            conn, "partners", {**data, "slug": slug, "created_at": stamp, "updated_at": stamp}
        )
        verb = "Create"
    else:
        update(conn, "partners", partner_id, {**data, "updated_at": stamp})
        verb = "Update"
    row = conn.execute("SELECT * FROM partners WHERE id = ?", (partner_id,)).fetchone()
    snapshot = partner_public(settings, row)
    record_change(conn, who, verb, OBJECT_TYPE, snapshot["id"], snapshot, row["name"])
    search.index(
        conn,
        SEARCH_KIND,
        row["slug"],
        partner_path(row["slug"]),
        row["name"],
        label(PARTNER_KINDS, row["kind"]),
        row["description"],
    )
    return row["slug"]


def remove_partner(
    conn: sqlite3.Connection, settings: Settings, who: User | str, partner_id: int
) -> dict[str, list[int]]:
    """Take a partner away with its links; returns the thema and project ids it was linked
    to, whose snapshots the caller publishes again (node/kern/partners/beheer.py)."""
    row = conn.execute("SELECT * FROM partners WHERE id = ?", (partner_id,)).fetchone()
    linked: dict[str, list[int]] = {}
    for kind, (table, column, parent) in LINK_TABLES.items():
        # Only what is still public: an Update of a removed project would bring it back.
        found = conn.execute(
            f"""SELECT l.{column} FROM {table} l JOIN {parent} o ON o.id = l.{column}
                WHERE l.partner_id = ? AND o.removed_at IS NULL""",
            (partner_id,),
        )
        linked[kind] = [int(value) for (value,) in found.fetchall()]
        conn.execute(f"DELETE FROM {table} WHERE partner_id = ?", (partner_id,))
    conn.execute("UPDATE partners SET removed_at = ? WHERE id = ?", (now(), partner_id))
    url = settings.url(partner_path(row["slug"]))
    record_change(conn, who, "Delete", OBJECT_TYPE, url, {"id": url}, row["name"])
    search.remove(conn, SEARCH_KIND, row["slug"])
    return linked


def set_links(conn: sqlite3.Connection, kind: str, object_id: int, links: dict[int, str]) -> None:
    """Replace a thema's or project's partners: {partner id: role}. The caller records the
    thema's or project's change, so its snapshot carries the new partners."""
    table, column, _parent = LINK_TABLES[kind]
    for role in links.values():
        if role not in PARTNER_ROLES:
            raise ValueError(f"unknown partner role {role!r}")
    conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (object_id,))
    conn.executemany(
        f"INSERT INTO {table} ({column}, partner_id, role) VALUES (?, ?, ?)",
        [(object_id, partner_id, role) for partner_id, role in links.items()],
    )
