"""Checking a password the one way every form does: throttled first, then through the gate.

Sign-in, changing one's password and switching off two-step sign-in all ask for a password;
each check reserves an attempt (node/web/login_throttle.py) before Argon2 runs on the
process's password gate (node/web/password_gate.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request

from node.web import auth, login_throttle
from node.web.auth import User
from node.web.i18n import _, ngettext
from node.web.password_gate import PasswordGateBusy, gate

BUSY_MESSAGE = _("Er loggen nu veel mensen tegelijk in. Probeer het over een minuut opnieuw.")


@dataclass(frozen=True)
class PasswordCheck:
    """The user when the password was right; otherwise a Dutch reason and a status code."""

    user: User | None
    error: str = ""
    status: int = 200


def too_many_attempts(reservation: login_throttle.Reservation) -> str:
    minutes = reservation.retry_minutes
    return (
        ngettext(
            "U heeft te vaak een verkeerde code of een verkeerd wachtwoord ingevuld. Wacht %d minuut en probeer het opnieuw.",
            "U heeft te vaak een verkeerde code of een verkeerd wachtwoord ingevuld. Wacht %d minuten en probeer het opnieuw.",
            minutes,
        )
        % minutes
    )


def throttle_keys(request: Request, subject: str) -> list:
    settings = request.app.state.settings
    return login_throttle.sign_in_keys(
        subject,
        auth.client_address(request),
        settings.login_attempts,
        settings.login_window_minutes,
    )


async def check_password(request: Request, username: str, password: str) -> PasswordCheck:
    """Check `password` for `username`, counting the attempt; a right one forgets earlier misses."""
    db = request.app.state.db
    keys = throttle_keys(request, username)
    reservation = db.write_quiet(login_throttle.reserve, keys)
    if not reservation.allowed:
        return PasswordCheck(None, too_many_attempts(reservation), 429)
    try:
        user = await gate.run(auth.authenticate, db, username, password)
    except PasswordGateBusy:
        # Never checked, so it does not count against the person.
        db.write_quiet(login_throttle.release, reservation)
        return PasswordCheck(None, BUSY_MESSAGE, 429)
    if user is None:
        return PasswordCheck(None, _("De gebruikersnaam of het wachtwoord klopt niet."), 400)
    db.write_quiet(login_throttle.succeeded, reservation, keys[0][0])
    return PasswordCheck(user)


async def new_password_hash(password: str) -> str | None:
    """The Argon2id hash of a new password, or None when the gate is full."""
    try:
        return await gate.run(auth.hash_password, password)
    except PasswordGateBusy:
        return None


def code_keys(request: Request, user_id: int) -> list:
    """The keys a two-step code attempt is counted under; the first is forgotten on success.

    Per account, from every address together: only someone who knows the password gets to
    the code, so no stranger can use this limit to keep the real user out, and an attacker
    who does know the password cannot spread a million guesses over many addresses. The
    address's own limit (shared with passwords) applies too.
    """
    settings = request.app.state.settings
    limit, minutes = settings.login_attempts, settings.login_window_minutes
    return [
        (f"code:{user_id}", login_throttle.Policy(limit, timedelta(minutes=minutes))),
        login_throttle.address_key(auth.client_address(request), limit, minutes),
    ]
