"""'Ik steun dit': one support per person for a project or an idea, without knowing who.

Two checks, in the transaction that counts the support:

- the browser's cookie, a random token stored only as a keyed hash (participation.py): the
  same browser is counted once, however often it presses the button;
- the address it came from, counted under a key that changes daily and names no address
  (address_counts.py): a few supports per address per project per day.

Why this balance fits a village: a household shares one internet address, and a family
of four may each want to say they support the new playground; a small number per address
per day lets them. Whoever deletes the cookie to press again gets that same small number
a day, not twenty, and the group sees a count that grows slowly rather than jumps.
Stricter (once per address for ever) would refuse real neighbours in a flat, a care home
or the village hall, and would mean keeping addresses for ever; looser (the cookie only)
is what let one person add twenty.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from node.kern import address_counts
from node.kern.ideas import model as ideas
from node.kern.projects import model as projects

# Supports of one project (or idea) per address per day: a household, not a script.
SUPPORTS_PER_ADDRESS_PER_DAY = 3

Kind = Literal["project", "idee"]
Outcome = Literal["counted", "already", "address_full"]

# Where each kind's supports are counted, and the data function that counts one.
_KINDS = {
    "project": ("supports", "project_id", projects.add_support),
    "idee": ("idea_supports", "idea_id", ideas.add_support),
}


def support_once(
    conn: sqlite3.Connection, kind: Kind, object_id: int, supporter: str, key: str, day: str
) -> Outcome:
    """Count a support unless this browser already did, or its address had its share today.

    `supporter` is the keyed hash of the browser's token, `key` today's address key.
    """
    table, column, add = _KINDS[kind]
    if conn.execute(
        f"SELECT 1 FROM {table} WHERE {column} = ? AND supporter = ?", (object_id, supporter)
    ).fetchone():
        return "already"
    if address_counts.used(conn, kind, object_id, key, day) >= SUPPORTS_PER_ADDRESS_PER_DAY:
        return "address_full"
    add(conn, object_id, supporter)
    address_counts.add(conn, kind, object_id, key, day)
    return "counted"
