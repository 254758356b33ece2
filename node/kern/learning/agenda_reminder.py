"""A reminder when the kernagenda has had no new version for half a year.

The kernagenda is the kern's promise to itself and to the gemeente; a version older than half
a year no longer says where the village stands. The beheerders and the group's contact address
hear of it once per stale version (remembered in `meta`, so a restart or the hourly run does not
mail again); a new version starts the clock again. A kern without any version is reminded
once its first thema is half a year old.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from node.db import Database
from node.kern.ideas.model import notice_recipients
from node.mail.queue import queue_mail
from node.settings import Settings
from node.web.i18n import _

STALE_DAYS = 183
PURPOSE = "agenda.reminder"
META_KEY = "agenda_reminder_for"
NO_VERSION = "-"


def stale_since(conn: sqlite3.Connection, at: datetime) -> tuple[str, str] | None:
    """(what is stale, since when) when a reminder is due, else None.

    What is stale is the latest version's slug, or NO_VERSION when there is none yet.
    """
    cutoff = (at - timedelta(days=STALE_DAYS)).isoformat(timespec="seconds")
    latest = conn.execute(
        "SELECT slug, published_at FROM agenda_versions ORDER BY published_at DESC, id DESC"
    ).fetchone()
    if latest is not None:
        return (latest[0], latest[1]) if latest[1] < cutoff else None
    first_thema = conn.execute(
        "SELECT min(created_at) FROM themas WHERE removed_at IS NULL"
    ).fetchone()[0]
    if first_thema and first_thema < cutoff:
        return NO_VERSION, first_thema
    return None


def remind(conn: sqlite3.Connection, settings: Settings, at: datetime | None = None) -> bool:
    """Queue the reminder if one is due and not yet sent for this version; True if queued."""
    due = stale_since(conn, at or datetime.now(UTC))
    if due is None:
        return False
    what, since = due
    sent = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if sent is not None and sent[0] == what:
        return False
    subject = _("Tijd voor een nieuwe versie van de kernagenda van %s") % settings.name
    if what == NO_VERSION:
        opening = _(
            "De kernagenda van %(kern)s heeft thema's, maar nog geen gepubliceerde versie."
        ) % {"kern": settings.name}
    else:
        opening = _(
            "De laatste versie van de kernagenda van %(kern)s is van %(date)s: meer dan een "
            "half jaar geleden."
        ) % {"kern": settings.name, "date": since[:10]}
    body = "\n\n".join(
        [
            opening,
            _(
                "Klopt de kernagenda nog? Bespreek de thema's op de volgende kernavond en "
                "publiceer daarna een nieuwe versie. Dan zien inwoners en de gemeente waar het "
                "dorp nu staat."
            ),
            _("Een nieuwe versie publiceren:") + "\n" + settings.url("/beheer/versies/nieuw"),
            _("Tips in de handleiding:") + "\n" + settings.url("/beheer/handleiding#kernavond"),
        ]
    )
    for address in notice_recipients(conn):
        queue_mail(conn, PURPOSE, address, subject, body)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (META_KEY, what))
    return True


def run_reminder(db: Database, settings: Settings) -> bool:
    """The background job's step: read first, write only when a reminder is due."""
    if stale_since(db.read(), datetime.now(UTC)) is None:
        return False
    return db.write(remind, settings)
