"""Who at the gemeente looks after which kern (the gebiedsmakelaar), and after how many days
something on the work list is worth a reminder.

A gemeente beheerder assigns each kern to one staff member, or to nobody; the work list can
then show "mijn kernen", and a reminder goes to that person (to all staff while a kern has
nobody). Both choices are checked here and written to the audit log.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from node.web.audit import record_audit
from node.web.auth import User

REMINDER_KEY = "werklijst_herinnering_dagen"
DEFAULT_REMINDER_DAYS = 7
MIN_REMINDER_DAYS = 1
MAX_REMINDER_DAYS = 90


class NotAssignable(ValueError):
    """A kern or staff member that does not exist (or an account that is switched off)."""


def staff(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every active staff account, to choose a gebiedsmakelaar from."""
    found = conn.execute(
        """SELECT id, username, display_name, email FROM users
           WHERE disabled = 0 AND role IN ('beheerder', 'medewerker')
           ORDER BY display_name COLLATE NOCASE, id"""
    ).fetchall()
    return [dict(r) for r in found]


def assignments(conn: sqlite3.Connection) -> dict[int, int]:
    """kern id -> the staff member's user id, for the kernen that have one."""
    return {
        row[0]: row[1]
        for row in conn.execute(
            "SELECT id, staff_user_id FROM gemeente_kernen WHERE staff_user_id IS NOT NULL"
        )
    }


def assign(conn: sqlite3.Connection, kern_id: int, user_id: int | None, by: User) -> bool:
    """Make `user_id` (None: nobody) the kern's gebiedsmakelaar; False when nothing changed."""
    kern = conn.execute(
        "SELECT name, staff_user_id FROM gemeente_kernen WHERE id = ?", (kern_id,)
    ).fetchone()
    if kern is None:
        raise NotAssignable("kern")
    name = ""
    if user_id is not None:
        person = next((p for p in staff(conn) if p["id"] == user_id), None)
        if person is None:
            raise NotAssignable("user")
        name = person["username"]
    if kern[1] == user_id:
        return False
    conn.execute("UPDATE gemeente_kernen SET staff_user_id = ? WHERE id = ?", (user_id, kern_id))
    summary = f"{kern[0]}: {name or '-'}"
    record_audit(conn, by, "kern.gebiedsmakelaar", "Kern", str(kern_id), summary)
    return True


def reminder_days(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM site WHERE key = ?", (REMINDER_KEY,)).fetchone()
    if row is None:
        return DEFAULT_REMINDER_DAYS
    value = json.loads(row[0])
    return value if isinstance(value, int) else DEFAULT_REMINDER_DAYS


def set_reminder_days(conn: sqlite3.Connection, days: int, by: User) -> bool:
    if not MIN_REMINDER_DAYS <= days <= MAX_REMINDER_DAYS:
        raise ValueError(days)
    if days == reminder_days(conn):
        return False
    conn.execute(
        """INSERT INTO site (key, value) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
        (REMINDER_KEY, json.dumps(days)),
    )
    record_audit(conn, by, "werklijst.herinnering", "Site", REMINDER_KEY, f"{days} dagen")
    return True
