"""'Ik steun dit': one support per person for a project or an idea, without knowing who.

Two checks, in the transaction that counts the support:

- the browser's cookie, a random token stored only as a keyed hash (participation.py): the
  same browser is counted once, however often it presses the button;
- the address it came from, as a key that says nothing by itself: an HMAC of the address
  (an IPv6 household's /64, see node/web/client_address.py) with the node's secret and
  the day. The key changes every day, so keys of two days cannot be linked to each other,
  and it is deleted after that day. No address is ever stored.

Why this balance fits a village: a household shares one internet address, and a family
of four may each want to say they support the new playground; a small number per address
per day lets them. Whoever deletes the cookie to press again gets that same small number
a day, not twenty, and the group can see the counts grow slowly rather than jump. Stricter
(once per address for ever) would refuse real neighbours in a flat or village hall and
require keeping addresses for ever; looser (cookie only) is what let one person add 20.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from node.db import Database
from node.kern import ideas, projects

# Supports of one project (or idea) per address per day: a household, not a script.
SUPPORTS_PER_ADDRESS_PER_DAY = 3
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Kind = Literal["project", "idee"]
Outcome = Literal["counted", "already", "address_full"]

# Where each kind's supports are counted, and the data function that counts one.
_KINDS = {
    "project": ("supports", "project_id", projects.add_support),
    "idee": ("idea_supports", "idea_id", ideas.add_support),
}


def today() -> str:
    """The Dutch calendar day: a resident's 'tomorrow' starts at midnight here."""
    return datetime.now(AMSTERDAM).date().isoformat()


def address_key(secret: str, address: str, day: str) -> str:
    """A key for one address on one day; without the secret and the address it names nobody."""
    message = f"bloei.steun-adres:{day}:{address}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def support_once(
    conn: sqlite3.Connection, kind: Kind, object_id: int, supporter: str, key: str, day: str
) -> Outcome:
    """Count a support unless this browser already did, or its address had its share today."""
    table, column, add = _KINDS[kind]
    if conn.execute(
        f"SELECT 1 FROM {table} WHERE {column} = ? AND supporter = ?", (object_id, supporter)
    ).fetchone():
        return "already"
    used = conn.execute(
        """SELECT count FROM support_address_keys
           WHERE kind = ? AND object_id = ? AND address_key = ? AND day = ?""",
        (kind, object_id, key, day),
    ).fetchone()
    if used and used[0] >= SUPPORTS_PER_ADDRESS_PER_DAY:
        return "address_full"
    add(conn, object_id, supporter)
    conn.execute(
        """INSERT INTO support_address_keys (kind, object_id, address_key, day, count)
           VALUES (?, ?, ?, ?, 1)
           ON CONFLICT (kind, object_id, address_key, day) DO UPDATE SET count = count + 1""",
        (kind, object_id, key, day),
    )
    return "counted"


def forget_old_keys(conn: sqlite3.Connection, day: str) -> int:
    """Delete the keys of the days before `day`: they have done their job."""
    return conn.execute("DELETE FROM support_address_keys WHERE day < ?", (day,)).rowcount


def run_expiry(db: Database, day: str | None = None) -> int:
    """The periodic job: a read first, a write only when there are old keys."""
    day = day or today()
    if not db.scalar("SELECT count(*) FROM support_address_keys WHERE day < ?", (day,)):
        return 0
    return db.write(forget_old_keys, day)
