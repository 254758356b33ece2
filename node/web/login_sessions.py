"""Sign-in sessions kept on the server: the cookie carries a random token, nothing more.

The row holds a SHA-256 hash of the token (a database copy does not give anyone a session:
the token has 256 random bits, so a fast hash is enough), who signed in, when, from which
device and address, and the session's CSRF token. Every request checks two limits: an
absolute lifetime since sign-in (`session_days`) and an idle timeout (`session_idle_hours`).
Signing out deletes the row, so a copied cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from node.db import insert

# How often `last_seen_at` is written: often enough for an idle timeout of hours, rarely
# enough that reading beheer pages does not turn into a write per request.
TOUCH_EVERY = timedelta(minutes=5)
# Known browsers and systems, most specific first (Edge and Opera also say "Chrome").
BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]
# How long a sign-in may wait between the right password and the two-step code.
AWAITING_CODE_LIFETIME = timedelta(minutes=10)
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


@dataclass(frozen=True)
class LoginSession:
    id: int
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    device: str
    address: str
    csrf: str
    awaiting_code: bool = False

    def expired(self, now: datetime, lifetime: timedelta, idle: timedelta) -> bool:
        return now >= self.created_at + lifetime or now >= self.last_seen_at + idle


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_summary(user_agent: str) -> str:
    """'Firefox, Windows' from a User-Agent header: enough to recognise one's own devices."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in SYSTEMS if mark in user_agent), "")
    return _PRINTABLE.sub("", ", ".join(part for part in (browser, system) if part))


def _from_row(row: sqlite3.Row) -> LoginSession:
    return LoginSession(
        id=row["id"],
        user_id=row["user_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        last_seen_at=datetime.fromisoformat(row["last_seen_at"]),
        device=row["device"],
        address=row["address"],
        csrf=row["csrf"],
        awaiting_code=bool(row["awaiting_code"]),
    )


def create(
    conn: sqlite3.Connection,
    user_id: int,
    user_agent: str,
    address: str,
    lifetime: timedelta,
    idle: timedelta,
    now: datetime | None = None,
    awaiting_code: bool = False,
) -> str:
    """A new session for user_id; returns the token for the cookie (never stored as such).

    With `awaiting_code` it is only the first half of a two-step sign-in: it signs nobody in
    until the code is given, and then it is replaced by a new session.
    """
    now = now or _now()
    token = secrets.token_urlsafe(32)
    insert(
        conn,
        "login_sessions",
        {
            "token_hash": token_hash(token),
            "user_id": user_id,
            "created_at": _stamp(now),
            "last_seen_at": _stamp(now),
            "device": device_summary(user_agent[:500]),
            "address": address[:100],
            "csrf": secrets.token_urlsafe(32),
            "awaiting_code": int(awaiting_code),
        },
    )
    # Sessions that ran out and were never seen again would otherwise stay for ever.
    conn.execute(
        "DELETE FROM login_sessions WHERE created_at < ? OR last_seen_at < ?",
        (_stamp(now - lifetime), _stamp(now - idle)),
    )
    return token


def find(conn: sqlite3.Connection, token: str) -> LoginSession | None:
    row = conn.execute(
        "SELECT * FROM login_sessions WHERE token_hash = ?", (token_hash(token),)
    ).fetchone()
    return None if row is None else _from_row(row)


def needs_touch(session: LoginSession, now: datetime) -> bool:
    return now - session.last_seen_at >= TOUCH_EVERY


def touch(conn: sqlite3.Connection, session_id: int, now: datetime | None = None) -> None:
    conn.execute(
        "UPDATE login_sessions SET last_seen_at = ? WHERE id = ?",
        (_stamp(now or _now()), session_id),
    )


def end(conn: sqlite3.Connection, user_id: int, session_id: int) -> bool:
    """End one session of user_id; False when it was not theirs or already gone."""
    cursor = conn.execute(
        "DELETE FROM login_sessions WHERE id = ? AND user_id = ?", (session_id, user_id)
    )
    return cursor.rowcount > 0


def end_by_token(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM login_sessions WHERE token_hash = ?", (token_hash(token),))


def end_all(conn: sqlite3.Connection, user_id: int, keep: int | None = None) -> int:
    """End every session of user_id except `keep`; returns how many ended."""
    cursor = conn.execute(
        "DELETE FROM login_sessions WHERE user_id = ? AND id IS NOT ?", (user_id, keep)
    )
    return cursor.rowcount


def of_user(conn: sqlite3.Connection, user_id: int) -> list[LoginSession]:
    rows = conn.execute(
        "SELECT * FROM login_sessions WHERE user_id = ? AND awaiting_code = 0"
        " ORDER BY last_seen_at DESC, id DESC",
        (user_id,),
    ).fetchall()
    return [_from_row(row) for row in rows]
