"""A followed agenda's event, stored the way the kern's inbox stores what it receives."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from federation.store import timestamp

AGENDA = "https://agenda.example/federation/u/regio"


def store_event_from_elsewhere(
    conn: sqlite3.Connection, slug: str, name: str, days: int, **extra
) -> None:
    """A Gancio-shaped Event `days` from now, from the regional agenda, in received_objects."""
    start = datetime.now(UTC) + timedelta(days=days)
    event = {
        "id": f"https://agenda.example/federation/m/{slug}",
        "type": "Event",
        "name": name,
        "url": f"https://agenda.example/event/{slug}",
        "startTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endTime": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "location": {
            "type": "Place",
            "name": "Het Klooster",
            "address": {
                "type": "PostalAddress",
                "streetAddress": "Markt 1",
                "addressLocality": "Geldermalsen",
            },
        },
        "content": "<p>Concert</p>",
        "attachment": [],
        **extra,
    }
    now = timestamp(datetime.now(UTC))
    actor = {"id": AGENDA, "type": "Application", "name": "Regio-agenda"}
    conn.execute(
        """INSERT OR IGNORE INTO federation_remote_actors (actor_id, inbox, document, fetched_at)
           VALUES (?, ?, ?, ?)""",
        (AGENDA, AGENDA + "/inbox", json.dumps(actor), now),
    )
    conn.execute(
        """INSERT INTO received_objects (object_id, actor_id, activity_id, type, name,
               document, received_at, updated_at) VALUES (?, ?, ?, 'Event', ?, ?, ?, ?)""",
        (event["id"], AGENDA, event["id"] + "#create", name, json.dumps(event), now, now),
    )
