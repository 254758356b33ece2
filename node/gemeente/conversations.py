"""The gemeente's conversations with the kernen: per project or thema, its reacties and the
kern's answers to them, who is to answer next (node/web/thread_state.py), and the work list
of what waits for the gemeente.

The kern's answers arrive as its own `Reactie` objects (readmodel._kern_answer keeps them in
`gemeente_kern_answers`, with the project or thema of the reactie they answer).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from federation.store import rows
from node.web import thread_state


def answers_to(conn: sqlite3.Connection, reactie_ids: Iterable[str]) -> dict[str, list[dict]]:
    """The kern's answers per reactie of the gemeente, oldest first."""
    ids = list(reactie_ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    grouped: dict[str, list[dict]] = {}
    for found in rows(
        conn,
        f"""SELECT * FROM gemeente_kern_answers WHERE reactie_id IN ({marks})
            ORDER BY published, id""",
        ids,
    ):
        grouped.setdefault(found["reactie_id"], []).append(dict(found))
    return grouped


def _messages(conn: sqlite3.Connection, where: str, params: tuple) -> list[sqlite3.Row]:
    """Every message of the conversations selected by `where` (on `about`), oldest first:
    the gemeente's reacties and the kern's answers, with the kern and the project or thema.

    They are put in order by when the gemeente wrote or received each: the two nodes' clocks
    differ, and a kern's `published` has whole seconds only, so an answer written in the same
    second as the reactie before it would otherwise sort first."""
    return rows(
        conn,
        f"""SELECT * FROM (
                SELECT r.in_reply_to AS about, r.kern_id, r.published AS at, 0 AS by_kern,
                       r.closes
                FROM gemeente_reacties r WHERE r.kind = 'Reactie'
                UNION ALL
                SELECT a.about, a.kern_id, a.received_at AS at, 1 AS by_kern, a.closes
                FROM gemeente_kern_answers a
            ) WHERE {where} ORDER BY at""",
        params,
    )


def _said(found: sqlite3.Row) -> thread_state.Said:
    return thread_state.Said(found["at"], bool(found["by_kern"]), bool(found["closes"]))


def state_of(conn: sqlite3.Connection, about: str) -> str | None:
    """Who is to answer in the conversation about one project or thema (None: no reactie yet)."""
    return thread_state.state([_said(m) for m in _messages(conn, "about = ?", (about,))])


def states_of_kern(conn: sqlite3.Connection, kern_id: int) -> dict[str, str]:
    """The state of every conversation with one kern, by project or thema id."""
    conversations: dict[str, list[thread_state.Said]] = {}
    for found in _messages(conn, "kern_id = ?", (kern_id,)):
        conversations.setdefault(found["about"], []).append(_said(found))
    return {about: thread_state.state(said) or "" for about, said in conversations.items()}


def work_list(conn: sqlite3.Connection, now: datetime) -> list[dict[str, Any]]:
    """What waits for an answer of the gemeente, per kern (by name), oldest first: each
    conversation whose kern wrote last, since when, and how many days that is."""
    conversations: dict[str, list[thread_state.Said]] = {}
    kern_of: dict[str, int] = {}
    for found in _messages(conn, "1 = 1", ()):
        conversations.setdefault(found["about"], []).append(_said(found))
        kern_of[found["about"]] = found["kern_id"]
    waiting = []
    for about, said in conversations.items():
        since = thread_state.waiting_since(said)
        if since is None:
            continue
        waiting.append({"about": about, "kern_id": kern_of[about], "since": since})
    if not waiting:
        return []
    details = _details(conn, [w["about"] for w in waiting])
    names = {k["id"]: k["name"] for k in rows(conn, "SELECT id, name FROM gemeente_kernen")}
    kernen: dict[int, dict[str, Any]] = {}
    for item in sorted(waiting, key=lambda w: w["since"]):
        about = details.get(item["about"], {})
        item.update(
            name=about.get("name") or item["about"],
            type=about.get("type") or "",
            url=about.get("url") or item["about"],
            days=(now - datetime.fromisoformat(item["since"])).days,
        )
        kern = kernen.setdefault(
            item["kern_id"],
            {"id": item["kern_id"], "name": names.get(item["kern_id"], ""), "items": []},
        )
        kern["items"].append(item)
    # The kern that has waited longest first; within a kern, oldest first.
    return sorted(kernen.values(), key=lambda k: k["items"][0]["since"])


def _details(conn: sqlite3.Connection, abouts: list[str]) -> dict[str, dict[str, Any]]:
    marks = ",".join("?" * len(abouts))
    found = rows(
        conn,
        f"SELECT object_id, name, type, url FROM gemeente_objects WHERE object_id IN ({marks})",
        abouts,
    )
    return {f["object_id"]: dict(f) for f in found}
