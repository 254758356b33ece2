"""The work list's reminder: a mail when a conversation has waited for the gemeente longer
than the days a beheerder set (node/gemeente/assignment.py).

The worker runs `run_reminders` every hour. A reminder goes to the kern's gebiedsmakelaar, or
to every staff member with an e-mail address while the kern has none (or theirs has no
address). Each is sent once per conversation, per time it started waiting, per threshold
(`gemeente_reminders`), queued in the same transaction that records it, so restarts and
several workers never send it twice.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jinja2

from node.db import Database
from node.gemeente import assignment, conversations
from node.mail.queue import queue_mail
from node.settings import Settings
from node.web.i18n import _

PURPOSE = "werklijst.herinnering"


def run_reminders(
    db: Database, settings: Settings, templates: jinja2.Environment, now: datetime | None = None
) -> int:
    """Queue the reminders that are due; returns how many mails were queued."""
    now = now or datetime.now(UTC)
    return db.write_quiet(_send_due, settings, templates, now)


def _send_due(
    conn: sqlite3.Connection, settings: Settings, templates: jinja2.Environment, now: datetime
) -> int:
    threshold = assignment.reminder_days(conn)
    due = [
        (kern, item)
        for kern in conversations.work_list(conn, now)
        for item in kern["items"]
        if item["days"] >= threshold and not _sent(conn, item, threshold)
    ]
    if not due:
        return 0
    staff = assignment.staff(conn)
    assigned = assignment.assignments(conn)
    queued = 0
    for kern, item in due:
        person = next((p for p in staff if p["id"] == assigned.get(kern["id"])), None)
        if person and person["email"].strip():
            to = [person]
        else:
            to = [p for p in staff if p["email"].strip()]
        if not to:
            continue  # nobody to tell yet: tried again next time, once someone has an address
        subject = _("Wacht al %(days)s dagen: %(name)s (%(kern)s)") % {
            "days": item["days"],
            "name": " ".join(item["name"].split()),
            "kern": kern["name"],
        }
        body = _body(templates, settings, kern, item, assigned=to == [person])
        for recipient in to:
            queue_mail(conn, PURPOSE, recipient["email"].strip(), subject[:200], body)
        conn.execute(
            """INSERT INTO gemeente_reminders (about, since, threshold_days, sent_at, recipients)
               VALUES (?, ?, ?, ?, ?)""",
            (item["about"], item["since"], threshold, now.isoformat(timespec="seconds"), len(to)),
        )
        queued += len(to)
    return queued


def _sent(conn: sqlite3.Connection, item: dict[str, Any], threshold: int) -> bool:
    return (
        conn.execute(
            """SELECT 1 FROM gemeente_reminders
               WHERE about = ? AND since = ? AND threshold_days = ?""",
            (item["about"], item["since"], threshold),
        ).fetchone()
        is not None
    )


def _body(
    templates: jinja2.Environment,
    settings: Settings,
    kern: dict[str, Any],
    item: dict[str, Any],
    assigned: bool,
) -> str:
    return (
        templates.get_template("mail/werklijst_herinnering.txt")
        .render(
            settings=settings,
            kern=kern["name"],
            days=item["days"],
            name=item["name"],
            since=item["since"],
            url=settings.url(f"/beheer/reactie?op={quote(item['about'], safe='')}"),
            worklist_url=settings.url("/beheer/werklijst?medewerker=mij"),
            assigned=assigned,
        )
        .strip()
        + "\n"
    )
