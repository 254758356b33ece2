"""Projects and their phases, updates, supporters and volunteers."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from node.db import Database, insert, update
from node.kern import happenings, search
from node.kern.changes import record_change, unique_slug
from node.kern.partners import model as partners
from node.settings import Settings
from node.vocabulary import PHASES, PHASES_NEEDING_REASON, label
from node.web.auth import User, now
from node.web.i18n import _

PROJECT_FIELDS = (
    "title",
    "summary",
    "description",
    "trekker_name",
    "trekker_consent",
    "ladder",
    "needs",
    "budget_requested",
    "budget_granted",
    "budget_source",
    "start_date",
    "target_date",
)


class PhaseError(ValueError):
    """A phase change that is not allowed; the message is for the person who tried it."""


def project_path(slug: str) -> str:
    return f"/projecten/{slug}"


def who_name(who: User | str) -> str:
    return who.display_name if isinstance(who, User) else who


def _project_filter(
    phase: str | None, thema_slug: str | None, phases: tuple[str, ...] | None
) -> tuple[str, list]:
    clauses, params = ["p.removed_at IS NULL"], []
    if phase:
        clauses.append("p.phase = ?")
        params.append(phase)
    if phases:
        clauses.append(f"p.phase IN ({', '.join('?' for _ in phases)})")
        params.extend(phases)
    if thema_slug:
        clauses.append(
            """p.id IN (SELECT pt.project_id FROM project_themas pt
               JOIN themas t ON t.id = pt.thema_id WHERE t.slug = ? AND t.removed_at IS NULL)"""
        )
        params.append(thema_slug)
    return " AND ".join(clauses), params


def list_projects(
    db: Database,
    phase: str | None = None,
    thema_slug: str | None = None,
    limit: int | None = None,
    *,
    phases: tuple[str, ...] | None = None,
    offset: int = 0,
) -> list[sqlite3.Row]:
    """Projects, most recently changed first, filtered by one phase or several, and thema."""
    where, params = _project_filter(phase, thema_slug, phases)
    supporters = "(SELECT count(*) FROM supports s WHERE s.project_id = p.id) AS supporters"
    order = "ORDER BY p.updated_at DESC, p.id DESC"
    if not limit:
        return db.execute(f"SELECT p.*, {supporters} FROM projects p WHERE {where} {order}", params)
    # One page: sort the ids alone, then read those rows and count their supporters. Sorting
    # whole rows (descriptions and all) and counting for every project cost ten times more.
    sql = f"""SELECT p.*, {supporters} FROM projects p
              JOIN (SELECT p.id FROM projects p WHERE {where} {order} LIMIT ? OFFSET ?) page
                ON page.id = p.id
              {order}"""
    return db.execute(sql, [*params, int(limit), int(offset)])


def phase_overview(
    db: Database, phases: tuple[str, ...], per_phase: int
) -> dict[str, tuple[int, list[sqlite3.Row]]]:
    """Per phase: how many projects are in it, and the `per_phase` most recently changed
    (slug, title), in the order of `list_projects`. A few indexed queries however many
    projects there are: the home page used to read every active project to show five."""
    where, params = _project_filter(None, None, phases)
    counts = {
        row["phase"]: row["n"]
        for row in db.execute(
            f"SELECT p.phase, count(*) AS n FROM projects p WHERE {where} GROUP BY p.phase",
            params,
        )
    }
    # One query a phase (on the phase index) is cheaper than a window over all of them.
    newest_sql = """SELECT p.slug, p.title FROM projects p
                    WHERE p.removed_at IS NULL AND p.phase = ?
                    ORDER BY p.updated_at DESC, p.id DESC LIMIT ?"""
    return {
        phase: (
            counts.get(phase, 0),
            db.execute(newest_sql, (phase, int(per_phase))) if counts.get(phase) else [],
        )
        for phase in phases
    }


def count_projects(db: Database, phase: str | None = None, thema_slug: str | None = None) -> int:
    where, params = _project_filter(phase, thema_slug, None)
    return int(db.scalar(f"SELECT count(*) FROM projects p WHERE {where}", params))


def get_project(db: Database, slug: str) -> sqlite3.Row | None:
    return db.one(
        """SELECT p.*, (SELECT count(*) FROM supports s WHERE s.project_id = p.id) AS supporters
           FROM projects p WHERE slug = ? AND removed_at IS NULL""",
        (slug,),
    )


def get_project_by_id(db: Database, project_id: int) -> sqlite3.Row | None:
    return db.one("SELECT * FROM projects WHERE id = ? AND removed_at IS NULL", (project_id,))


def themas_of(db_or_conn, project_id: int) -> list[sqlite3.Row]:
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        """SELECT t.* FROM themas t JOIN project_themas pt ON pt.thema_id = t.id
           WHERE pt.project_id = ? AND t.removed_at IS NULL ORDER BY t.title COLLATE NOCASE""",
        (project_id,),
    ).fetchall()


def themas_by_project(db: Database) -> dict[int, list[sqlite3.Row]]:
    """All thema's per project in one query, for lists of projects."""
    result: dict[int, list[sqlite3.Row]] = {}
    for row in db.execute(
        """SELECT pt.project_id, t.slug, t.title FROM project_themas pt
           JOIN themas t ON t.id = pt.thema_id WHERE t.removed_at IS NULL
           ORDER BY t.title COLLATE NOCASE"""
    ):
        result.setdefault(row["project_id"], []).append(row)
    return result


def phase_history(db_or_conn, project_id: int) -> list[sqlite3.Row]:
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        """SELECT pc.*, m.slug AS meeting_slug, m.title AS meeting_title FROM phase_changes pc
           LEFT JOIN meetings m ON m.id = pc.meeting_id AND m.removed_at IS NULL
           WHERE pc.project_id = ? ORDER BY pc.changed_on, pc.id""",
        (project_id,),
    ).fetchall()


def updates_of(db_or_conn, project_id: int) -> list[sqlite3.Row]:
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        "SELECT * FROM project_updates WHERE project_id = ? ORDER BY published_on DESC, id DESC",
        (project_id,),
    ).fetchall()


def latest_updates(db: Database, limit: int = 5) -> list[sqlite3.Row]:
    return db.execute(
        """SELECT u.*, p.slug AS project_slug, p.title AS project_title FROM project_updates u
           JOIN projects p ON p.id = u.project_id WHERE p.removed_at IS NULL
           ORDER BY u.published_on DESC, u.id DESC LIMIT ?""",
        (limit,),
    )


def project_public(settings: Settings, conn: sqlite3.Connection, project_id: int) -> dict:
    """A project as anyone may see it; never volunteers or supporters, only their count."""
    row = conn.execute(
        """SELECT p.*, (SELECT count(*) FROM supports s WHERE s.project_id = p.id) AS supporters
           FROM projects p WHERE p.id = ?""",
        (project_id,),
    ).fetchone()
    return {
        "id": settings.url(project_path(row["slug"])),
        "slug": row["slug"],
        "titel": row["title"],
        "samenvatting": row["summary"],
        "beschrijving": row["description"],
        "fase": row["phase"],
        "themas": [
            settings.url(f"/agenda/themas/{t['slug']}") for t in themas_of(conn, project_id)
        ],
        "trekker": row["trekker_name"] if row["trekker_consent"] else None,
        "participatieladder": row["ladder"] or None,
        "behoeften": json.loads(row["needs"]),
        "budget": {
            "aangevraagd": row["budget_requested"],
            "toegekend": row["budget_granted"],
            "bron": row["budget_source"] or None,
            "bronAnders": row["budget_source_other"] or None,
            "valuta": "EUR",
            "eenheid": "cent",
        },
        "startdatum": row["start_date"],
        "streefdatum": row["target_date"],
        "foto": settings.url(f"/media/{row['photo']}") if row["photo"] else None,
        "fotoBeschrijving": row["photo_alt"] or None,
        "aantalSteunbetuigingen": row["supporters"],
        "fasegeschiedenis": [
            {
                "van": change["from_phase"],
                "naar": change["to_phase"],
                "datum": change["changed_on"],
                "toelichting": change["note"],
                "bijeenkomst": settings.url(f"/bijeenkomsten/{change['meeting_slug']}")
                if change["meeting_slug"]
                else None,
            }
            for change in phase_history(conn, project_id)
        ],
        "updates": [
            {
                "id": settings.url(f"{project_path(row['slug'])}/updates/{u['id']}"),
                "titel": u["title"],
                "tekst": u["body"],
                "datum": u["published_on"],
            }
            for u in updates_of(conn, project_id)
        ],
        "terugblik": reflection_public(conn, project_id),
        "partners": partners.links_public(settings, conn, "project", project_id),
        "bijgewerkt": row["updated_at"],
    }


# The phases after which a group looks back: the project is done, or it stopped.
REFLECTION_PHASES = ("afgerond", "gestopt")


def reflection_of(db_or_conn, project_id: int) -> sqlite3.Row | None:
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        "SELECT * FROM project_reflections WHERE project_id = ?", (project_id,)
    ).fetchone()


def reflection_public(conn: sqlite3.Connection, project_id: int) -> dict | None:
    """The group's look back, as residents and the gemeente read it; None before there is one."""
    row = reflection_of(conn, project_id)
    if row is None:
        return None
    return {
        "watWerkte": row["what_worked"],
        "geleerd": row["learned"],
        "bereikteTrede": row["ladder_reached"] or None,
        "datum": row["updated_at"][:10],
    }


def save_reflection(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    project_id: int,
    what_worked: str,
    learned: str,
    ladder_reached: str,
) -> None:
    """Keep (or rewrite) the group's look back on a finished or stopped project."""
    phase = conn.execute("SELECT phase FROM projects WHERE id = ?", (project_id,)).fetchone()[0]
    if phase not in REFLECTION_PHASES:
        raise ValueError("a project looks back once it is afgerond or gestopt")
    conn.execute(
        """INSERT INTO project_reflections (project_id, what_worked, learned, ladder_reached,
                                            updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (project_id) DO UPDATE SET what_worked = excluded.what_worked,
               learned = excluded.learned, ladder_reached = excluded.ladder_reached,
               updated_at = excluded.updated_at""",
        (project_id, what_worked, learned, ladder_reached, now()),
    )
    _after_change(conn, settings, who, "Update", project_id)


def _after_change(
    conn: sqlite3.Connection, settings: Settings, who: User | str, verb: str, project_id: int
) -> None:
    snapshot = project_public(settings, conn, project_id)
    record_change(conn, who, verb, "Project", snapshot["id"], snapshot, snapshot["titel"])
    updates = " ".join(u["titel"] + " " + u["tekst"] for u in snapshot["updates"])
    search.index(
        conn,
        "project",
        snapshot["slug"],
        project_path(snapshot["slug"]),
        snapshot["titel"],
        snapshot["samenvatting"],
        snapshot["beschrijving"],
        updates,
    )


def republish_project(
    conn: sqlite3.Connection, settings: Settings, who: User | str, project_id: int
) -> None:
    """Record the project as it now stands (its partners changed from elsewhere)."""
    _after_change(conn, settings, who, "Update", project_id)


def _set_themas(conn: sqlite3.Connection, project_id: int, thema_ids: list[int]) -> None:
    conn.execute("DELETE FROM project_themas WHERE project_id = ?", (project_id,))
    conn.executemany(
        "INSERT INTO project_themas (project_id, thema_id) VALUES (?, ?)",
        [(project_id, thema_id) for thema_id in dict.fromkeys(thema_ids)],
    )


def save_project(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    values: dict,
    thema_ids: list[int],
    project_id: int | None = None,
    phase: str = "idee",
    phase_note: str = "",
    started_on: date | None = None,
    partner_links: dict[int, str] | None = None,
) -> str:
    """Create or change a project; returns its slug. `partner_links` ({partner id: role})
    replaces its partners; None keeps them."""
    data = {key: values[key] for key in PROJECT_FIELDS}
    # Callers from before the free text (sample data, ideas that become projects) leave it out.
    other = values.get("budget_source_other") or ""
    data["budget_source_other"] = other if data["budget_source"] == "anders" else ""
    data["needs"] = json.dumps(list(data["needs"] or []))
    data["trekker_consent"] = int(bool(data["trekker_consent"]))
    stamp = now()
    if project_id is None:
        slug = unique_slug(conn, "projects", data["title"], "project")
        project_id = insert(
            conn,
            "projects",
            {**data, "slug": slug, "phase": phase, "created_at": stamp, "updated_at": stamp},
        )
        conn.execute(
            """INSERT INTO phase_changes (project_id, from_phase, to_phase, note, changed_on,
               changed_at, changed_by) VALUES (?, NULL, ?, ?, ?, ?, ?)""",
            (
                project_id,
                phase,
                phase_note,
                (started_on or date.today()).isoformat(),
                stamp,
                who_name(who),
            ),
        )
        verb = "Create"
    else:
        update(conn, "projects", project_id, {**data, "updated_at": stamp})
        verb = "Update"
    _set_themas(conn, project_id, thema_ids)
    if partner_links is not None:
        partners.set_links(conn, "project", project_id, partner_links)
    _after_change(conn, settings, who, verb, project_id)
    return conn.execute("SELECT slug FROM projects WHERE id = ?", (project_id,)).fetchone()[0]


def change_phase(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    project_id: int,
    to_phase: str,
    note: str,
    changed_on: date | None = None,
    meeting_id: int | None = None,
) -> None:
    """Move a project to another phase, kept in its history with date, note and who.

    `meeting_id` names the bijeenkomst where the move was decided; the history links to it.
    """
    row = conn.execute("SELECT phase FROM projects WHERE id = ?", (project_id,)).fetchone()
    if to_phase not in PHASES:
        raise PhaseError(_("Kies een fase uit de lijst."))
    if row["phase"] == to_phase:
        raise PhaseError(_("Het project is al in de fase %s.") % label(PHASES, to_phase))
    if to_phase in PHASES_NEEDING_REASON and not note.strip():
        raise PhaseError(_("Schrijf op waarom het project gepauzeerd of gestopt wordt."))
    changed_on = changed_on or date.today()
    stamp = now()
    conn.execute(
        """INSERT INTO phase_changes (project_id, from_phase, to_phase, note, changed_on,
           changed_at, changed_by, meeting_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            project_id,
            row["phase"],
            to_phase,
            note.strip(),
            changed_on.isoformat(),
            stamp,
            who_name(who),
            meeting_id,
        ),
    )
    conn.execute(
        "UPDATE projects SET phase = ?, updated_at = ? WHERE id = ?", (to_phase, stamp, project_id)
    )
    _after_change(conn, settings, who, "Update", project_id)


def add_update(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    project_id: int,
    title: str,
    body: str,
    published_on: date | None = None,
) -> int:
    update_id = insert(
        conn,
        "project_updates",
        {
            "project_id": project_id,
            "title": title,
            "body": body,
            "published_on": (published_on or date.today()).isoformat(),
            "created_at": now(),
            "created_by": who_name(who),
        },
    )
    conn.execute("UPDATE projects SET updated_at = ? WHERE id = ?", (now(), project_id))
    _after_change(conn, settings, who, "Update", project_id)
    return update_id


def remove_update(
    conn: sqlite3.Connection, settings: Settings, who: User | str, project_id: int, update_id: int
) -> None:
    conn.execute(
        "DELETE FROM project_updates WHERE id = ? AND project_id = ?", (update_id, project_id)
    )
    _after_change(conn, settings, who, "Update", project_id)


def set_photo(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    project_id: int,
    filename: str | None,
    alt: str,
) -> None:
    conn.execute(
        "UPDATE projects SET photo = ?, photo_alt = ?, updated_at = ? WHERE id = ?",
        (filename, alt, now(), project_id),
    )
    _after_change(conn, settings, who, "Update", project_id)


def erase_trekker(
    conn: sqlite3.Connection, settings: Settings, who: User | str, project_id: int
) -> None:
    """Forget the trekker's name (a person asked to be erased): on the site, in the
    published history (the Update it publishes), and in the recorded snapshots."""
    row = conn.execute(
        "SELECT slug, removed_at FROM projects WHERE id = ?", (project_id,)
    ).fetchone()
    conn.execute(
        "UPDATE projects SET trekker_name = '', trekker_consent = 0 WHERE id = ?", (project_id,)
    )
    conn.execute(
        """UPDATE events SET snapshot = json_remove(snapshot, '$.trekker')
           WHERE object_type = 'Project' AND object_id = ?""",
        (settings.url(project_path(row["slug"])),),
    )
    if row["removed_at"] is None:
        # A removed project's history is a Tombstone already; an Update would bring it back.
        _after_change(conn, settings, who, "Update", project_id)


def remove_project(
    conn: sqlite3.Connection, settings: Settings, who: User | str, project_id: int
) -> str | None:
    """Take a project away; returns the name of its photo file, which the caller deletes
    once this is committed (the photo must not stay online with the project gone)."""
    row = conn.execute(
        "SELECT slug, title, photo FROM projects WHERE id = ?", (project_id,)
    ).fetchone()
    conn.execute(
        "UPDATE projects SET removed_at = ?, photo = NULL, photo_alt = '' WHERE id = ?",
        (now(), project_id),
    )
    url = settings.url(project_path(row["slug"]))
    record_change(conn, who, "Delete", "Project", url, {"id": url}, row["title"])
    search.remove(conn, "project", row["slug"])
    return row["photo"]


# --- What residents do without an account ---------------------------------------------------


def add_support(conn: sqlite3.Connection, project_id: int, supporter: str) -> bool:
    """Count one supporter once; True when this was new. `supporter` is a keyed hash."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO supports (project_id, supporter, created_at) VALUES (?, ?, ?)",
        (project_id, supporter, now()),
    )
    return cursor.rowcount == 1


def add_volunteer(
    conn: sqlite3.Connection, project_id: int, name: str, contact: str, message: str
) -> int:
    stamp = now()
    volunteer_id = insert(
        conn,
        "volunteers",
        {
            "project_id": project_id,
            "name": name,
            "contact": contact,
            "message": message,
            "consent_at": stamp,
            "created_at": stamp,
        },
    )
    happenings.record(conn, happenings.VOLUNTEER_NEW, project_id=project_id)
    return volunteer_id


def volunteers_of(db: Database, project_id: int) -> list[sqlite3.Row]:
    return db.execute(
        "SELECT * FROM volunteers WHERE project_id = ? ORDER BY created_at DESC", (project_id,)
    )


def counts_by_phase(db: Database) -> dict[str, int]:
    rows = db.execute(
        "SELECT phase, count(*) AS n FROM projects WHERE removed_at IS NULL GROUP BY phase"
    )
    return {row["phase"]: row["n"] for row in rows}
