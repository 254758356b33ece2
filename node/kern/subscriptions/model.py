"""Following the kern by e-mail: subscribing with double opt-in, confirming, unsubscribing.

A resident chooses what to follow (the kern's news, its meetings, or one project's updates)
and how often (each item at once, or a weekly digest). Nothing is mailed before the address
is confirmed with the link in a mail; an unconfirmed subscription is deleted when its link
expires (`CONFIRM_HOURS`), an unsubscribed one at once: no address is kept longer than it
is used. The links carry a keyed hash of the row (`link_token`), so the database holds no
secret a leak could use, and a new confirmation mail makes the old link worthless.

Addresses are personal data: they are shown in beheer only (counts per topic and the list),
never on a public page, in an event or in the API, and are found by the privacy search.
The mails themselves are made elsewhere: the confirmation by node/kern/mail_effects.py from
the happening recorded here, the news by the worker (node/kern/subscriptions/sending.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from node.db import Database
from node.email_address import mail_address
from node.kern import happenings
from node.settings import Settings
from node.web.audit import record_audit
from node.web.auth import User, now
from node.web.i18n import _, lazy

CONFIRM_HOURS = 48
TOPICS = {
    "nieuws": lazy("Nieuws"),
    "bijeenkomsten": lazy("Bijeenkomsten"),
    "project": lazy("Een project"),
}
FREQUENCIES = {
    "direct": lazy("Elk bericht meteen"),
    "wekelijks": lazy("Eén keer per week een overzicht"),
}
MAX_EMAIL = 254
TOKEN_RE = re.compile(r"^([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{43})$")
CONFIRM = "bevestigen"
UNSUBSCRIBE = "afmelden"


class SubscriptionError(ValueError):
    """A subscription that cannot be made; the message is for the resident."""


@dataclass(frozen=True)
class Subscribed:
    id: int
    new: bool


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _precise_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def link_token(settings: Settings, purpose: str, row: sqlite3.Row | dict) -> str:
    """The token of a confirmation or unsubscribe link: the row's id and a keyed hash.

    The confirmation token is bound to the moment its mail was sent, so a newer mail
    replaces it; the unsubscribe token to the moment the row was made, so it holds for
    every mail of this subscription.
    """
    moment = row["confirm_sent_at"] if purpose == CONFIRM else row["created_at"]
    message = f"subscription:{purpose}:{row['id']}:{row['email']}:{moment}".encode()
    mac = hmac.new(settings.secret_key.encode(), message, hashlib.sha256).digest()
    return f"{row['id']}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def confirm_path(token: str) -> str:
    return f"/volgen/bevestigen/{token}"


def unsubscribe_path(token: str) -> str:
    return f"/afmelden/{token}"


def by_token(
    db_or_conn: Database | sqlite3.Connection, settings: Settings, purpose: str, token: str
) -> sqlite3.Row | None:
    """The subscription a link belongs to, or None for a wrong, old or unknown token."""
    match = TOKEN_RE.match(token or "")
    if match is None:
        return None
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    row = conn.execute(
        """SELECT s.*, p.title AS project_title, p.slug AS project_slug
           FROM subscriptions s LEFT JOIN projects p ON p.id = s.project_id
           WHERE s.id = ?""",
        (int(match.group(1)),),
    ).fetchone()
    if row is None or not hmac.compare_digest(link_token(settings, purpose, row), token):
        return None
    return row


def confirm_expired(row: sqlite3.Row, moment: datetime | None = None) -> bool:
    sent = datetime.fromisoformat(row["confirm_sent_at"])
    return (moment or datetime.now(UTC)) > sent + timedelta(hours=CONFIRM_HOURS)


def topic_label(row: sqlite3.Row | dict) -> str:
    """What a subscription follows, in a sentence part: "het nieuws", "project Speeltuin"."""
    if row["topic"] == "project":
        return _("de berichten over project %s") % (row["project_title"] or "")
    if row["topic"] == "bijeenkomsten":
        return _("de bijeenkomsten")
    return _("het nieuws")


# --- Writing ----------------------------------------------------------------------------


def subscribe(
    conn: sqlite3.Connection,
    settings: Settings,
    email: str,
    topic: str,
    frequency: str,
    project_id: int | None = None,
) -> Subscribed:
    """Ask to follow `topic`: a confirmation mail goes out, nothing else before it is used.

    Asking again for what one already follows sends a new confirmation for the new choice
    of frequency; the page says the same either way, so nobody learns who follows what.
    """
    address = mail_address((email or "").strip())
    if address is None or len(address) > MAX_EMAIL:
        raise SubscriptionError(_("Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl."))
    if topic not in TOPICS:
        raise SubscriptionError(_("Kies wat u wilt volgen."))
    if frequency not in FREQUENCIES:
        raise SubscriptionError(_("Kies hoe vaak u mail wilt krijgen."))
    if topic == "project":
        found = conn.execute(
            "SELECT id FROM projects WHERE id = ? AND removed_at IS NULL", (project_id,)
        ).fetchone()
        if found is None:
            raise SubscriptionError(_("Dit project bestaat niet (meer)."))
    else:
        project_id = None
    address = address.lower()
    # To the microsecond: the confirmation link is bound to it, so a second request in the
    # same second still makes the first link worthless.
    stamp = _precise_now()
    existing = conn.execute(
        """SELECT id FROM subscriptions
           WHERE email = ? AND topic = ? AND coalesce(project_id, 0) = coalesce(?, 0)""",
        (address, topic, project_id),
    ).fetchone()
    if existing is None:
        cursor = conn.execute(
            """INSERT INTO subscriptions (email, topic, project_id, frequency, pending_frequency,
               created_at, confirm_sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (address, topic, project_id, frequency, frequency, stamp, stamp),
        )
        subscription_id, new = int(cursor.lastrowid), True
    else:
        subscription_id, new = existing["id"], False
        conn.execute(
            "UPDATE subscriptions SET pending_frequency = ?, confirm_sent_at = ? WHERE id = ?",
            (frequency, stamp, subscription_id),
        )
    happenings.record(conn, happenings.SUBSCRIPTION_REQUESTED, subscription_id=subscription_id)
    return Subscribed(subscription_id, new)


def confirm(conn: sqlite3.Connection, subscription_id: int) -> None:
    """The address is confirmed: from now on it gets what it follows, as often as chosen.

    The first weekly digest gathers what is announced from this moment on.
    """
    conn.execute(
        """UPDATE subscriptions SET frequency = pending_frequency,
           confirmed_at = coalesce(confirmed_at, ?), last_digest_at = coalesce(last_digest_at, ?)
           WHERE id = ?""",
        (now(), _precise_now(), subscription_id),
    )


def unsubscribe(conn: sqlite3.Connection, subscription_id: int) -> bool:
    """Stop at once and forget the address; False if it was already gone."""
    return conn.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,)).rowcount == 1


def remove_by_beheer(conn: sqlite3.Connection, who: User, subscription_id: int) -> str:
    """A beheerder ends a subscription; returns the address ("" if it was gone already).

    The audit line names the row, not the address: the log outlives the subscription.
    """
    row = conn.execute(
        "SELECT email, topic FROM subscriptions WHERE id = ?", (subscription_id,)
    ).fetchone()
    if row is None or not unsubscribe(conn, subscription_id):
        return ""
    record_audit(conn, who, "volger.verwijderd", "subscription", subscription_id, row["topic"])
    return row["email"]


def remove_unconfirmed(conn: sqlite3.Connection, moment: datetime) -> int:
    """Delete subscriptions whose confirmation link expired before anyone used it."""
    cutoff = _stamp(moment - timedelta(hours=CONFIRM_HOURS))
    return conn.execute(
        """DELETE FROM subscriptions
           WHERE confirmed_at IS NULL AND datetime(confirm_sent_at) < datetime(?)""",
        (cutoff,),
    ).rowcount


# --- Reading, for beheer and the privacy page ------------------------------------------


def counts(db: Database) -> list[dict]:
    """Confirmed subscribers per topic (and project), with how many are still unconfirmed."""
    rows = db.execute(
        """SELECT s.topic, s.project_id, p.title AS project_title,
                  sum(s.confirmed_at IS NOT NULL) AS confirmed,
                  sum(s.confirmed_at IS NOT NULL AND s.frequency = 'wekelijks') AS weekly,
                  sum(s.confirmed_at IS NULL) AS unconfirmed
           FROM subscriptions s LEFT JOIN projects p ON p.id = s.project_id
           GROUP BY s.topic, s.project_id
           ORDER BY CASE s.topic WHEN 'nieuws' THEN 0 WHEN 'bijeenkomsten' THEN 1 ELSE 2 END,
                    p.title"""
    )
    return [dict(row) for row in rows]


def all_subscriptions(db: Database) -> list[sqlite3.Row]:
    return db.execute(
        """SELECT s.*, p.title AS project_title FROM subscriptions s
           LEFT JOIN projects p ON p.id = s.project_id ORDER BY s.email, s.id"""
    )


def of_address(conn: sqlite3.Connection, query: str) -> list[dict]:
    """The subscriptions of one address (the privacy search), exactly, case-insensitively."""
    rows = conn.execute(
        """SELECT s.id, s.email, s.topic, s.frequency, s.created_at, s.confirmed_at,
                  p.title AS project_title
           FROM subscriptions s LEFT JOIN projects p ON p.id = s.project_id
           WHERE s.email = lower(trim(?)) ORDER BY s.id""",
        (query,),
    )
    return [dict(row) for row in rows]
