"""Throttling sign-in attempts: decided and recorded in one write transaction.

An attempt is reserved *before* its password is checked, in the same transaction that
counts the earlier ones, so a burst of simultaneous requests cannot all pass a count that
none of them has raised yet: at most `limit` of them get their password checked.

Who is throttled, and why not the account as a whole: a limit per user name lets anyone
who knows a beheerder's user name lock that beheerder out, for as long as they keep
sending wrong passwords. So attempts are counted per (user name, client address) and per
client address across all user names:

- The pair stops guessing one account from one address. The real user, signing in from
  their own address, is never slowed down by what arrives from elsewhere.
- The address as a whole stops one machine trying many user names; its limit is higher,
  so several people behind one office address do not get in each other's way.
- After the free attempts every further one waits twice as long as the one before
  (1, 2, 4, ... minutes), capped at the window; attempts older than the window are
  forgotten, so nobody, not even the attacker's own address, stays blocked for ever.

Guessing one account from many addresses at once is not stopped here; Argon2, passwords
of at least 12 characters and two-step sign-in are the defence against that, and the
password gate (node/web/password_gate.py) keeps such a flood from exhausting memory.
A successful sign-in forgets the pair's attempts.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

FIRST_DELAY = timedelta(minutes=1)
# One address may try this many times the per-account limit, across all user names.
ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class Policy:
    limit: int
    window: timedelta

    def delay(self, attempts: int) -> timedelta:
        """How long after the latest attempt the next one may come, given how many there were."""
        if attempts < self.limit:
            return timedelta(0)
        doublings = min(attempts - self.limit, 30)
        return min(FIRST_DELAY * 2**doublings, self.window)


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    retry_after: timedelta = timedelta(0)
    attempt_ids: list[int] = field(default_factory=list)

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds() / 60))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def reserve(
    conn: sqlite3.Connection,
    keys: list[tuple[str, Policy]],
    now: datetime | None = None,
) -> Reservation:
    """Record one attempt under every key, or none when any key must wait.

    Call inside a write transaction (Database.write), so counting and recording are one step.
    """
    now = now or datetime.now(UTC)
    wait = timedelta(0)
    for key, policy in keys:
        since = _stamp(now - policy.window)
        count, latest = conn.execute(
            "SELECT count(*), max(at) FROM login_attempts WHERE key = ? AND at >= ?",
            (key, since),
        ).fetchone()
        if count >= policy.limit:
            allowed_from = datetime.fromisoformat(latest) + policy.delay(count)
            wait = max(wait, allowed_from - now)
    if wait > timedelta(0):
        return Reservation(False, wait)
    stamp = _stamp(now)
    ids = [
        int(
            conn.execute(
                "INSERT INTO login_attempts (key, at) VALUES (?, ?)", (key, stamp)
            ).lastrowid
        )
        for key, _policy in keys
    ]
    # Nothing older than a day decides anything: keep the table small.
    conn.execute("DELETE FROM login_attempts WHERE at < ?", (_stamp(now - timedelta(days=1)),))
    return Reservation(True, attempt_ids=ids)


def release(conn: sqlite3.Connection, reservation: Reservation) -> None:
    """Take back an attempt whose password was never checked (the server was too busy)."""
    conn.executemany(
        "DELETE FROM login_attempts WHERE id = ?", [(i,) for i in reservation.attempt_ids]
    )


def succeeded(conn: sqlite3.Connection, reservation: Reservation, forget_key: str) -> None:
    """A correct password: this attempt does not count, nor do the earlier ones of `forget_key`."""
    release(conn, reservation)
    conn.execute("DELETE FROM login_attempts WHERE key = ?", (forget_key,))


def address_key(address: str, limit: int, window_minutes: int) -> tuple[str, Policy]:
    """Every attempt from one address, whatever it is for: a higher limit than per account."""
    return (f"ip:{address}", Policy(limit * ADDRESS_FACTOR, timedelta(minutes=window_minutes)))


def sign_in_keys(username: str, address: str, limit: int, window_minutes: int) -> list:
    """The keys a password attempt is counted under; the first is forgotten on success."""
    window = timedelta(minutes=window_minutes)
    return [
        (f"pair:{address}|{username.lower()}", Policy(limit, window)),
        address_key(address, limit, window_minutes),
    ]
