"""The mails of a subscription: the confirmation, one item, and the weekly digest.

Each is queued (node/mail/queue.py) in the caller's transaction with the subscription's
unsubscribe address, which the sender puts in the List-Unsubscribe headers (RFC 8058) and
the text shows at the bottom, so every mail can be ended with one click.
"""

from __future__ import annotations

import json
import sqlite3

import jinja2

from node.kern.subscriptions import model
from node.mail.queue import queue_mail
from node.settings import Settings
from node.web.i18n import _

CONFIRM_PURPOSE = "subscription.confirm"
ITEM_PURPOSE = "subscription.item"
DIGEST_PURPOSE = "subscription.digest"


def _group(conn: sqlite3.Connection, settings: Settings) -> str:
    row = conn.execute("SELECT value FROM site WHERE key = 'group_name'").fetchone()
    name = json.loads(row[0]) if row else ""
    return name or _("De inwonersgroep van %s") % settings.name


def _subscription(conn: sqlite3.Connection, subscription_id: int) -> sqlite3.Row | None:
    return conn.execute(
        """SELECT s.*, p.title AS project_title, p.slug AS project_slug
           FROM subscriptions s LEFT JOIN projects p ON p.id = s.project_id WHERE s.id = ?""",
        (subscription_id,),
    ).fetchone()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _queue(
    conn: sqlite3.Connection,
    settings: Settings,
    env: jinja2.Environment,
    row: sqlite3.Row,
    purpose: str,
    subject: str,
    template: str,
    **context,
) -> int:
    unsubscribe_url = settings.url(
        model.unsubscribe_path(model.link_token(settings, model.UNSUBSCRIBE, row))
    )
    body = (
        env.get_template(f"mail/{template}")
        .render(
            settings=settings,
            group=_group(conn, settings),
            what=model.topic_label(row),
            unsubscribe_url=unsubscribe_url,
            **context,
        )
        .strip()
        + "\n"
    )
    return queue_mail(
        conn, purpose, row["email"], subject[:200], body, list_unsubscribe=unsubscribe_url
    )


def queue_confirmation(
    conn: sqlite3.Connection, settings: Settings, env: jinja2.Environment, subscription_id: int
) -> None:
    row = _subscription(conn, subscription_id)
    if row is None:
        return
    link = settings.url(model.confirm_path(model.link_token(settings, model.CONFIRM, row)))
    _queue(
        conn,
        settings,
        env,
        row,
        CONFIRM_PURPOSE,
        _("Bevestig dat u %(kern)s wilt volgen") % {"kern": settings.name},
        "volgen_bevestigen.txt",
        link=link,
        hours=model.CONFIRM_HOURS,
        weekly=row["pending_frequency"] == "wekelijks",
    )


def queue_item(
    conn: sqlite3.Connection,
    settings: Settings,
    env: jinja2.Environment,
    row: sqlite3.Row,
    item: sqlite3.Row,
) -> None:
    _queue(
        conn,
        settings,
        env,
        row,
        ITEM_PURPOSE,
        _("%(kern)s: %(title)s") % {"kern": settings.name, "title": _one_line(item["title"])},
        "volgen_bericht.txt",
        item=item,
    )


def queue_digest(
    conn: sqlite3.Connection,
    settings: Settings,
    env: jinja2.Environment,
    row: sqlite3.Row,
    items: list[sqlite3.Row],
) -> None:
    _queue(
        conn,
        settings,
        env,
        row,
        DIGEST_PURPOSE,
        _("%(kern)s: het overzicht van deze week") % {"kern": settings.name},
        "volgen_overzicht.txt",
        items=items,
    )
