"""Residents' ideas: sent in without an account, moderated by the group, perhaps a project.

An idea is private until the group publishes it: before that it is on no page, in no
search result and in no event. Only from publication on does it get its real slug and an
event (Create, then Update on later public changes, Delete when it leaves the site). The
sender's name and contact details never leave beheer: not in `idea_public`, not in the
notice mail to the group.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3

from node.db import Database, insert
from node.email_address import is_email_address
from node.kern import happenings, search
from node.kern.changes import record_change, unique_slug
from node.kern.projects import model as projects
from node.settings import Settings
from node.web.audit import record_audit
from node.web.auth import User, now
from node.web.i18n import _
from node.web.markdown import summary

OBJECT_TYPE = "Idee"
SEARCH_KIND = "idee"
NOTICE_PURPOSE = happenings.IDEA_RECEIVED
# Paths under /ideeen that are pages of their own, never an idea's slug.
RESERVED_SLUGS = frozenset({"nieuw", "status"})
SUMMARY_LENGTH = 300
_SUPPORTERS = "(SELECT count(*) FROM idea_supports s WHERE s.idea_id = i.id) AS supporters"
# The linked project only counts while it is still on the site.
_SELECT = f"""SELECT i.*, {_SUPPORTERS}, p.slug AS project_slug, p.title AS project_title
              FROM ideas i LEFT JOIN projects p ON p.id = i.project_id AND p.removed_at IS NULL"""


class IdeaError(ValueError):
    """A moderation step that does not fit the idea's state; the message is for the group."""


def sender_address(row: sqlite3.Row | dict) -> str:
    """The sender's e-mail address, if the contact they left is one; else ''."""
    contact = (row["contact"] or "").strip()
    return contact if "@" in contact and is_email_address(contact) else ""


def _tell_sender(conn: sqlite3.Connection, idea_id: int, what: str, **extra) -> None:
    """Note that the sender must hear of `what` (received, published, answered, project,
    declined); only when they left an e-mail address. The mail is mail_effects.py's."""
    row = conn.execute("SELECT contact FROM ideas WHERE id = ?", (idea_id,)).fetchone()
    if row is not None and sender_address(row):
        happenings.record(conn, happenings.IDEA_SENDER_TOLD, idea_id=idea_id, what=what, **extra)


def idea_path(slug: str) -> str:
    return f"/ideeen/{slug}"


def status_path(token: str) -> str:
    return f"/ideeen/status/{token}"


def hash_token(token: str) -> str:
    """Only this hash is stored: the database alone cannot open anyone's status page."""
    return hashlib.sha256(token.encode()).hexdigest()


def summary_of(body: str) -> str:
    return summary(body, SUMMARY_LENGTH)


# --- Reading ----------------------------------------------------------------------------


def published_ideas(db: Database, limit: int | None = None, offset: int = 0) -> list[sqlite3.Row]:
    """Published ideas, newest first, with their support count and linked project."""
    sql = f"""{_SELECT} WHERE i.status = 'gepubliceerd' AND i.removed_at IS NULL
              ORDER BY i.published_at DESC, i.id DESC"""
    if limit:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return db.execute(sql)


def count_published_ideas(db: Database) -> int:
    return int(
        db.scalar("SELECT count(*) FROM ideas WHERE status = 'gepubliceerd' AND removed_at IS NULL")
    )


def get_published_idea(db: Database, slug: str) -> sqlite3.Row | None:
    return db.one(
        f"{_SELECT} WHERE i.slug = ? AND i.status = 'gepubliceerd' AND i.removed_at IS NULL",
        (slug,),
    )


def get_idea_by_token(db: Database, token: str) -> sqlite3.Row | None:
    return db.one(
        f"{_SELECT} WHERE i.token_hash = ? AND i.removed_at IS NULL", (hash_token(token),)
    )


def get_idea_by_id(db: Database, idea_id: int) -> sqlite3.Row | None:
    return db.one(f"{_SELECT} WHERE i.id = ? AND i.removed_at IS NULL", (idea_id,))


def ideas_for_moderation(db: Database) -> list[sqlite3.Row]:
    """New ideas first (oldest waiting longest on top), then published, then declined."""
    return db.execute(
        f"""{_SELECT} WHERE i.removed_at IS NULL
            ORDER BY CASE i.status WHEN 'nieuw' THEN 0 WHEN 'gepubliceerd' THEN 1 ELSE 2 END,
                     CASE i.status WHEN 'nieuw' THEN i.id END ASC,
                     coalesce(i.decided_at, i.created_at) DESC, i.id DESC"""
    )


def count_new_ideas(db: Database) -> int:
    return int(
        db.scalar("SELECT count(*) FROM ideas WHERE status = 'nieuw' AND removed_at IS NULL")
    )


def idea_for_project(db: Database, project_id: int) -> sqlite3.Row | None:
    """The published idea a project grew from, for a link back on the project page."""
    return db.one(
        f"""{_SELECT} WHERE i.project_id = ? AND i.status = 'gepubliceerd'
            AND i.removed_at IS NULL""",
        (project_id,),
    )


def idea_public(settings: Settings, row: sqlite3.Row | dict) -> dict:
    """An idea as anyone may see it. Never the sender's name or contact details."""
    return {
        "id": settings.url(idea_path(row["slug"])),
        "slug": row["slug"],
        "titel": row["title"],
        "tekst": row["body"],
        "antwoord": row["answer"] or None,
        "project": settings.url(projects.project_path(row["project_slug"]))
        if row["project_slug"]
        else None,
        "aantalSteunbetuigingen": row["supporters"],
        "gepubliceerd": row["published_at"],
    }


def _row(conn: sqlite3.Connection, idea_id: int) -> sqlite3.Row:
    return conn.execute(f"{_SELECT} WHERE i.id = ?", (idea_id,)).fetchone()


def _publish_change(
    conn: sqlite3.Connection, settings: Settings, who: User | str, verb: str, idea_id: int
) -> None:
    """Record a public change of a published idea and keep the search index in step."""
    row = _row(conn, idea_id)
    snapshot = idea_public(settings, row)
    record_change(conn, who, verb, OBJECT_TYPE, snapshot["id"], snapshot, row["title"])
    search.index(
        conn,
        SEARCH_KIND,
        row["slug"],
        idea_path(row["slug"]),
        row["title"],
        summary_of(row["body"]),
        row["body"],
        row["answer"],
    )


def _withdraw(conn: sqlite3.Connection, settings: Settings, who: User | str, row) -> None:
    """A published idea leaves the site: tell the followers and forget it in search."""
    url = settings.url(idea_path(row["slug"]))
    record_change(conn, who, "Delete", OBJECT_TYPE, url, {"id": url}, row["title"])
    search.remove(conn, SEARCH_KIND, row["slug"])


# --- A resident sends an idea -----------------------------------------------------------


def contact_address(conn: sqlite3.Connection) -> str:
    """The group's contact address, '' when it has none."""
    row = conn.execute("SELECT value FROM site WHERE key = 'contact_email'").fetchone()
    return (json.loads(row["value"]) or "").strip() if row else ""


def notice_recipients(conn: sqlite3.Connection) -> list[str]:
    """The group's contact address and every active beheerder with an e-mail, once each."""
    addresses = []
    row = conn.execute("SELECT value FROM site WHERE key = 'contact_email'").fetchone()
    if row:
        addresses.append(json.loads(row["value"]) or "")
    addresses += [
        r["email"]
        for r in conn.execute(
            """SELECT email FROM users WHERE role = 'beheerder' AND disabled = 0
               AND email != '' ORDER BY id"""
        )
    ]
    seen: dict[str, str] = {}
    for address in addresses:
        address = address.strip()
        if address and address.lower() not in seen:
            seen[address.lower()] = address
    return list(seen.values())


def submit_idea(
    conn: sqlite3.Connection,
    settings: Settings,
    title: str,
    body: str,
    name: str = "",
    contact: str = "",
) -> tuple[int, str]:
    """Store a new idea and record it for the notice to the group (mail_effects.py);
    returns (id, status token).

    The token is shown to the sender once and never stored: only its hash is kept.
    The slug is a random placeholder until publication, so an unpublished idea's title
    shows up in no address and takes no slug away from a published one.
    """
    token = secrets.token_urlsafe(32)
    idea_id = insert(
        conn,
        "ideas",
        {
            "slug": f"concept-{secrets.token_hex(8)}",
            "title": title,
            "body": body,
            "name": name,
            "contact": contact,
            "status": "nieuw",
            "token_hash": hash_token(token),
            "created_at": now(),
        },
    )
    happenings.record(
        conn, happenings.IDEA_RECEIVED, idea_id=idea_id, left_details=bool(name or contact)
    )
    # The only moment the status link exists outside the sender's browser: it goes in the
    # confirmation, and later mails point to that one.
    _tell_sender(conn, idea_id, "received", link=settings.url(status_path(token)))
    return idea_id, token


# --- The group moderates ----------------------------------------------------------------


def publish_idea(
    conn: sqlite3.Connection, settings: Settings, who: User | str, idea_id: int
) -> str:
    """Put a new idea on the site under its own slug; returns that slug."""
    row = _row(conn, idea_id)
    if row["status"] != "nieuw":
        raise IdeaError(_("Dit idee is al gepubliceerd of afgewezen."))
    slug = unique_slug(conn, "ideas", row["title"], "idee")
    if slug in RESERVED_SLUGS:
        slug = unique_slug(conn, "ideas", f"idee {row['title']}", "idee")
    stamp = now()
    conn.execute(
        """UPDATE ideas SET slug = ?, status = 'gepubliceerd', published_at = ?, decided_at = ?
           WHERE id = ?""",
        (slug, stamp, stamp, idea_id),
    )
    _publish_change(conn, settings, who, "Create", idea_id)
    _tell_sender(conn, idea_id, "published")
    return slug


def answer_idea(
    conn: sqlite3.Connection, settings: Settings, who: User | str, idea_id: int, answer: str
) -> None:
    """The group's answer, public with the idea (and shown to the sender on their page)."""
    row = _row(conn, idea_id)
    if row["status"] == "afgewezen":
        raise IdeaError(_("Dit idee is afgewezen. De reden staat al bij het idee."))
    conn.execute("UPDATE ideas SET answer = ? WHERE id = ?", (answer, idea_id))
    if answer.strip() and answer != row["answer"]:
        _tell_sender(conn, idea_id, "answered")
    if row["status"] == "gepubliceerd":
        _publish_change(conn, settings, who, "Update", idea_id)
    else:
        record_audit(conn, who, "idee.antwoord", OBJECT_TYPE, idea_id, row["title"])


def decline_idea(
    conn: sqlite3.Connection, settings: Settings, who: User | str, idea_id: int, reason: str
) -> None:
    """Decline with a reason that only the sender reads, through their own link."""
    if not reason.strip():
        raise IdeaError(_("Schrijf op waarom het idee is afgewezen."))
    row = _row(conn, idea_id)
    if row["status"] == "afgewezen":
        raise IdeaError(_("Dit idee is al afgewezen."))
    if row["project_slug"]:
        raise IdeaError(_("Van dit idee is al een project gemaakt."))
    conn.execute(
        """UPDATE ideas SET status = 'afgewezen', decline_reason = ?, decided_at = ?
           WHERE id = ?""",
        (reason.strip(), now(), idea_id),
    )
    if row["status"] == "gepubliceerd":
        _withdraw(conn, settings, who, row)
    else:
        record_audit(conn, who, "idee.afgewezen", OBJECT_TYPE, idea_id, row["title"])
    _tell_sender(conn, idea_id, "declined")


def make_project(
    conn: sqlite3.Connection, settings: Settings, who: User | str, idea_id: int
) -> str:
    """Start a project (phase idee) from a published idea; both keep the link."""
    row = _row(conn, idea_id)
    if row["status"] != "gepubliceerd":
        raise IdeaError(_("Publiceer het idee eerst. Dan kunt u er een project van maken."))
    if row["project_slug"]:
        raise IdeaError(_("Van dit idee is al een project gemaakt."))
    values = {
        "title": row["title"],
        "summary": summary_of(row["body"]) or row["title"],
        "description": row["body"],
        # The sender is never named as trekker: the group asks them first.
        "trekker_name": "",
        "trekker_consent": False,
        "ladder": "",
        "needs": [],
        "budget_requested": None,
        "budget_granted": None,
        "budget_source": "",
        "start_date": None,
        "target_date": None,
    }
    note = _("Begonnen als idee van een inwoner: „%s”.") % row["title"]
    slug = projects.save_project(conn, settings, who, values, [], phase="idee", phase_note=note)
    project_id = conn.execute("SELECT id FROM projects WHERE slug = ?", (slug,)).fetchone()[0]
    conn.execute("UPDATE ideas SET project_id = ? WHERE id = ?", (project_id, idea_id))
    _publish_change(conn, settings, who, "Update", idea_id)
    _tell_sender(conn, idea_id, "project")
    return slug


def remove_idea(
    conn: sqlite3.Connection, settings: Settings, who: User | str, idea_id: int
) -> None:
    """Take an idea away for good, with the sender's details: nothing of it stays in use."""
    row = _row(conn, idea_id)
    stamp = now()
    conn.execute(
        """UPDATE ideas SET removed_at = ?, name = '', contact = '', contact_removed_at = ?
           WHERE id = ?""",
        (stamp, stamp, idea_id),
    )
    conn.execute("DELETE FROM idea_supports WHERE idea_id = ?", (idea_id,))
    if row["status"] == "gepubliceerd":
        _withdraw(conn, settings, who, row)
    else:
        record_audit(conn, who, "idee.weggehaald", OBJECT_TYPE, idea_id, row["title"])


# --- What residents do without an account -----------------------------------------------


def add_support(conn: sqlite3.Connection, idea_id: int, supporter: str) -> bool:
    """Count one supporter once; True when this was new. `supporter` is a keyed hash."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO idea_supports (idea_id, supporter, created_at) VALUES (?, ?, ?)",
        (idea_id, supporter, now()),
    )
    return cursor.rowcount == 1
