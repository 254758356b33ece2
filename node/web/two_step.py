"""Two-step sign-in: a time-based code (TOTP, RFC 6238) from an app, or a recovery code.

pyotp computes the codes; this module keeps what Bloei decides around them: a code is
accepted one time step early or late (phone clocks drift), never twice (the last step used
is stored), and ten recovery codes are stored only as hashes and work once each.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time

import pyotp
import segno

INTERVAL = 30
DIGITS = 6
# One step either side of now: a phone whose clock is up to half a minute off still works.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Sixteen characters from 31 letters and digits: about 79 random bits, so a fast hash at
# rest is enough (nobody can try 2^79 codes against a copied database).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_RE = re.compile(r"^[0-9]{6}$")
_SEPARATORS_RE = re.compile(r"[\s-]")
# The clock codes are checked against; a function so tests can move time on.
clock = time.time


def new_secret() -> str:
    """A random base32 secret of 160 bits, the size RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def code_at(secret: str, unix_time: float, digits: int = DIGITS) -> str:
    return pyotp.TOTP(secret, digits=digits, interval=INTERVAL).at(int(unix_time))


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, username: str, site_name: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=username, issuer_name=f"Bloei {site_name}"
    )


def qr_code(uri: str) -> str:
    """The otpauth address as an SVG QR code in a data: URL (the page's CSP allows those)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def normalise(code: str) -> str:
    return _SEPARATORS_RE.sub("", code or "").lower()


def looks_like_app_code(code: str) -> bool:
    return bool(_CODE_RE.match(normalise(code)))


def matching_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The time step `code` belongs to, if it is valid now and newer than `last_step`."""
    code = normalise(code)
    if not secret or not _CODE_RE.match(code):
        return None
    current = int((now if now is not None else clock()) // INTERVAL)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(code_at(secret, step * INTERVAL), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    def one() -> str:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        return "-".join(raw[i : i + 4] for i in range(0, 16, 4))

    return [one() for _ in range(RECOVERY_CODE_COUNT)]


def recovery_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


# --- what is stored, each function inside the caller's write transaction --------------------


def is_on(conn: sqlite3.Connection, user_id: int) -> bool:
    row = conn.execute("SELECT two_step_secret FROM users WHERE id = ?", (user_id,)).fetchone()
    return bool(row and row["two_step_secret"])


def pending_secret(conn: sqlite3.Connection, user_id: int) -> str:
    """The secret being set up, made on first ask, so reloading the page keeps the QR code."""
    row = conn.execute(
        "SELECT two_step_pending_secret FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    if row["two_step_pending_secret"]:
        return row["two_step_pending_secret"]
    secret = new_secret()
    conn.execute("UPDATE users SET two_step_pending_secret = ? WHERE id = ?", (secret, user_id))
    return secret


def confirm(conn: sqlite3.Connection, user_id: int, code: str, now: str) -> list[str] | None:
    """Switch two-step on when `code` matches the pending secret; the new recovery codes."""
    row = conn.execute(
        "SELECT two_step_pending_secret FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    secret = row["two_step_pending_secret"] if row else ""
    step = matching_step(secret, code, last_step=0)
    if step is None:
        return None
    conn.execute(
        """UPDATE users SET two_step_secret = ?, two_step_pending_secret = '',
           two_step_enabled_at = ?, two_step_last_step = ? WHERE id = ?""",
        (secret, now, step, user_id),
    )
    codes = new_recovery_codes()
    conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)",
        [(user_id, recovery_hash(c)) for c in codes],
    )
    return codes


def use_code(conn: sqlite3.Connection, user_id: int, code: str, now: str) -> str | None:
    """Check an app code or a recovery code and use it up: 'app', 'recovery' or None."""
    row = conn.execute(
        "SELECT two_step_secret, two_step_last_step FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    if row is None or not row["two_step_secret"]:
        return None
    if looks_like_app_code(code):
        step = matching_step(row["two_step_secret"], code, row["two_step_last_step"])
        if step is None:
            return None
        conn.execute("UPDATE users SET two_step_last_step = ? WHERE id = ?", (step, user_id))
        return "app"
    cursor = conn.execute(
        """UPDATE recovery_codes SET used_at = ?
           WHERE user_id = ? AND code_hash = ? AND used_at IS NULL""",
        (now, user_id, recovery_hash(code)),
    )
    return "recovery" if cursor.rowcount == 1 else None


def recovery_codes_left(conn: sqlite3.Connection, user_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", (user_id,)
    ).fetchone()[0]


def turn_off(conn: sqlite3.Connection, user_id: int) -> bool:
    """Switch two-step off and forget its secret and codes; False when it was not on."""
    was_on = is_on(conn, user_id)
    conn.execute(
        """UPDATE users SET two_step_secret = '', two_step_pending_secret = '',
           two_step_enabled_at = NULL, two_step_last_step = 0 WHERE id = ?""",
        (user_id,),
    )
    conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
    return was_on
