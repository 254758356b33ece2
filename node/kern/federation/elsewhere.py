"""Events from elsewhere: what followed agendas (a Gancio instance, another kern) announce.

The kern stores the events of the actors it follows in `received_objects` (received.py) and
shows them in beheer. When the group turns it on (`events_from_elsewhere` in the `site` table,
set in beheer, off by default), the public meetings page also lists the coming ones, marked as
from elsewhere with their source. Only what a reader needs is taken from the stored document,
every value checked, because it is what another server sent.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation.store import rows
from federation.vocabulary import address_text, types_of

SETTING_KEY = "events_from_elsewhere"
# Bloei's own meetings from a followed kern, and any Event (Gancio, Mobilizon).
EVENT_TYPES = frozenset({"Event", "Bijeenkomst"})
MAX_TEXT = 200


@dataclass(frozen=True)
class EventFromElsewhere:
    name: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    url: str
    source: str


def shown(conn: sqlite3.Connection) -> bool:
    """Whether the public meetings page lists events from elsewhere (off unless turned on)."""
    found = conn.execute("SELECT value FROM site WHERE key = ?", (SETTING_KEY,)).fetchone()
    return found is not None and json.loads(found[0]) is True


def set_shown(conn: sqlite3.Connection, value: bool) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO site (key, value) VALUES (?, ?)",
        (SETTING_KEY, json.dumps(bool(value))),
    )


def upcoming(conn: sqlite3.Connection, now: datetime, limit: int = 20) -> list[EventFromElsewhere]:
    """Coming events from followed actors, soonest first; cancelled and removed ones left out."""
    found = rows(
        conn,
        """SELECT r.document, coalesce(json_extract(a.document, '$.name'),
                  json_extract(a.document, '$.preferredUsername'), r.actor_id) AS source
           FROM received_objects r
           LEFT JOIN federation_remote_actors a ON a.actor_id = r.actor_id
           WHERE r.deleted = 0""",
    )
    events = []
    for row in found:
        event = _event(row["document"], row["source"])
        if event is not None and (event.ends_at or event.starts_at) >= now:
            events.append(event)
    events.sort(key=lambda e: (e.starts_at, e.name))
    return events[:limit]


def _event(document: str, source: Any) -> EventFromElsewhere | None:
    try:
        obj = json.loads(document)
    except ValueError:
        return None
    if not isinstance(obj, dict) or not EVENT_TYPES & set(types_of(obj)):
        return None
    if obj.get("geannuleerd") is True or str(obj.get("status", "")).upper() == "CANCELLED":
        return None
    starts = _moment(obj.get("startTime"))
    name = _text(obj.get("name"))
    if starts is None or not name:
        return None
    place = obj.get("location")
    place = place[0] if isinstance(place, list) and place else place
    place_text = ""
    if isinstance(place, dict):
        parts = [_text(place.get("name")), _text(address_text(place.get("address")))]
        place_text = ", ".join(dict.fromkeys(p for p in parts if p))
    return EventFromElsewhere(
        name=name,
        starts_at=starts,
        ends_at=_moment(obj.get("endTime")),
        place=place_text,
        url=_link(obj.get("url")) or _link(obj.get("id")),
        source=_text(source) or "",
    )


def _text(value: Any) -> str:
    return " ".join(value.split())[:MAX_TEXT] if isinstance(value, str) else ""


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _link(value: Any) -> str:
    """An http(s) link, from a string or the first Link of a list; nothing else is shown."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("href")
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value
    return ""
