"""Notices to the people who handle things: a mail at once, or an item for the daily digest.

A role's mail effects (run before a write commits) call `notify` with what happened and the
address of the page where it is handled; each recipient's choice
(node/web/notification_preferences.py) decides: queue the mail now, keep an item for the
daily mail, or nothing. `run_digests` is the worker's daily job: per person one mail with
what waited, queued in the same transaction that marks the items sent, so a restart never
sends twice and loses nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import jinja2

from node.db import Database
from node.mail.queue import queue_mail
from node.settings import Settings
from node.web import notification_preferences as preferences
from node.web.i18n import _, ngettext

DIGEST_PURPOSE = "notice.digest"
MAX_SUBJECT = 200
PREFERENCES_PATH = "/beheer/account/meldingen"


@dataclass(frozen=True)
class Notice:
    topic: str  # a key of the role's topics
    subject: str
    text: str  # what happened, a few lines for the mail sent at once
    title: str  # one line for the daily mail
    url: str  # absolute address of the page where it is handled


def notify(
    conn: sqlite3.Connection,
    settings: Settings,
    templates: jinja2.Environment,
    notice: Notice,
    also: Iterable[str] = (),
    skip_user: int | None = None,
    body: str | None = None,
    purpose: str | None = None,
) -> int:
    """Tell every recipient of `notice.topic` by their choice, in the caller's transaction.

    `also` are addresses without an account (a group's contact address) that get the mail at
    once; `skip_user` is the person who did it themselves. `body` replaces the standard text
    (templates/mail/melding.txt) where a subject has a mail of its own. Returns how many mails
    were queued.
    """
    subject = " ".join(notice.subject.split())[:MAX_SUBJECT]
    purpose = purpose or f"notice.{notice.topic}"
    if body is None:
        body = _render(
            templates,
            "melding.txt",
            text=notice.text.strip(),
            url=notice.url,
            preferences_url=settings.url(PREFERENCES_PATH),
        )
    queued = 0
    seen: set[str] = set()
    for address in also:
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            queue_mail(conn, purpose, address, subject, body)
            queued += 1
    stamp = _stamp(datetime.now(UTC))
    for person in preferences.recipients(conn, settings.role, notice.topic):
        if person.user_id == skip_user or person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        if person.mode == preferences.DIRECT:
            queue_mail(conn, purpose, person.email, subject, body)
            queued += 1
        elif person.mode == preferences.DIGEST:
            conn.execute(
                """INSERT INTO notification_digest_items (user_id, topic, title, url, created_at)
                   VALUES (?, ?, ?, ?, ?)""",
                (person.user_id, notice.topic, " ".join(notice.title.split()), notice.url, stamp),
            )
    return queued


def run_digests(
    db: Database, settings: Settings, templates: jinja2.Environment, now: datetime | None = None
) -> int:
    """Queue today's daily mail for everyone with waiting items who had none today yet.

    The worker runs this every hour; a person gets at most one daily mail per (UTC) day, with
    everything that waited until then. Returns how many mails were queued.
    """
    now = now or datetime.now(UTC)
    day = now.astimezone(UTC).date().isoformat()

    def send(conn: sqlite3.Connection) -> int:
        waiting = conn.execute(
            """SELECT DISTINCT i.user_id FROM notification_digest_items i
               WHERE i.sent_at IS NULL AND NOT EXISTS (
                   SELECT 1 FROM notification_digests d WHERE d.user_id = i.user_id AND d.day = ?)
               ORDER BY i.user_id""",
            (day,),
        ).fetchall()
        queued = 0
        for (user_id,) in waiting:
            queued += _digest_of(conn, settings, templates, user_id, day, now)
        return queued

    return db.write_quiet(send)


def _digest_of(
    conn: sqlite3.Connection,
    settings: Settings,
    templates: jinja2.Environment,
    user_id: int,
    day: str,
    now: datetime,
) -> int:
    user = conn.execute("SELECT email, disabled FROM users WHERE id = ?", (user_id,)).fetchone()
    items = conn.execute(
        """SELECT id, topic, title, url, created_at FROM notification_digest_items
           WHERE user_id = ? AND sent_at IS NULL ORDER BY id""",
        (user_id,),
    ).fetchall()
    stamp = _stamp(now)
    conn.execute(
        f"UPDATE notification_digest_items SET sent_at = ? WHERE id IN ({','.join('?' * len(items))})",
        (stamp, *[item[0] for item in items]),
    )
    conn.execute(
        "INSERT INTO notification_digests (user_id, day, sent_at, items) VALUES (?, ?, ?, ?)",
        (user_id, day, stamp, len(items)),
    )
    if user is None or user[1] or not user[0].strip():
        return 0  # no longer someone to mail: the items are done with
    labels = {t.key: t.label for t in preferences.topics_of(settings.role)}
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item[1], []).append({"title": item[2], "url": item[3]})
    body = _render(
        templates,
        "melding_dagelijks.txt",
        settings=settings,
        groups=[(_(labels.get(topic, topic)), found) for topic, found in groups.items()],
        preferences_url=settings.url(PREFERENCES_PATH),
    )
    subject = ngettext(
        "%(num)s nieuwe melding van %(site)s", "%(num)s nieuwe meldingen van %(site)s", len(items)
    ) % {"num": len(items), "site": settings.name}
    queue_mail(conn, DIGEST_PURPOSE, user[0].strip(), subject[:MAX_SUBJECT], body)
    return 1


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _render(templates: jinja2.Environment, name: str, **context) -> str:
    return templates.get_template(f"mail/{name}").render(**context).strip() + "\n"
