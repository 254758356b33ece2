"""Answering the kernen: a reactie on a kern's project or thema, a gemeentebericht to one kern
or to all. Each is a signed Create in the gemeente's outbox, delivered to the kern's inbox,
and kept here as the trail of what the gemeente said, when, and who wrote it.

Shapes (docs/FEDERATION.md, section 8): a `Reactie` is a `Note` with `inReplyTo` the kern's
project or thema; a `Gemeentebericht` is a `Note` with a `name`. Both are addressed `to` the
kern actor(s) and `cc` the public: they are shown on the kern's own site. The kern takes them
only from the gemeente it was configured with (its `gemeente_actor` setting).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from federation import outbox, vocabulary
from federation.identity import LocalIdentity
from federation.store import rows, timestamp
from node.gemeente import kernen
from node.settings import Settings
from node.web.audit import record_audit
from node.web.auth import User
from node.web.markdown import render_markdown

TARGET_TYPES = ("Project", "Thema")


class NotAnswerable(Exception):
    """The object is not a project or thema of a kern the gemeente follows."""


def target(conn: sqlite3.Connection, object_id: str) -> dict[str, Any]:
    """The project or thema a reactie answers, with its kern; NotAnswerable otherwise."""
    found = conn.execute(
        """SELECT o.object_id, o.type, o.name, o.url, o.kern_id FROM gemeente_objects o
           WHERE o.object_id = ? AND o.deleted = 0""",
        (object_id,),
    ).fetchone()
    if found is None or found[1] not in TARGET_TYPES:
        raise NotAnswerable(object_id)
    kern = kernen.get(conn, found[4])
    if not kernen.may_send(kern):
        raise NotAnswerable(object_id)
    return {
        "object_id": found[0],
        "type": found[1],
        "name": found[2],
        "url": found[3],
        "kern": kern,
    }


def _publish(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    obj: dict[str, Any],
    recipients: Sequence[dict[str, Any]],
    now: datetime,
) -> str:
    audience = {"to": [k["actor_id"] for k in recipients], "cc": [vocabulary.PUBLIC]}
    activity = vocabulary.create(
        identity.actor_id,
        {**obj, "attributedTo": identity.actor_id, "published": vocabulary.format_time(now)},
        activity_id=vocabulary.new_id(identity.actor_id + "/activities"),
        published=now,
        **audience,
    )
    entry = outbox.publish(
        conn, identity, activity, now, extra_inboxes=[k["inbox"] for k in recipients]
    )
    return entry.activity_id


def send_reactie(
    conn: sqlite3.Connection,
    settings: Settings,
    identity: LocalIdentity,
    answered: dict[str, Any],
    text: str,
    author: User,
    now: datetime,
    closes: bool = False,
) -> str:
    """Publish a reactie on a kern's project or thema and queue it to the kern; its id.
    A reactie that `closes` the conversation says so on the wire (`afgerond`)."""
    object_id = vocabulary.new_id(settings.url("/reacties"))
    properties = {"afgerond": True} if closes else {}
    obj = vocabulary.typed(
        "Reactie",
        id=object_id,
        url=object_id,
        content=str(render_markdown(text)),
        inReplyTo=answered["object_id"],
        **properties,
    )
    activity_id = _publish(conn, identity, obj, [answered["kern"]], now)
    _keep(
        conn,
        object_id,
        activity_id,
        "Reactie",
        answered["kern"]["id"],
        answered["object_id"],
        "",
        text,
        author,
        now,
    )
    if closes:
        conn.execute("UPDATE gemeente_reacties SET closes = 1 WHERE object_id = ?", (object_id,))
    action = "reactie.afgerond" if closes else "reactie.verstuurd"
    record_audit(conn, author, action, answered["type"], answered["object_id"], answered["name"])
    return object_id


def send_bericht(
    conn: sqlite3.Connection,
    settings: Settings,
    identity: LocalIdentity,
    recipients: Sequence[dict[str, Any]],
    title: str,
    text: str,
    author: User,
    now: datetime,
) -> str:
    """Publish a gemeentebericht to one kern or to several, queued to each; its id."""
    object_id = vocabulary.new_id(settings.url("/berichten"))
    obj = vocabulary.typed(
        "Gemeentebericht",
        id=object_id,
        url=object_id,
        name=title,
        content=str(render_markdown(text)),
    )
    activity_id = _publish(conn, identity, obj, recipients, now)
    kern_id = recipients[0]["id"] if len(recipients) == 1 else None
    _keep(conn, object_id, activity_id, "Gemeentebericht", kern_id, None, title, text, author, now)
    who = recipients[0]["name"] if kern_id else f"{len(recipients)} kernen"
    record_audit(
        conn, author, "bericht.verstuurd", "Gemeentebericht", object_id, f"{title} ({who})"
    )
    return object_id


def _keep(
    conn: sqlite3.Connection,
    object_id: str,
    activity_id: str,
    kind: str,
    kern_id: int | None,
    in_reply_to: str | None,
    name: str,
    text: str,
    author: User,
    now: datetime,
) -> None:
    conn.execute(
        """INSERT INTO gemeente_reacties
               (object_id, activity_id, kind, kern_id, in_reply_to, name, content, author,
                published)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            object_id,
            activity_id,
            kind,
            kern_id,
            in_reply_to,
            name,
            text,
            author.display_name,
            timestamp(now),
        ),
    )


# --- reading -----------------------------------------------------------------------------------

_TRAIL_SQL = """
    SELECT r.*, k.name AS kern_name, o.name AS target_name, o.url AS target_url,
           (SELECT group_concat(d.status) FROM federation_deliveries d
            WHERE d.activity_id = r.activity_id) AS deliveries
    FROM gemeente_reacties r
    LEFT JOIN gemeente_kernen k ON k.id = r.kern_id
    LEFT JOIN gemeente_objects o ON o.object_id = r.in_reply_to
"""


def trail(conn: sqlite3.Connection, in_reply_to: str) -> list[dict[str, Any]]:
    """Every reactie on one project or thema, oldest first."""
    found = rows(conn, _TRAIL_SQL + " WHERE r.in_reply_to = ? ORDER BY r.published", (in_reply_to,))
    return [_with_delivery(r) for r in found]


def recent(conn: sqlite3.Connection, limit: int = 50) -> list[dict[str, Any]]:
    found = rows(conn, _TRAIL_SQL + " ORDER BY r.published DESC, r.id DESC LIMIT ?", (limit,))
    return [_with_delivery(r) for r in found]


def _with_delivery(found: sqlite3.Row) -> dict[str, Any]:
    """'bezorgd' when every kern has it, 'mislukt' when one gave up, else 'onderweg'."""
    item = dict(found)
    states = set((item.pop("deliveries") or "").split(",")) - {""}
    if "failed" in states:
        item["delivery"] = "mislukt"
    elif states and states <= {"done"}:
        item["delivery"] = "bezorgd"
    else:
        item["delivery"] = "onderweg"
    return item
