"""The kern's side of the conversation with its gemeente: answering the gemeente's reacties.

A reactie of the gemeente (received through the inbox, node/kern/federation/received.py) is about one of
the kern's projects or thema's. The kern answers it with a `Reactie` of its own whose
`inReplyTo` is the gemeente's reactie, addressed to the gemeente (docs/FEDERATION.md, section
8). The answer is signed and put in the outbox in the same transaction as its row here, and
delivered to the gemeente only: other followers (kernen among them) take a `Reactie` from no
one but their own gemeente. The outbox is public, so a gemeente that missed the push finds the
answer when it pulls.

Who is to answer next follows one rule on both sides (node/web/thread_state.py).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from federation import outbox, vocabulary
from federation.store import rows, timestamp
from federation.vocabulary import id_of
from node.db import Database
from node.kern.conversation import model as gemeente_messages
from node.kern.federation.publishing import Publisher
from node.settings import Settings
from node.web import thread_state
from node.web.audit import record_audit
from node.web.auth import User
from node.web.markdown import render_markdown

ANSWERS_PATH = "/antwoorden"


class NotAnswerable(Exception):
    """Not a reactie of this kern's gemeente on one of its own projects or thema's (any more)."""


# --- answering ---------------------------------------------------------------------------------


def answer(
    conn: sqlite3.Connection,
    settings: Settings,
    publisher: Publisher,
    reactie_id: str,
    text: str,
    closes: bool,
    author: User,
    now: datetime,
) -> str:
    """Publish the kern's answer to one of the gemeente's reacties, queued to the gemeente,
    and keep it; in the caller's transaction. Returns the answer's id."""
    reactie = _answerable(conn, settings, reactie_id)
    about = reactie["about"]
    object_id = vocabulary.new_id(settings.url(ANSWERS_PATH))
    audience = {"to": [settings.gemeente_actor], "cc": [vocabulary.PUBLIC]}
    properties: dict[str, Any] = {
        "id": object_id,
        "url": settings.url(about["path"]),
        "content": str(render_markdown(text)),
        "inReplyTo": reactie_id,
        "attributedTo": publisher.routes.id,
        "published": vocabulary.format_time(now),
    }
    if closes:
        properties["afgerond"] = True
    activity = vocabulary.create(
        publisher.routes.id,
        vocabulary.typed("Reactie", **properties),
        activity_id=publisher.new_activity_id(),
        published=now,
        **audience,
    )
    entry = outbox.publish(
        conn,
        publisher.identity,
        activity,
        now,
        to_followers=False,
        extra_inboxes=_gemeente_inboxes(conn, settings),
    )
    conn.execute(
        """INSERT INTO gemeente_answers
               (object_id, activity_id, reactie_id, about, content, closes, author, published)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            object_id,
            entry.activity_id,
            reactie_id,
            reactie["about_id"],
            text,
            int(closes),
            author.display_name,
            timestamp(now),
        ),
    )
    action = "antwoord.afgerond" if closes else "antwoord.verstuurd"
    record_audit(conn, author, action, about["type"], reactie["about_id"], about["title"])
    publisher.queued.set()
    return object_id


def _answerable(conn: sqlite3.Connection, settings: Settings, reactie_id: str) -> dict[str, Any]:
    if not settings.gemeente_actor:
        raise NotAnswerable(reactie_id)
    found = conn.execute(
        """SELECT document FROM received_objects
           WHERE object_id = ? AND type = ? AND actor_id = ? AND deleted = 0""",
        (reactie_id, gemeente_messages.REACTIE, settings.gemeente_actor),
    ).fetchone()
    if found is None:
        raise NotAnswerable(reactie_id)
    about_id = id_of(json.loads(found[0]).get("inReplyTo"))
    if about_id is not None:  # a reactie from before a move names the former address
        about_id = gemeente_messages.current_id(conn, settings, about_id)
    about = gemeente_messages.own_object(conn, settings, about_id)
    if about is None:
        raise NotAnswerable(reactie_id)  # the project or thema was removed since
    return {"about_id": about_id, "about": about}


def _gemeente_inboxes(conn: sqlite3.Connection, settings: Settings) -> list[str]:
    """The gemeente's inbox, from its follow or the actor it signed with; none when it is not
    known yet (the answer then waits in the outbox for the gemeente's pull)."""
    found = conn.execute(
        """SELECT coalesce(f.shared_inbox, f.inbox, a.shared_inbox, a.inbox)
           FROM (SELECT ? AS actor_id) g
           LEFT JOIN federation_followers f ON f.actor_id = g.actor_id AND f.state = 'accepted'
           LEFT JOIN federation_remote_actors a ON a.actor_id = g.actor_id""",
        (settings.gemeente_actor,),
    ).fetchone()
    return [found[0]] if found and found[0] else []


# --- reading -----------------------------------------------------------------------------------


def answers_to(db: Database, reactie_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The kern's answers per reactie of the gemeente, oldest first."""
    if not reactie_ids:
        return {}
    marks = ",".join("?" * len(reactie_ids))
    found = db.execute(
        f"""SELECT * FROM gemeente_answers WHERE reactie_id IN ({marks})
            ORDER BY published, id""",
        tuple(reactie_ids),
    )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in found:
        grouped.setdefault(item["reactie_id"], []).append(dict(item))
    return grouped


def conversations(db: Database, settings: Settings) -> list[dict[str, Any]]:
    """Every project or thema the gemeente reacted on: its reacties, each with the kern's
    answers, and the state. Those waiting for the kern first, then the newest first."""
    if not settings.gemeente_actor:
        return []
    conn = db.read()
    sender = gemeente_messages.sender_name(db, settings)
    received = rows(
        conn,
        """SELECT document, received_at FROM received_objects
           WHERE type = ? AND deleted = 0 AND actor_id = ?""",
        (gemeente_messages.REACTIE, settings.gemeente_actor),
    )
    reacties = [_reactie(found, sender) for found in received]
    answers = answers_to(db, [r["id"] for r in reacties])
    threads: dict[str, dict[str, Any]] = {}
    for reactie in reacties:
        about = gemeente_messages.own_object(conn, settings, reactie["about_id"])
        if about is None:
            continue  # the project or thema is gone: nothing to answer any more
        # Reacties from before a move name the former address: one conversation all the same.
        reactie["about_id"] = gemeente_messages.current_id(conn, settings, reactie["about_id"])
        thread = threads.setdefault(
            reactie["about_id"], {"about_id": reactie["about_id"], "about": about, "reacties": []}
        )
        reactie["answers"] = answers.get(reactie["id"], [])
        thread["reacties"].append(reactie)
    for thread in threads.values():
        thread["reacties"].sort(key=lambda r: r["published"])
        thread["state"] = thread_state.state(_said(thread["reacties"]))
        thread["last"] = max(s.at for s in _said(thread["reacties"]))
    ordered = sorted(threads.values(), key=lambda t: t["last"], reverse=True)
    return sorted(ordered, key=lambda t: t["state"] != thread_state.WAITS_FOR_KERN)


def waiting_for_kern(db: Database, settings: Settings) -> list[dict[str, Any]]:
    """The conversations in which the gemeente wrote last: new reacties for the dashboard."""
    return [t for t in conversations(db, settings) if t["state"] == thread_state.WAITS_FOR_KERN]


def _reactie(found: sqlite3.Row, sender: str) -> dict[str, Any]:
    doc = json.loads(found["document"])
    return {
        "id": doc.get("id"),
        "about_id": id_of(doc.get("inReplyTo")),
        "content": gemeente_messages.sanitise(doc.get("content")),
        "published": gemeente_messages.published_at(doc.get("published"), found["received_at"]),
        "received_at": found["received_at"],
        "closes": doc.get("afgerond") is True,
        "sender": sender,
    }


def _said(reacties: list[dict[str, Any]]) -> list[thread_state.Said]:
    """The conversation in the order the kern saw it: a reactie when it arrived here (the
    gemeente's clock is not ours, and its `published` has whole seconds only), an answer when
    it was written here."""
    said = []
    for reactie in reacties:
        said.append(thread_state.Said(reactie["received_at"], False, reactie["closes"]))
        for given in reactie["answers"]:
            said.append(thread_state.Said(given["published"], True, bool(given["closes"])))
    return said
