"""Counting what one internet address did today, without keeping the address.

A count is stored under a key, not the address: an HMAC of the address (an IPv6
household's /64, node/web/client_address.py) with the node's secret and the day. The key
changes every day, so keys of two days cannot be linked to each other, and a day's keys
are deleted once the day is over. Without the secret and the address a key names nobody;
the privacy statement (templates/kern/privacy.html) says so to residents.

What is counted, and how much is allowed, is decided by the callers: support
(supporting.py) and places at a meeting without a confirmed e-mail address (rsvp.py).
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from node.db import Database

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Kind = Literal["project", "idee", "bijeenkomst"]


def today() -> str:
    """The Dutch calendar day: a resident's 'tomorrow' starts at midnight here."""
    return datetime.now(AMSTERDAM).date().isoformat()


def address_key(secret: str, address: str, day: str) -> str:
    """A key for one address on one day; without the secret and the address it names nobody."""
    message = f"bloei.adres:{day}:{address}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def used(conn: sqlite3.Connection, kind: Kind, object_id: int, key: str, day: str) -> int:
    row = conn.execute(
        """SELECT count FROM address_counts
           WHERE kind = ? AND object_id = ? AND address_key = ? AND day = ?""",
        (kind, object_id, key, day),
    ).fetchone()
    return row[0] if row else 0


def add(
    conn: sqlite3.Connection, kind: Kind, object_id: int, key: str, day: str, amount: int = 1
) -> None:
    conn.execute(
        """INSERT INTO address_counts (kind, object_id, address_key, day, count)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (kind, object_id, address_key, day) DO UPDATE SET count = count + ?""",
        (kind, object_id, key, day, amount, amount),
    )


def forget_old_keys(conn: sqlite3.Connection, day: str) -> int:
    """Delete the keys of the days before `day`: they have done their job."""
    return conn.execute("DELETE FROM address_counts WHERE day < ?", (day,)).rowcount


def run_expiry(db: Database, day: str | None = None) -> int:
    """The periodic job: a read first, a write only when there are old keys."""
    day = day or today()
    if not db.scalar("SELECT count(*) FROM address_counts WHERE day < ?", (day,)):
        return 0
    return db.write(forget_old_keys, day)
