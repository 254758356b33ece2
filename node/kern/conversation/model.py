"""What the gemeente said to this kern: reacties on its projects and thema's, and gemeenteberichten.

They arrive through the inbox (node/kern/federation/received.py keeps them in `received_objects`, only
from the kern's own gemeente, `gemeente_actor`). This module decides which of them may be kept
(a reactie must answer one of this kern's own projects or thema's) and reads them back for the
public site, with their content sanitised: it is HTML written elsewhere, so it never reaches a
page as it came in.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

import nh3
from markupsafe import Markup

from federation.rebase import Rebase
from federation.store import timestamp
from federation.vocabulary import id_of
from node.db import Database
from node.kern.federation.identity import ACTOR_PATH
from node.kern.moving.rehome import former_actors, former_ids
from node.settings import Settings
from node.web.i18n import _
from node.web.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

REACTIE = "Reactie"
GEMEENTEBERICHT = "Gemeentebericht"
KINDS = frozenset({REACTIE, GEMEENTEBERICHT})
MAX_BERICHTEN = 50

# The addresses of what a reactie may answer, as the kern's own objects name them
# (projects.project_public, agenda.thema_public): (path prefix, type, the query for its title).
_ANSWERABLE = (
    ("/projecten/", "Project", "SELECT title FROM projects WHERE slug = ? AND removed_at IS NULL"),
    ("/agenda/themas/", "Thema", "SELECT title FROM themas WHERE slug = ? AND removed_at IS NULL"),
)


def kinds_of(obj: Any) -> set[str]:
    """The gemeente-only types an object carries (none for any other object)."""
    found = obj.get("type") if isinstance(obj, dict) else None
    names = [found] if isinstance(found, str) else found if isinstance(found, list) else []
    return KINDS.intersection(n for n in names if isinstance(n, str))


def answers_own_object(conn: sqlite3.Connection, settings: Settings, obj: dict[str, Any]) -> bool:
    """Whether a reactie's `inReplyTo` is one of this kern's own projects or thema's."""
    return own_object(conn, settings, id_of(obj.get("inReplyTo"))) is not None


def own_object(conn: sqlite3.Connection, settings: Settings, url: Any) -> dict[str, str] | None:
    """The kern's own project or thema at `url` (not removed): its type, title and path. A
    reactie from before a move (node/kern/moving/rehome.py) names the object's former address."""
    if isinstance(url, str):
        url = current_id(conn, settings, url)
    prefix = settings.url("/")
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    path = "/" + url[len(prefix) :]
    for base, kind, sql in _ANSWERABLE:
        slug = path.removeprefix(base)
        if path.startswith(base) and slug and "/" not in slug:
            found = conn.execute(sql, (slug,)).fetchone()
            return {"type": kind, "title": found[0], "path": path} if found else None
    return None


def current_id(conn: sqlite3.Connection, settings: Settings, object_id: str) -> str:
    """The id under this kern's address of an object id at one of its former addresses."""
    actor_id = settings.url(ACTOR_PATH)
    for former in former_actors(conn):
        forward = Rebase.between_actors(former, actor_id, ACTOR_PATH)
        if forward is not None and forward.covers(object_id):
            return forward.id(object_id)
    return object_id


def touch(conn: sqlite3.Connection) -> None:
    """Bump the data version inside the inbox's transaction, as Database.write would.

    The inbox writes through QuietStore (bookkeeping must keep the page cache), but a stored
    reactie or gemeentebericht is shown on cached pages and must appear at once.
    """
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")


# --- reading -----------------------------------------------------------------------------------


def sanitise(html: Any) -> Markup:
    """The gemeente's HTML reduced to the small set the kern's own Markdown may produce."""
    clean = nh3.clean(
        html if isinstance(html, str) else "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def sender_name(db: Database, settings: Settings) -> str:
    """The gemeente actor's name as its document said when fetched, else 'de gemeente'."""
    found = db.scalar(
        "SELECT json_extract(document, '$.name') FROM federation_remote_actors WHERE actor_id = ?",
        (settings.gemeente_actor,),
    )
    return found.strip() if isinstance(found, str) and found.strip() else _("de gemeente")


def reacties_for(db: Database, settings: Settings, object_id: str) -> list[dict[str, Any]]:
    """The gemeente's reacties on one project or thema, oldest first: the trail. Reacties
    from before a move (node/kern/moving/rehome.py) answer the object's id at the former address."""
    if not settings.gemeente_actor:
        return []
    ids = [object_id, *former_ids(db.read(), settings.url(ACTOR_PATH), ACTOR_PATH, object_id)]
    marks = ",".join("?" * len(ids))
    found = db.execute(
        f"""SELECT document, received_at FROM received_objects
            WHERE type = ? AND deleted = 0 AND actor_id = ?
              AND json_extract(document, '$.inReplyTo') IN ({marks})""",
        (REACTIE, settings.gemeente_actor, *ids),
    )
    items = [_message(r, sender_name(db, settings)) for r in found]
    return sorted(items, key=lambda item: item["published"])


def berichten(db: Database, settings: Settings, limit: int = MAX_BERICHTEN) -> list[dict[str, Any]]:
    """The gemeenteberichten this kern received, newest first."""
    if not settings.gemeente_actor:
        return []
    found = db.execute(
        """SELECT document, received_at FROM received_objects
           WHERE type = ? AND deleted = 0 AND actor_id = ?""",
        (GEMEENTEBERICHT, settings.gemeente_actor),
    )
    sender = sender_name(db, settings)
    items = sorted((_message(r, sender) for r in found), key=lambda i: i["published"])
    return items[::-1][:limit]


def latest_bericht(db: Database, settings: Settings) -> dict[str, Any] | None:
    found = berichten(db, settings, limit=1)
    return found[0] if found else None


def _message(row: sqlite3.Row, sender: str) -> dict[str, Any]:
    doc = json.loads(row["document"])
    name = doc.get("name")
    return {
        "id": doc.get("id"),
        "name": name.strip() if isinstance(name, str) else "",
        "content": sanitise(doc.get("content")),
        "published": published_at(doc.get("published"), row["received_at"]),
        "sender": sender,
    }


def published_at(value: Any, fallback: str) -> str:
    """The sender's own date when it is a valid timestamp (the trail says when it was said),
    else when the kern received it."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        if moment.tzinfo is not None:
            return timestamp(moment)  # the same form as received_at, so both sort together
    return fallback
