"""What subscribers hear of: new items found in the recorded events, mailed by the worker.

Data functions only record their events (node/kern/changes.py). This job reads the events
after the last one it saw and notes each new item once in `subscription_items`: a new
bericht (when its publish time has come), a new meeting, a new update on a project. A due
item is mailed at once to every confirmed subscriber who chose `direct`; once a week, those
who chose `wekelijks` get one mail with everything since their last one (nothing if there
was nothing). The job also deletes subscriptions whose confirmation link expired.

Each step is idempotent, and the job first reads whether there is anything to do, so running
it every few minutes costs a read.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import jinja2

from node.db import Database
from node.kern.news.model import summary_of
from node.kern.subscriptions import mails, model
from node.settings import Settings

DIGEST_DAYS = 7
MAX_SUMMARY = 300


def _stamp(moment: datetime) -> str:
    # To the microsecond, compared with julianday(): an item announced just after a
    # subscriber confirmed belongs in their first digest, not in the one before.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _upsert_item(
    conn: sqlite3.Connection,
    source: str,
    topic: str,
    title: str,
    summary: str,
    url: str,
    due_at: str,
    project_id: int | None = None,
) -> None:
    # An item changed before it went out (a scheduled bericht moved, a title fixed) goes
    # out as it is now; one already mailed is never mailed again.
    conn.execute(
        """INSERT INTO subscription_items (source, topic, project_id, title, summary, url, due_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (source) DO UPDATE SET title = excluded.title,
               summary = excluded.summary, due_at = excluded.due_at
           WHERE subscription_items.announced_at IS NULL""",
        (source, topic, project_id, title, summary[:MAX_SUMMARY], url, due_at),
    )


def _withdraw(conn: sqlite3.Connection, source: str) -> None:
    conn.execute(
        "DELETE FROM subscription_items WHERE source = ? AND announced_at IS NULL", (source,)
    )


def _project_updates(conn: sqlite3.Connection, event: sqlite3.Row, snapshot: dict) -> None:
    project = conn.execute(
        "SELECT id, slug FROM projects WHERE slug = ? AND removed_at IS NULL",
        (snapshot.get("slug"),),
    ).fetchone()
    if project is None:
        return
    # The updates written with this event (same transaction, same moment); older ones were
    # news before anyone could follow them here.
    new_ids = {
        row["id"]
        for row in conn.execute(
            "SELECT id FROM project_updates WHERE project_id = ? AND created_at >= ?",
            (project["id"], event["at"]),
        )
    }
    for update in snapshot.get("updates", []):
        update_id = int(str(update["id"]).rsplit("/", 1)[-1])
        if update_id in new_ids:
            _upsert_item(
                conn,
                f"update:{update['id']}",
                "project",
                f"{snapshot['titel']}: {update['titel']}",
                summary_of(update["tekst"]),
                snapshot["id"],
                event["at"],
                project["id"],
            )


def find_items(conn: sqlite3.Connection) -> int:
    """Turn the events after the cursor into items; returns how many events were read."""
    last = conn.execute("SELECT last_event_id FROM subscription_cursor").fetchone()[0]
    events = conn.execute(
        """SELECT * FROM events WHERE id > ? AND object_type IN ('Bericht', 'Bijeenkomst', 'Project')
           ORDER BY id""",
        (last,),
    ).fetchall()
    top = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    for event in events:
        snapshot = json.loads(event["snapshot"])
        source = f"{event['object_type'].lower()}:{event['object_id']}"
        if event["verb"] == "Delete":
            _withdraw(conn, source)
        elif event["object_type"] == "Bericht":
            _upsert_item(
                conn,
                source,
                "nieuws",
                snapshot["titel"],
                summary_of(snapshot["tekst"]),
                snapshot["id"],
                snapshot["gepubliceerd"],
            )
        elif event["object_type"] == "Bijeenkomst" and event["verb"] == "Create":
            _upsert_item(
                conn,
                source,
                "bijeenkomsten",
                snapshot["titel"],
                snapshot.get("samenvatting") or "",
                snapshot["id"],
                event["at"],
            )
        elif event["object_type"] == "Project":
            _project_updates(conn, event, snapshot)
    conn.execute("UPDATE subscription_cursor SET last_event_id = ?", (top,))
    return len(events)


_MATCHES = """s.confirmed_at IS NOT NULL AND s.topic = i.topic
              AND coalesce(s.project_id, 0) = coalesce(i.project_id, 0)"""


def announce_due(
    conn: sqlite3.Connection, settings: Settings, env: jinja2.Environment, moment: datetime
) -> int:
    """Mail each due item to its direct subscribers; returns how many mails were queued."""
    stamp = _stamp(moment)
    items = conn.execute(
        """SELECT * FROM subscription_items
           WHERE announced_at IS NULL AND datetime(due_at) <= datetime(?) ORDER BY due_at, id""",
        (stamp,),
    ).fetchall()
    queued = 0
    for item in items:
        subscribers = conn.execute(
            f"""SELECT s.*, p.title AS project_title FROM subscriptions s
                JOIN subscription_items i ON i.id = ?
                LEFT JOIN projects p ON p.id = s.project_id
                WHERE {_MATCHES} AND s.frequency = 'direct' ORDER BY s.id""",
            (item["id"],),
        ).fetchall()
        for row in subscribers:
            mails.queue_item(conn, settings, env, row, item)
            queued += 1
        conn.execute(
            "UPDATE subscription_items SET announced_at = ? WHERE id = ?", (stamp, item["id"])
        )
    return queued


def send_digests(
    conn: sqlite3.Connection, settings: Settings, env: jinja2.Environment, moment: datetime
) -> int:
    """The weekly overview for each weekly subscriber whose week is over; returns how many."""
    stamp = _stamp(moment)
    week_ago = _stamp(moment - timedelta(days=DIGEST_DAYS))
    rows = conn.execute(
        """SELECT s.*, p.title AS project_title FROM subscriptions s
           LEFT JOIN projects p ON p.id = s.project_id
           WHERE s.confirmed_at IS NOT NULL AND s.frequency = 'wekelijks'
             AND datetime(s.last_digest_at) <= datetime(?) ORDER BY s.id""",
        (week_ago,),
    ).fetchall()
    queued = 0
    for row in rows:
        items = conn.execute(
            """SELECT * FROM subscription_items i
               WHERE i.topic = ? AND coalesce(i.project_id, 0) = coalesce(?, 0)
                 AND i.announced_at IS NOT NULL
                 AND julianday(i.announced_at) > julianday(?) ORDER BY i.due_at, i.id""",
            (row["topic"], row["project_id"], row["last_digest_at"]),
        ).fetchall()
        if items:
            mails.queue_digest(conn, settings, env, row, items)
            queued += 1
        conn.execute("UPDATE subscriptions SET last_digest_at = ? WHERE id = ?", (stamp, row["id"]))
    return queued


def _work_waiting(conn: sqlite3.Connection, moment: datetime) -> bool:
    stamp = _stamp(moment)
    cutoff = _stamp(moment - timedelta(hours=model.CONFIRM_HOURS))
    week_ago = _stamp(moment - timedelta(days=DIGEST_DAYS))
    return bool(
        conn.execute(
            """SELECT
                 (SELECT coalesce(max(id), 0) FROM events)
                     > (SELECT last_event_id FROM subscription_cursor)
                 OR EXISTS (SELECT 1 FROM subscription_items WHERE announced_at IS NULL
                            AND datetime(due_at) <= datetime(:now))
                 OR EXISTS (SELECT 1 FROM subscriptions WHERE confirmed_at IS NOT NULL
                            AND frequency = 'wekelijks'
                            AND datetime(last_digest_at) <= datetime(:week_ago))
                 OR EXISTS (SELECT 1 FROM subscriptions WHERE confirmed_at IS NULL
                            AND datetime(confirm_sent_at) < datetime(:cutoff))""",
            {"now": stamp, "week_ago": week_ago, "cutoff": cutoff},
        ).fetchone()[0]
    )


def run_subscriptions(
    db: Database,
    settings: Settings,
    templates: jinja2.Environment,
    now: datetime | None = None,
) -> int:
    """The worker's job: find new items, mail them, send due digests, forget the unconfirmed.

    Returns how many mails were queued. A read first: most runs find nothing to do.
    """
    moment = now or datetime.now(UTC)
    if not _work_waiting(db.read(), moment):
        return 0

    def work(conn: sqlite3.Connection) -> int:
        find_items(conn)
        queued = announce_due(conn, settings, templates, moment)
        queued += send_digests(conn, settings, templates, moment)
        model.remove_unconfirmed(conn, moment)
        return queued

    return db.write(work)
