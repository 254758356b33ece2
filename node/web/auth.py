"""Accounts for beheer: Argon2id password hashes, sessions and roles."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation.store import utcnow
from node.db import Database, insert
from node.web import login_sessions
from node.web.refusals import Forbidden

ROLES = ("beheerder", "redacteur")
# Argon2id with one of OWASP's equal-strength settings (Password Storage Cheat Sheet: 7 MiB
# and five passes defend as well as 19 MiB and two): of those, the one that needs least
# memory, so a sign-in adds 7 MiB to a small node's peak instead of 19. Hashes made with
# other settings (before December 2026: 19 MiB, two passes) still verify, and are made
# anew with these at their owner's next sign-in.
_hasher = PasswordHasher(time_cost=5, memory_cost=7168, parallelism=1)
# Verifying against this keeps the time of a login with an unknown name equal to a wrong
# password, so the form does not tell which user names exist: hence the same settings as
# `_hasher`. A constant (the hash of a random secret nobody kept), so importing this module
# does no hashing.
_DUMMY_HASH = "$argon2id$v=19$m=7168,t=5,p=1$HsoSgii4H7leWsDsOHvJcg$rBqMUziK0Hi6MyLs8v2TJkZY+AfJwaihqneV3MHOG1Y"
MIN_PASSWORD_LENGTH = 12


def now() -> str:
    # The node's one clock (federation.store.utcnow), so sample history can be dated.
    return utcnow().isoformat(timespec="seconds")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A one-time password that is easy to type: four groups of letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    must_change_password: bool

    @property
    def is_beheerder(self) -> bool:
        return self.role == "beheerder"


def _user_from_row(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        must_change_password=bool(row["must_change_password"]),
    )


def create_user(
    conn: sqlite3.Connection,
    username: str,
    display_name: str,
    role: str,
    password: str,
    email: str = "",
    must_change_password: bool = True,
) -> int:
    return insert(
        conn,
        "users",
        {
            "username": username,
            "display_name": display_name,
            "email": email,
            "role": role,
            "password_hash": hash_password(password),
            "must_change_password": int(must_change_password),
            "created_at": now(),
        },
    )


def set_password(
    conn: sqlite3.Connection, user_id: int, password: str, must_change: bool = False
) -> None:
    set_password_hash(conn, user_id, hash_password(password), must_change)


def set_password_hash(
    conn: sqlite3.Connection,
    user_id: int,
    password_hash: str,
    must_change: bool = False,
    keep_session: int | None = None,
) -> None:
    """Store a hash made beforehand, so the write transaction does not wait for Argon2.

    Every session made with the old password ends, except `keep_session` (the one of the
    person who changed their own password).
    """
    conn.execute(
        "UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?",
        (password_hash, int(must_change), user_id),
    )
    login_sessions.end_all(conn, user_id, keep=keep_session)


def authenticate(db: Database, username: str, password: str) -> User | None:
    row = db.one("SELECT * FROM users WHERE username = ?", (username,))
    if row is None or row["disabled"]:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row["password_hash"], password):
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        db.write_quiet(_replace_hash, row["id"], row["password_hash"], hash_password(password))
    return _user_from_row(row)


def _replace_hash(conn: sqlite3.Connection, user_id: int, old: str, new: str) -> None:
    """The same password under today's settings; sessions stay. Only while the hash is still
    the one just checked: a password changed meanwhile is not undone."""
    conn.execute(
        "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
        (new, user_id, old),
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_limits(request: Request) -> tuple[timedelta, timedelta]:
    """The absolute lifetime of a sign-in and how long it may sit idle."""
    settings = request.app.state.settings
    return timedelta(days=settings.session_days), timedelta(hours=settings.session_idle_hours)


def start_session(request: Request, token: str) -> None:
    """Put a new session's token in the cookie: nothing else about the sign-in goes there.

    A session this browser had before (signing in again, or the half-way session of a
    two-step sign-in) ends, so it does not linger in the list of one's sessions.
    """
    previous = request.session.get("sid")
    if isinstance(previous, str) and previous != token:
        request.app.state.db.write_quiet(login_sessions.end_by_token, previous)
    request.session.clear()
    request.session["sid"] = token
    request.scope.pop("user", None)
    request.scope.pop("login_session", None)


def end_session(request: Request) -> None:
    request.session.clear()
    request.scope["user"] = None
    request.scope["login_session"] = None


def current_session(request: Request) -> login_sessions.LoginSession | None:
    current_user(request)
    return request.scope["login_session"]


def _session_and_user(request: Request) -> tuple[login_sessions.LoginSession, sqlite3.Row] | None:
    """The live session in the cookie and its user's row; an expired session is deleted."""
    token = request.session.get("sid") if "session" in request.scope else None
    if not isinstance(token, str):
        return None
    db = request.app.state.db
    session = login_sessions.find(db.read(), token)
    if session is None:
        return None
    row = db.one("SELECT * FROM users WHERE id = ?", (session.user_id,))
    lifetime, idle = session_limits(request)
    if session.awaiting_code:
        # Between password and code: a few minutes, never the lifetime of a sign-in.
        lifetime = idle = login_sessions.AWAITING_CODE_LIFETIME
    moment = datetime.now(UTC)
    if session.expired(moment, lifetime, idle):
        db.write_quiet(login_sessions.end, session.user_id, session.id)
        return None
    if row is None or row["disabled"]:
        return None
    if not session.awaiting_code and login_sessions.needs_touch(session, moment):
        db.write_quiet(login_sessions.touch, session.id)
    return session, row


def current_user(request: Request) -> User | None:
    """The signed-in user, or None. Checked on every request: the session must still exist,
    be within its lifetime and idle timeout, have passed two-step sign-in if the account
    uses it, and belong to an account that is not disabled."""
    if "user" in request.scope:
        return request.scope["user"]
    found = _session_and_user(request)
    # "uid": a cookie from before sessions were kept on the server; it signs nobody in.
    # A page rendered in front of the session middleware (a moved node's refusal) has none.
    cookie = request.session if "session" in request.scope else {}
    if found is None and ("sid" in cookie or "uid" in cookie):
        request.session.clear()
    signed_in = found is not None and not found[0].awaiting_code
    request.scope["user"] = _user_from_row(found[1]) if signed_in else None
    request.scope["login_session"] = found[0] if signed_in else None
    return request.scope["user"]


def awaiting_code(request: Request) -> tuple[login_sessions.LoginSession, User] | None:
    """The session that passed the password and now waits for a two-step code, if any."""
    found = _session_and_user(request)
    if found is None or not found[0].awaiting_code:
        return None
    return found[0], _user_from_row(found[1])


Endpoint = Callable[[Request], Awaitable[Response]]


def login_required(role: str | None = None) -> Callable[[Endpoint], Endpoint]:
    """Guard a beheer endpoint: sign in first; with role='beheerder', only beheerders.

    A user without the role gets `Forbidden`, which the app's handler for HTTPException
    answers with the 403 page.
    """

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                return RedirectResponse(
                    f"/beheer/inloggen?volgende={request.url.path}", status_code=303
                )
            if user.must_change_password and request.url.path != "/beheer/wachtwoord":
                return RedirectResponse("/beheer/wachtwoord", status_code=303)
            if role == "beheerder" and not user.is_beheerder:
                raise Forbidden()
            return await endpoint(request)

        return guarded

    return decorate
