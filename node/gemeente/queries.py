"""Reading the read model: what the overview, the projects, the thema's, the calendar and
the API show. Only reads; every function takes a connection and plain values.

Queries are written for 26 kernen with thousands of projects each answering in a few
milliseconds: filters are indexed columns or EXISTS over small join tables, and only the
shown page of projects gets its thema names.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from federation.store import parse_timestamp, rows, timestamp
from node.gemeente.categories import category_label
from node.search import fts_query
from node.vocabulary import ACTIVE_PHASES, PHASES

PAGE_SIZE = 50
SORTS = ("gewijzigd", "stilst", "naam", "kern", "fase")
_PHASE_ORDER = (
    "CASE p.fase "
    + " ".join(f"WHEN '{key}' THEN {i}" for i, key in enumerate(PHASES))
    + f" ELSE {len(PHASES)} END"
)
ORDER_BY = {
    "gewijzigd": "p.updated_at DESC, p.id DESC",
    "stilst": "p.updated_at ASC, p.id ASC",
    "naam": "p.name COLLATE NOCASE, p.id",
    "kern": "k.name COLLATE NOCASE, p.name COLLATE NOCASE, p.id",
    "fase": f"{_PHASE_ORDER}, p.name COLLATE NOCASE, p.id",
}


# --- the overview ------------------------------------------------------------------------------


def _of_kernen(column: str, kern_ids: Sequence[int] | None) -> tuple[str, list[int]]:
    """A condition on `column` for these kernen only (None: every kern)."""
    if kern_ids is None:
        return "1", []
    return f"{column} IN ({', '.join('?' for _ in kern_ids)})", list(kern_ids)


def phase_counts(
    conn: sqlite3.Connection, kern_ids: Sequence[int] | None = None
) -> dict[int, dict[str, int]]:
    """kern id -> phase -> number of projects, for `kern_ids` or every kern."""
    condition, params = _of_kernen("kern_id", kern_ids)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for kern_id, fase, count in conn.execute(
        f"SELECT kern_id, fase, count(*) FROM gemeente_projects WHERE {condition} "
        "GROUP BY kern_id, fase",
        params,
    ):
        counts[kern_id][fase] = count
    return counts


def next_meetings(
    conn: sqlite3.Connection,
    now: datetime,
    per_kern: int = 2,
    kern_ids: Sequence[int] | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """kern id -> its next meetings that are not cancelled, for `kern_ids` or every kern.

    Per kern a short range of gemeente_meetings_next (kern, not cancelled, from now on),
    rather than numbering every coming meeting of every kern."""
    condition, params = _of_kernen("k.id", kern_ids)
    found = rows(
        conn,
        f"""SELECT m.* FROM gemeente_kernen k
            JOIN gemeente_meetings m ON m.id IN (
                SELECT n.id FROM gemeente_meetings n
                WHERE n.kern_id = k.id AND n.cancelled = 0 AND n.starts_at >= ?
                ORDER BY n.starts_at, n.id LIMIT ?)
            WHERE {condition}
            ORDER BY m.starts_at, m.id""",
        [timestamp(now), per_kern, *params],
    )
    meetings: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for meeting in found:
        meetings[meeting["kern_id"]].append(dict(meeting))
    return meetings


def recent_changes(
    conn: sqlite3.Connection, limit: int = 15, kern_id: int | None = None
) -> list[dict[str, Any]]:
    """The newest applied changes of objects, with the kern's name and the source's link."""
    where, params = ("AND a.kern_id = ?", [kern_id]) if kern_id is not None else ("", [])
    found = rows(
        conn,
        f"""SELECT a.type, a.object_id, a.object_type, a.name, a.published, a.kern_id,
                   k.name AS kern_name, o.url, o.deleted, o.name AS current_name
            FROM gemeente_activities a
            JOIN gemeente_kernen k ON k.id = a.kern_id
            LEFT JOIN gemeente_objects o ON o.object_id = a.object_id
            WHERE a.outcome = 'applied' AND a.object_type != '' {where}
            ORDER BY a.published DESC, a.id DESC LIMIT ?""",
        [*params, limit],
    )
    return [dict(r) for r in found]


def with_phases_and_meetings(
    conn: sqlite3.Connection, some: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """These kernen (one page of the overview) with their projects per phase and their next
    meetings; the queries read only these kernen, however many the gemeente follows."""
    ids = [kern["id"] for kern in some]
    counts = phase_counts(conn, ids)
    meetings = next_meetings(conn, now, kern_ids=ids)
    for kern in some:
        per_phase = counts.get(kern["id"], {})
        kern["phases"] = per_phase
        kern["active"] = sum(per_phase.get(phase, 0) for phase in ACTIVE_PHASES)
        kern["meetings"] = meetings.get(kern["id"], [])
    return some


# --- projects ----------------------------------------------------------------------------------


@dataclass
class ProjectFilter:
    """What staff filter the projects on; None or empty means no filter."""

    q: str = ""
    kern: int | None = None
    thema: str = ""  # a broad thema (categories.CATEGORIES) or "overig"
    fase: str = ""  # a phase, or "actief" for all active phases
    wie: str = ""
    gemeente: bool = False  # needs a decision of the gemeente
    stil: int | None = None  # no change for more than this many months
    sort: str = "gewijzigd"
    page: int = 1
    size: int = PAGE_SIZE
    errors: list[str] = field(default_factory=list)


def _project_where(conn: sqlite3.Connection, f: ProjectFilter, now: datetime):
    clauses: list[str] = []
    params: list[Any] = []
    if f.q:
        expression = fts_query(f.q)
        if expression is not None:
            clauses.append(
                "p.id IN (SELECT rowid FROM gemeente_project_search "
                "WHERE gemeente_project_search MATCH ?)"
            )
            params.append(expression)
    if f.kern is not None:
        clauses.append("p.kern_id = ?")
        params.append(f.kern)
    # With a thema filter, its few projects are the place to start; SQLite (without
    # statistics) would walk the phase index instead, two thirds of every project for
    # "actief": the unary + keeps it off that index (17 ms to 7 at 2,600 kernen).
    fase = "+p.fase" if f.thema or f.wie else "p.fase"
    if f.fase == "actief":
        clauses.append(f"{fase} IN ({', '.join('?' for _ in ACTIVE_PHASES)})")
        params.extend(ACTIVE_PHASES)
    elif f.fase:
        clauses.append(f"{fase} = ?")
        params.append(f.fase)
    if f.gemeente:
        clauses.append("p.needs_gemeente = 1")
    if f.stil:
        clauses.append("p.updated_at < ?")
        params.append(timestamp(now - relativedelta(months=f.stil)))
    # Thema filters start from the few matching thema's, not from every project.
    if f.thema:
        clauses.append(
            """p.id IN (SELECT pt.project_id FROM gemeente_thema_categories c
                        JOIN gemeente_themas t ON t.id = c.thema_id
                        JOIN gemeente_project_themas pt ON pt.thema_object_id = t.object_id
                        WHERE c.category = ?)"""
        )
        params.append(f.thema)
    if f.wie:
        clauses.append(
            """p.id IN (SELECT pt.project_id FROM gemeente_themas t
                        JOIN gemeente_project_themas pt ON pt.thema_object_id = t.object_id
                        WHERE t.wie = ?)"""
        )
        params.append(f.wie)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def projects(
    conn: sqlite3.Connection, f: ProjectFilter, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    """One page of projects across kernen, and how many match in all."""
    where, params = _project_where(conn, f, now)
    base = "FROM gemeente_projects p JOIN gemeente_kernen k ON k.id = p.kern_id" + where
    # Counted without the kern: every project has one (its row goes with the kern's), and
    # without the join the count reads an index only (the "stil" filter over 50,880
    # projects: 1.6 ms instead of 29).
    total = conn.execute(f"SELECT count(*) FROM gemeente_projects p{where}", params).fetchone()[0]
    found = rows(
        conn,
        f"""SELECT p.*, k.name AS kern_name, k.id AS kern_id {base}
            ORDER BY {ORDER_BY.get(f.sort, ORDER_BY["gewijzigd"])} LIMIT ? OFFSET ?""",
        [*params, f.size, (f.page - 1) * f.size],
    )
    shown = [dict(r) for r in found]
    themas = thema_names(conn, [p["id"] for p in shown])
    partners = partner_names(conn, [p["object_id"] for p in shown])
    for project in shown:
        project["themas"] = themas.get(project["id"], [])
        project["partners"] = partners.get(project["object_id"], [])
    return shown, total


def partner_names(conn: sqlite3.Connection, object_ids: list[str]) -> dict[str, list[dict]]:
    """thema or project id -> the partners it names (name, link, role), those aan zet first."""
    if not object_ids:
        return {}
    marks = ", ".join("?" for _ in object_ids)
    found = rows(
        conn,
        f"""SELECT l.object_id, l.role, p.name, p.url FROM gemeente_partner_links l
            JOIN gemeente_partners p ON p.object_id = l.partner_id
            WHERE l.object_id IN ({marks})
            ORDER BY l.role = 'helpt', p.name COLLATE NOCASE""",
        object_ids,
    )
    names: dict[str, list[dict]] = defaultdict(list)
    for r in found:
        names[r["object_id"]].append({"name": r["name"], "url": r["url"], "role": r["role"]})
    return names


def partners_across_kernen(
    conn: sqlite3.Connection, kind: str | None = None, kern_id: int | None = None
) -> list[dict]:
    """Every partner of the followed kernen (or of one), by name, each with its kern, the
    projects and the thema's that name it (and its role there)."""
    clauses, params = [], []
    if kind:
        clauses.append("p.kind = ?")
        params.append(kind)
    if kern_id is not None:
        clauses.append("p.kern_id = ?")
        params.append(kern_id)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    found = rows(
        conn,
        f"""SELECT p.*, k.name AS kern_name FROM gemeente_partners p
            JOIN gemeente_kernen k ON k.id = p.kern_id {where}
            ORDER BY p.name COLLATE NOCASE, k.name COLLATE NOCASE""",
        params,
    )
    result = [{**dict(r), "projects": [], "themas": []} for r in found]
    by_id = {partner["object_id"]: partner for partner in result}
    if not by_id:
        return result
    for table, key in (("gemeente_projects", "projects"), ("gemeente_themas", "themas")):
        linked = rows(
            conn,
            f"""SELECT l.partner_id, l.role, o.name, o.url FROM gemeente_partner_links l
                JOIN {table} o ON o.object_id = l.object_id
                ORDER BY o.name COLLATE NOCASE""",
        )
        for r in linked:
            partner = by_id.get(r["partner_id"])
            if partner is not None:
                partner[key].append({"name": r["name"], "url": r["url"], "role": r["role"]})
    return result


def thema_names(conn: sqlite3.Connection, project_ids: list[int]) -> dict[int, list[dict]]:
    """project id -> its thema's (name, link, who acts), for the shown projects only."""
    if not project_ids:
        return {}
    marks = ", ".join("?" for _ in project_ids)
    found = rows(
        conn,
        f"""SELECT pt.project_id, t.name, t.url, t.wie FROM gemeente_project_themas pt
            JOIN gemeente_themas t ON t.object_id = pt.thema_object_id
            WHERE pt.project_id IN ({marks}) ORDER BY t.name""",
        project_ids,
    )
    names: dict[int, list[dict]] = defaultdict(list)
    for r in found:
        names[r["project_id"]].append({"name": r["name"], "url": r["url"], "wie": r["wie"]})
    return names


def phase_history(conn: sqlite3.Connection, project_id: int) -> list[dict[str, Any]]:
    found = rows(
        conn,
        "SELECT van, naar, datum FROM gemeente_phase_changes WHERE project_id = ? ORDER BY seq",
        (project_id,),
    )
    return [dict(r) for r in found]


# --- thema's -----------------------------------------------------------------------------------


def themas_by_category(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Broad thema's, each with the kernen that work on it and their own thema's."""
    found = rows(
        conn,
        """SELECT c.category, t.id, t.name, t.url, t.status, t.wie, t.kern_id,
                  k.name AS kern_name,
                  (SELECT count(*) FROM gemeente_project_themas pt
                   WHERE pt.thema_object_id = t.object_id) AS projects
           FROM gemeente_thema_categories c
           JOIN gemeente_themas t ON t.id = c.thema_id
           JOIN gemeente_kernen k ON k.id = t.kern_id
           ORDER BY c.category, k.name COLLATE NOCASE, t.name COLLATE NOCASE""",
    )
    groups: dict[str, dict[str, Any]] = {}
    for r in found:
        group = groups.get(r["category"])
        if group is None:
            group = {"key": r["category"], "label": category_label(r["category"]), "kernen": {}}
            groups[r["category"]] = group
        kern = group["kernen"].setdefault(
            r["kern_id"], {"id": r["kern_id"], "name": r["kern_name"], "themas": []}
        )
        kern["themas"].append(dict(r))
    result = []
    for group in groups.values():
        group["kernen"] = list(group["kernen"].values())
        result.append(group)
    # The thema's most kernen share first: that is where cooperation is likeliest.
    result.sort(key=lambda g: (-len(g["kernen"]), g["label"]))
    return result


def themas(
    conn: sqlite3.Connection,
    kern_id: int | None = None,
    category: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of thema's with their broad category, by category, kern and name, and how
    many there are in all: with thousands of kernen the whole list is megabytes, so the
    filters work in SQL and only the page is read."""
    clauses, params = [], []
    if kern_id is not None:
        clauses.append("t.kern_id = ?")
        params.append(kern_id)
    if category is not None:
        clauses.append("c.category = ?")
        params.append(category)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    joins = """FROM gemeente_thema_categories c
               JOIN gemeente_themas t ON t.id = c.thema_id
               JOIN gemeente_kernen k ON k.id = t.kern_id"""
    total = conn.execute(f"SELECT count(*) {joins} {where}", params).fetchone()[0]
    found = rows(
        conn,
        f"""SELECT c.category, t.id, t.name, t.url, t.status, t.wie, t.kern_id,
                   k.name AS kern_name,
                   (SELECT count(*) FROM gemeente_project_themas pt
                    WHERE pt.thema_object_id = t.object_id) AS projects
            {joins} {where}
            ORDER BY c.category, k.name COLLATE NOCASE, t.name COLLATE NOCASE, t.id
            LIMIT ? OFFSET ?""",
        (*params, limit, offset),
    )
    return [dict(r) for r in found], total


def themas_of_kern(conn: sqlite3.Connection, kern_id: int) -> list[dict[str, Any]]:
    found = rows(
        conn,
        "SELECT * FROM gemeente_themas WHERE kern_id = ? ORDER BY name COLLATE NOCASE",
        (kern_id,),
    )
    return [dict(r) for r in found]


# --- meetings ----------------------------------------------------------------------------------


def meetings(
    conn: sqlite3.Connection,
    since: datetime,
    until: datetime | None = None,
    kern_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Meetings of all kernen (or one) from `since`, oldest first, cancelled ones included."""
    clauses, params = ["m.starts_at >= ?"], [timestamp(since)]
    if until is not None:
        clauses.append("m.starts_at < ?")
        params.append(timestamp(until))
    if kern_id is not None:
        clauses.append("m.kern_id = ?")
        params.append(kern_id)
    found = rows(
        conn,
        f"""SELECT m.*, k.name AS kern_name FROM gemeente_meetings m
            JOIN gemeente_kernen k ON k.id = m.kern_id
            WHERE {" AND ".join(clauses)} ORDER BY m.starts_at, m.id LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    return [dict(r) for r in found]


# How long a meeting that started stays in the subscribable calendar.
CALENDAR_PAST = timedelta(days=31)


def first_meeting_from(conn: sqlite3.Connection, since: datetime) -> str | None:
    """When the first meeting from `since` starts: the calendar changes when it grows too old."""
    return conn.execute(
        "SELECT min(starts_at) FROM gemeente_meetings WHERE starts_at >= ?", (timestamp(since),)
    ).fetchone()[0]


def meetings_changed_at(
    conn: sqlite3.Connection, since: datetime, kern_id: int | None = None
) -> datetime | None:
    """The newest change to the meetings from `since` (of one kern, or all) as the gemeente
    knows them: when it received or removed one, stopped following a kern, or the last
    meeting grew too old for the calendar. Times of receipt, not the kernen's own: a change a
    kern made long ago but that arrived just now is new to whoever reads the calendar."""
    one = kern_id is not None
    of_kern, the_kern = ("AND kern_id = ?", "AND id = ?") if one else ("", "")
    kern_params = [kern_id] if one else []
    received, removed, stopped, aged = conn.execute(
        f"""SELECT
              (SELECT max(received_at) FROM gemeente_objects
                 WHERE type = 'Bijeenkomst' {of_kern}),
              (SELECT max(deleted_at) FROM gemeente_objects
                 WHERE type = 'Bijeenkomst' {of_kern}),
              (SELECT max(stopped_at) FROM gemeente_kernen
                 WHERE stopped_at IS NOT NULL {the_kern}),
              (SELECT max(starts_at) FROM gemeente_meetings WHERE starts_at < ? {of_kern})""",
        [*kern_params, *kern_params, *kern_params, timestamp(since), *kern_params],
    ).fetchone()
    moments = [parse_timestamp(value) for value in (received, removed, stopped) if value]
    if aged:
        moments.append(parse_timestamp(aged) + CALENDAR_PAST)
    return max(moments, default=None)
