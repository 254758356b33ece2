"""The read model: the copy of each kern object, and the projections the pages query.

Everything here runs inside the caller's transaction (ingest's), so an object and its
projections change together or not at all. What a kern sends is untrusted input: every value
is checked for its type and cut to size here, links must stay on the kern's origin, and HTML
is reduced to plain text; pages never show a kern's HTML.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation.store import row, timestamp
from federation.vocabulary import address_text, id_of, types_of
from node.gemeente.categories import categorize
from node.search import terms

# The Bloei object types the aggregator keeps; other types are ignored. A kern's `Reactie` is
# its answer to one of the gemeente's own reacties (ingest checks that it is one).
KEPT_TYPES = (
    "Project",
    "Thema",
    "AgendaVersie",
    "Bijeenkomst",
    "Idee",
    "Bericht",
    "Reactie",
    "Partner",
)
# What a partner does on a thema or project; anything else a kern sends is not kept.
PARTNER_ROLES = ("aan_zet", "helpt")
MAX_NAME = 300
MAX_SUMMARY = 1000
MAX_TEXT = 20_000
MAX_LINKS = 50
MAX_HISTORY = 200
# A thousand million euro: more than any project of a kern, less than what sums could overflow.
MAX_CENTS = 100_000_000_000
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TAG_RE = re.compile(r"<[^>]*>")


def bloei_type(obj: Any) -> str | None:
    """The Bloei type of an object (Project, Thema, ...), or None for anything else."""
    for kind in types_of(obj):
        if kind in KEPT_TYPES:
            return kind
    return None


def touch(conn: sqlite3.Connection) -> None:
    """Bump the data version: the pages (and their cache) show the change at once."""
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")


# --- untrusted values --------------------------------------------------------------------------


def text(value: Any, limit: int = MAX_NAME) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def plain(value: Any, limit: int = MAX_TEXT) -> str:
    """The words of a kern's HTML, without tags or entities."""
    if not isinstance(value, str):
        return ""
    return " ".join(html.unescape(_TAG_RE.sub(" ", value)).split())[:limit]


def whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if -(2**62) < value < 2**62 else None


def amount(value: Any) -> int | None:
    """Euro cents as a kern sends them: a whole number, never below zero."""
    cents = whole(value)
    return cents if cents is not None and 0 <= cents <= MAX_CENTS else None


def date(value: Any) -> str | None:
    return value if isinstance(value, str) and _DATE_RE.match(value) else None


def moment(value: Any) -> str | None:
    """A time as stored (fixed-width UTC text), or None when it is not a zoned date-time."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return timestamp(parsed) if parsed.tzinfo is not None else None


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def link(value: Any, object_id: str) -> str:
    """A page to link to: the object's own `url` when it is on the object's origin."""
    if isinstance(value, list):
        value = next((item for item in value if id_of(item)), None)
    found = id_of(value)
    if found and found.startswith(("https://", "http://")) and origin(found) == origin(object_id):
        return found[:1000]
    return object_id


def own_links(value: Any, object_id: str) -> list[str]:
    """The links in a list that stay on the object's origin (thema's of a project, say)."""
    if not isinstance(value, list):
        return []
    found = []
    for item in value[:MAX_LINKS]:
        target = id_of(item)
        if target and origin(target) == origin(object_id) and target not in found:
            found.append(target[:1000])
    return found


# --- the copy ----------------------------------------------------------------------------------


def current(conn: sqlite3.Connection, object_id: str) -> sqlite3.Row | None:
    return row(
        conn,
        "SELECT kern_id, type, changed_at, deleted FROM gemeente_objects WHERE object_id = ?",
        (object_id,),
    )


def save(
    conn: sqlite3.Connection,
    kern_id: int,
    kind: str,
    obj: dict[str, Any],
    changed_at: str,
    now: datetime,
    *,
    project: bool = True,
) -> None:
    """Store the object as the kern now describes it, and its projection."""
    object_id = obj["id"]
    conn.execute(
        """INSERT INTO gemeente_objects
               (object_id, kern_id, type, name, url, document, changed_at, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (object_id) DO UPDATE SET type = excluded.type, name = excluded.name,
               url = excluded.url, document = excluded.document,
               changed_at = excluded.changed_at, received_at = excluded.received_at,
               deleted = 0, deleted_at = NULL""",
        (
            object_id,
            kern_id,
            kind,
            text(obj.get("name")) or text(obj.get("summary")),
            link(obj.get("url"), object_id),
            json.dumps(obj, ensure_ascii=False, separators=(",", ":")),
            changed_at,
            timestamp(now),
        ),
    )
    projector = PROJECTORS.get(kind) if project else None
    if projector is not None:
        projector(conn, kern_id, obj, changed_at)


def delete(conn: sqlite3.Connection, object_id: str, changed_at: str, now: datetime) -> None:
    """Replace the copy by its tombstone and drop its projections.

    The kern removed it, so nothing of what it said stays here (the kern asks every follower
    to honour its Delete); the name stays for the list of changes staff see.
    """
    tombstone = json.dumps({"id": object_id, "type": "Tombstone"}, separators=(",", ":"))
    conn.execute(
        """UPDATE gemeente_objects SET deleted = 1, deleted_at = ?, changed_at = ?, document = ?
           WHERE object_id = ?""",
        (timestamp(now), changed_at, tombstone, object_id),
    )
    found = conn.execute(
        "SELECT id FROM gemeente_projects WHERE object_id = ?", (object_id,)
    ).fetchone()
    if found is not None:
        conn.execute("DELETE FROM gemeente_project_search WHERE rowid = ?", (found[0],))
        conn.execute("DELETE FROM gemeente_projects WHERE id = ?", (found[0],))
    conn.execute("DELETE FROM gemeente_themas WHERE object_id = ?", (object_id,))
    conn.execute("DELETE FROM gemeente_meetings WHERE object_id = ?", (object_id,))
    conn.execute("DELETE FROM gemeente_kern_answers WHERE object_id = ?", (object_id,))
    conn.execute("DELETE FROM gemeente_partners WHERE object_id = ?", (object_id,))
    conn.execute("DELETE FROM gemeente_partner_links WHERE object_id = ?", (object_id,))


# --- projections, one per type -----------------------------------------------------------------


def _project(conn: sqlite3.Connection, kern_id: int, obj: dict[str, Any], changed_at: str) -> None:
    object_id = obj["id"]
    needs = [n for n in obj.get("behoeften") or [] if isinstance(n, str)][:20]
    budget = obj.get("budget") if isinstance(obj.get("budget"), dict) else {}
    history = _history(obj.get("faseGeschiedenis"))
    fase = text(obj.get("fase"), 40)
    name = text(obj.get("name")) or object_id
    summary = text(obj.get("summary"), MAX_SUMMARY)
    values = {
        "object_id": object_id,
        "kern_id": kern_id,
        "name": name,
        "summary": summary,
        "url": link(obj.get("url"), object_id),
        "fase": fase,
        "fase_since": history[-1]["datum"] if history else None,
        "ladder": text(obj.get("participatieladder"), 40),
        "behoeften": json.dumps(needs),
        "needs_gemeente": int("besluit_gemeente" in needs),
        "trekker": text(obj.get("trekker"), 200),
        "startdatum": date(obj.get("startdatum")),
        "streefdatum": date(obj.get("streefdatum")),
        "supporters": whole(obj.get("aantalSteunbetuigingen")) or 0,
        "requested": amount(budget.get("aangevraagd")),
        "granted": amount(budget.get("toegekend")),
        "budget_source": text(budget.get("bron"), 40),
        "budget_source_other": text(budget.get("bronAnders"), 100)
        if budget.get("bron") == "anders"
        else "",
        "published_at": moment(obj.get("published")) or changed_at,
        "updated_at": moment(obj.get("updated")) or changed_at,
        "needs_since": changed_at if "besluit_gemeente" in needs else None,
    }
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    # published_at keeps its first value: an Update says when it changed, not when it began.
    updates = ", ".join(
        f"{column} = excluded.{column}"
        for column in values
        if column not in ("object_id", "published_at", "needs_since")
    )
    # needs_since keeps the first moment the project asked for the gemeente, while it asks.
    updates += (
        ", needs_since = CASE WHEN excluded.needs_gemeente = 1"
        " THEN coalesce(gemeente_projects.needs_since, excluded.needs_since) END"
    )
    project_id = conn.execute(
        f"""INSERT INTO gemeente_projects ({columns}) VALUES ({marks})
            ON CONFLICT (object_id) DO UPDATE SET {updates} RETURNING id""",
        list(values.values()),
    ).fetchone()[0]
    conn.execute("DELETE FROM gemeente_project_themas WHERE project_id = ?", (project_id,))
    conn.executemany(
        "INSERT INTO gemeente_project_themas (project_id, thema_object_id) VALUES (?, ?)",
        [(project_id, thema) for thema in own_links(obj.get("themas"), object_id)],
    )
    conn.execute("DELETE FROM gemeente_phase_changes WHERE project_id = ?", (project_id,))
    conn.executemany(
        """INSERT INTO gemeente_phase_changes (project_id, seq, van, naar, datum)
           VALUES (?, ?, ?, ?, ?)""",
        [(project_id, i, h["van"], h["naar"], h["datum"]) for i, h in enumerate(history)],
    )
    _partner_links(conn, kern_id, obj)
    words = " ".join([name, summary, plain(obj.get("content")), values["trekker"]])
    conn.execute("DELETE FROM gemeente_project_search WHERE rowid = ?", (project_id,))
    conn.execute(
        "INSERT INTO gemeente_project_search (rowid, terms) VALUES (?, ?)",
        (project_id, terms(words)),
    )


def _history(value: Any) -> list[dict[str, str]]:
    """Phase changes with a phase and a date, oldest first as the kern sent them."""
    history = []
    for change in value if isinstance(value, list) else []:
        if not isinstance(change, dict):
            continue
        naar, datum = text(change.get("naar"), 40), date(change.get("datum"))
        if naar and datum:
            history.append({"van": text(change.get("van"), 40), "naar": naar, "datum": datum})
        if len(history) >= MAX_HISTORY:
            break
    return history


def _thema(conn: sqlite3.Connection, kern_id: int, obj: dict[str, Any], changed_at: str) -> None:
    object_id = obj["id"]
    name = text(obj.get("name")) or object_id
    thema_id = conn.execute(
        """INSERT INTO gemeente_themas
               (object_id, kern_id, name, url, prioriteit, status, wie, wie_toelichting,
                updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (object_id) DO UPDATE SET name = excluded.name, url = excluded.url,
               prioriteit = excluded.prioriteit, status = excluded.status, wie = excluded.wie,
               wie_toelichting = excluded.wie_toelichting, updated_at = excluded.updated_at
           RETURNING id""",
        (
            object_id,
            kern_id,
            name,
            link(obj.get("url"), object_id),
            text(obj.get("prioriteit"), 40),
            text(obj.get("themaStatus"), 40),
            text(obj.get("wieIsAanZet"), 40),
            text(obj.get("wieIsAanZetToelichting"), 200),
            moment(obj.get("updated")) or changed_at,
        ),
    ).fetchone()[0]
    _partner_links(conn, kern_id, obj)
    conn.execute("DELETE FROM gemeente_thema_categories WHERE thema_id = ?", (thema_id,))
    conn.executemany(
        "INSERT INTO gemeente_thema_categories (thema_id, category) VALUES (?, ?)",
        [(thema_id, key) for key in categorize(name, plain(obj.get("content"), 2000))],
    )


def _meeting(conn: sqlite3.Connection, kern_id: int, obj: dict[str, Any], changed_at: str) -> None:
    object_id = obj["id"]
    starts = moment(obj.get("startTime"))
    if starts is None:
        # A meeting without a time cannot be on a calendar; the copy above still keeps it.
        conn.execute("DELETE FROM gemeente_meetings WHERE object_id = ?", (object_id,))
        return
    place = obj.get("location") if isinstance(obj.get("location"), dict) else {}
    cancelled = obj.get("geannuleerd") is True
    conn.execute(
        """INSERT INTO gemeente_meetings
               (object_id, kern_id, name, summary, url, starts_at, ends_at, location, address,
                cancelled, cancel_reason, has_verslag, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (object_id) DO UPDATE SET name = excluded.name,
               summary = excluded.summary, url = excluded.url, starts_at = excluded.starts_at,
               ends_at = excluded.ends_at, location = excluded.location,
               address = excluded.address, cancelled = excluded.cancelled,
               cancel_reason = excluded.cancel_reason, has_verslag = excluded.has_verslag,
               updated_at = excluded.updated_at""",
        (
            object_id,
            kern_id,
            text(obj.get("name")) or object_id,
            text(obj.get("summary"), MAX_SUMMARY),
            link(obj.get("url"), object_id),
            starts,
            moment(obj.get("endTime")),
            text(place.get("name")),
            text(address_text(place.get("address"))),
            int(cancelled),
            text(obj.get("annuleringsreden"), MAX_SUMMARY) if cancelled else "",
            int(bool(plain(obj.get("verslag"), 10))),
            moment(obj.get("updated")) or changed_at,
        ),
    )


def answered_reactie(conn: sqlite3.Connection, kern_id: int, obj: Any) -> sqlite3.Row | None:
    """The gemeente's own reactie to this kern that a kern's `Reactie` answers, if it is one."""
    target = id_of(obj.get("inReplyTo")) if isinstance(obj, dict) else None
    if target is None:
        return None
    return row(
        conn,
        """SELECT object_id, in_reply_to FROM gemeente_reacties
           WHERE object_id = ? AND kind = 'Reactie' AND kern_id = ?""",
        (target, kern_id),
    )


def _kern_answer(
    conn: sqlite3.Connection, kern_id: int, obj: dict[str, Any], changed_at: str
) -> None:
    reactie = answered_reactie(conn, kern_id, obj)
    if reactie is None:
        return  # ingest refuses those; a copy saved without projection stays unprojected
    conn.execute(
        """INSERT INTO gemeente_kern_answers
               (object_id, kern_id, reactie_id, about, content, closes, published, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?,
                   (SELECT received_at FROM gemeente_objects WHERE object_id = ?))
           ON CONFLICT (object_id) DO UPDATE SET content = excluded.content,
               closes = excluded.closes""",
        (
            obj["id"],
            kern_id,
            reactie["object_id"],
            reactie["in_reply_to"],
            plain(obj.get("content"), 5000),
            int(obj.get("afgerond") is True),
            moment(obj.get("published")) or changed_at,
            obj["id"],  # received_at: when the gemeente got it (save stored the copy just now)
        ),
    )


def _partner_links(conn: sqlite3.Connection, kern_id: int, obj: dict[str, Any]) -> None:
    """A thema's or project's partners (PartnerRol objects) as links with a known role; a
    partner must be on the object's own origin, and each is kept once."""
    object_id = obj["id"]
    conn.execute("DELETE FROM gemeente_partner_links WHERE object_id = ?", (object_id,))
    found = obj.get("partners")
    links: dict[str, str] = {}
    for item in found[:MAX_LINKS] if isinstance(found, list) else []:
        if not isinstance(item, dict) or item.get("rol") not in PARTNER_ROLES:
            continue
        [partner] = own_links([item.get("partner")], object_id) or [None]
        if partner is not None:
            links.setdefault(partner, item["rol"])
    conn.executemany(
        """INSERT INTO gemeente_partner_links (kern_id, object_id, partner_id, role)
           VALUES (?, ?, ?, ?)""",
        [(kern_id, object_id, partner, role) for partner, role in links.items()],
    )


def _partner(conn: sqlite3.Connection, kern_id: int, obj: dict[str, Any], changed_at: str) -> None:
    object_id = obj["id"]
    website = id_of(obj.get("website"))
    if not (website and website.startswith(("https://", "http://"))):
        website = ""  # a link elsewhere is shown only when it is a web address
    conn.execute(
        """INSERT INTO gemeente_partners
               (object_id, kern_id, name, url, kind, summary, website, contact, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (object_id) DO UPDATE SET name = excluded.name, url = excluded.url,
               kind = excluded.kind, summary = excluded.summary, website = excluded.website,
               contact = excluded.contact, updated_at = excluded.updated_at""",
        (
            object_id,
            kern_id,
            text(obj.get("name")) or object_id,
            link(obj.get("url"), object_id),
            text(obj.get("partnerSoort"), 40),
            text(obj.get("summary"), MAX_SUMMARY),
            website[:1000],
            text(obj.get("contact"), 200),
            moment(obj.get("updated")) or changed_at,
        ),
    )


PROJECTORS = {
    "Project": _project,
    "Thema": _thema,
    "Bijeenkomst": _meeting,
    "Reactie": _kern_answer,
    "Partner": _partner,
}
