"""RSVPs without an account: signing up, the waiting list, the personal link, and what to tell.

Capacity is decided inside the write transaction. Database.write runs every write in
BEGIN IMMEDIATE on one writer, so two residents signing up at the same moment are counted
one after the other: the places taken are summed again for each, and whoever does not fit
goes on the waiting list. Nothing here reads a count outside the transaction and trusts it.

A group larger than `rsvp_people_without_confirmation` (4 by default), or one that would
take its internet address past twice that many places at this meeting today, first becomes
a request (`rsvp_requests`) that holds no places: only when the resident clicks the link
mailed to the address they gave does it become an RSVP, and capacity is decided then, as
for anyone. Two made-up sign-ups of 20, or ten of 4 from one address, can thus no longer
fill a meeting of 40; a real family or club confirms with one click. Unconfirmed requests
are deleted when the link expires.

Names, e-mail addresses and phone numbers are personal data: they stay in `rsvps`, are shown
only in beheer, and never reach a public dict, an event, a page or the API. What residents
must hear of is recorded as a happening (node/kern/happenings.py); the mails about it are
made and queued by node/kern/mail_effects.py in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from node.db import Database, insert
from node.kern import address_counts, happenings
from node.kern.meetings import model as meetings
from node.kern.meetings.waiting_list import closed_reason as closed_reason
from node.kern.meetings.waiting_list import meeting_row as _meeting
from node.kern.meetings.waiting_list import promote, taken
from node.settings import Settings
from node.web.audit import record_audit
from node.web.auth import User, now
from node.web.i18n import _

MAX_PEOPLE = 20
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# The audit line of a change a resident made through the public site.
RESIDENT = "inwoner"


class RsvpError(ValueError):
    """An RSVP that cannot be made or changed; the message is for the resident."""


class NeedsConfirmation(RsvpError):
    """This sign-up counts only after its e-mail address is confirmed (request_sign_up)."""


@dataclass(frozen=True)
class SignUp:
    id: int
    token: str
    status: str  # aangemeld | wachtlijst
    people: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def personal_path(token: str) -> str:
    return f"/aanmelding/{token}"


def confirm_path(token: str) -> str:
    return f"/aanmelding/bevestigen/{token}"


def needs_confirmation(settings: Settings, people: int) -> bool:
    """Whether a group this large must confirm an e-mail address before its places count."""
    return people > settings.rsvp_people_without_confirmation


def places_per_address(settings: Settings) -> int:
    """Places one address may take at one meeting a day without a confirmed address.

    Two groups' worth: neighbours who share a connection, or a care home signing up a few
    residents. Beyond it an e-mail address confirms, so ten small made-up sign-ups from one
    address cannot fill the hall either.
    """
    return 2 * settings.rsvp_people_without_confirmation


def _is_full(conn: sqlite3.Connection, meeting: sqlite3.Row) -> bool:
    return meeting["capacity"] is not None and taken(conn, meeting["id"]) >= meeting["capacity"]


def _fits(conn: sqlite3.Connection, meeting: sqlite3.Row, people: int, already: int = 0) -> bool:
    if meeting["capacity"] is None:
        return True
    return taken(conn, meeting["id"]) - already + people <= meeting["capacity"]


def _note_fullness(
    conn: sqlite3.Connection, settings: Settings, meeting: sqlite3.Row, was_full: bool
) -> None:
    # The public shape says how many places are left. An event for every RSVP would flood
    # the followers; one when the meeting becomes full, or has room again, tells what matters.
    if _is_full(conn, meeting) != was_full:
        meetings.record_meeting_change(conn, settings, RESIDENT, meeting["id"])


def sign_up(
    conn: sqlite3.Connection,
    settings: Settings,
    meeting_id: int,
    name: str,
    email: str,
    phone: str,
    people: int,
    *,
    token: str | None = None,
    email_confirmed: bool = False,
) -> SignUp:
    """Sign up `people` for a meeting: accepted if they all fit, else on the waiting list.

    Who may sign up how many is the caller's to decide (the public form sends a large group
    through request_sign_up); a confirmed request passes its own token and email_confirmed.
    """
    meeting = _meeting(conn, meeting_id)
    reason = closed_reason(meeting)
    if reason:
        raise RsvpError(reason)
    if not 1 <= people <= MAX_PEOPLE:
        raise RsvpError(_("Kies 1 tot %d personen.") % MAX_PEOPLE)
    was_full = _is_full(conn, meeting)
    status = "aangemeld" if _fits(conn, meeting, people) else "wachtlijst"
    token = token or secrets.token_urlsafe(32)
    stamp = now()
    rsvp_id = insert(
        conn,
        "rsvps",
        {
            "meeting_id": meeting_id,
            "name": name,
            "email": email,
            "phone": phone,
            "people": people,
            "status": status,
            "token_hash": token_hash(token),
            "created_at": stamp,
            "updated_at": stamp,
            "email_confirmed_at": stamp if email_confirmed else None,
        },
    )
    if email:
        happenings.record(
            conn,
            happenings.RSVP_CONFIRMED if status == "aangemeld" else happenings.RSVP_WAITLISTED,
            meeting_id=meeting_id,
            rsvp_id=rsvp_id,
            link=settings.url(personal_path(token)),
        )
    # The group hears of every sign-up, with an address or without (no name in that mail).
    happenings.record(conn, happenings.RSVP_NEW, meeting_id=meeting_id)
    _note_fullness(conn, settings, meeting, was_full)
    return SignUp(rsvp_id, token, status, people)


def sign_up_anonymous(
    conn: sqlite3.Connection,
    settings: Settings,
    meeting_id: int,
    name: str,
    email: str,
    phone: str,
    people: int,
    address_key: str,
    day: str,
) -> SignUp:
    """The public form's sign-up: at once for a small group within its address's share of
    today's places (address_counts.py); else NeedsConfirmation, for request_sign_up."""
    if needs_confirmation(settings, people):
        raise NeedsConfirmation(missing_email_message(settings))
    taken_here = address_counts.used(conn, "bijeenkomst", meeting_id, address_key, day)
    if taken_here + people > places_per_address(settings):
        raise NeedsConfirmation(
            _(
                "Vanaf uw internetadres zijn vandaag al veel plaatsen voor deze bijeenkomst gereserveerd. Vul uw e-mailadres in. U krijgt dan een e-mail om uw aanmelding te bevestigen."
            )
        )
    result = sign_up(conn, settings, meeting_id, name, email, phone, people)
    address_counts.add(conn, "bijeenkomst", meeting_id, address_key, day, people)
    return result


# --- A large group: a request, confirmed by e-mail -------------------------------------------


def _expiry(settings: Settings, at: str) -> str:
    moment = datetime.fromisoformat(at) + timedelta(hours=settings.rsvp_confirm_hours)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def request_sign_up(
    conn: sqlite3.Connection,
    settings: Settings,
    meeting_id: int,
    name: str,
    email: str,
    phone: str,
    people: int,
) -> str:
    """Keep a large group's sign-up and mail the link that confirms it; returns its token.

    The request takes no places: a sign-up with a made-up address never keeps anyone out.
    """
    meeting = _meeting(conn, meeting_id)
    reason = closed_reason(meeting)
    if reason:
        raise RsvpError(reason)
    if not 1 <= people <= MAX_PEOPLE:
        raise RsvpError(_("Kies 1 tot %d personen.") % MAX_PEOPLE)
    if not email:
        raise RsvpError(missing_email_message(settings))
    token = secrets.token_urlsafe(32)
    stamp = now()
    request_id = insert(
        conn,
        "rsvp_requests",
        {
            "meeting_id": meeting_id,
            "name": name,
            "email": email,
            "phone": phone,
            "people": people,
            "token_hash": token_hash(token),
            "created_at": stamp,
            "expires_at": _expiry(settings, stamp),
        },
    )
    happenings.record(
        conn,
        happenings.RSVP_REQUESTED,
        meeting_id=meeting_id,
        request_id=request_id,
        link=settings.url(confirm_path(token)),
    )
    return token


def missing_email_message(settings: Settings) -> str:
    return _(
        "Komt u met meer dan %d personen? Vul dan uw e-mailadres in. U krijgt een e-mail om uw aanmelding te bevestigen."
    ) % (settings.rsvp_people_without_confirmation)


def get_request(db_or_conn, token: str, at: str | None = None) -> sqlite3.Row | None:
    """The unexpired request behind a confirmation link, with its meeting's slug."""
    if not TOKEN_RE.match(token or ""):
        return None
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        """SELECT q.*, m.slug AS meeting_slug FROM rsvp_requests q
           JOIN meetings m ON m.id = q.meeting_id
           WHERE q.token_hash = ? AND m.removed_at IS NULL AND q.expires_at > ?""",
        (token_hash(token), at or now()),
    ).fetchone()


def confirm_request(conn: sqlite3.Connection, settings: Settings, token: str) -> SignUp:
    """The resident clicked the link: the request becomes an RSVP, its places decided now.

    The same token becomes the personal link, so the page after confirming is theirs.
    """
    request = get_request(conn, token)
    if request is None:
        raise RsvpError(
            _(
                "Deze link werkt niet meer. Misschien is hij verlopen of al gebruikt. Meld u opnieuw aan."
            )
        )
    conn.execute("DELETE FROM rsvp_requests WHERE id = ?", (request["id"],))
    return sign_up(
        conn,
        settings,
        request["meeting_id"],
        request["name"],
        request["email"],
        request["phone"],
        request["people"],
        token=token,
        email_confirmed=True,
    )


def expire_requests(conn: sqlite3.Connection, at: str | None = None) -> int:
    """Delete the requests nobody confirmed in time, with the name and address in them."""
    return conn.execute("DELETE FROM rsvp_requests WHERE expires_at <= ?", (at or now(),)).rowcount


def run_expiry(db: Database, at: str | None = None) -> int:
    """The periodic job: a read first, a write only when something expired."""
    moment = at or now()
    if not db.scalar("SELECT count(*) FROM rsvp_requests WHERE expires_at <= ?", (moment,)):
        return 0
    return db.write(expire_requests, moment)


def get_by_token(db_or_conn, token: str) -> sqlite3.Row | None:
    """The RSVP behind a personal link, with its meeting's title and times; None if unknown."""
    if not TOKEN_RE.match(token or ""):
        return None
    conn = db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn
    return conn.execute(
        """SELECT r.*, m.slug AS meeting_slug FROM rsvps r
           JOIN meetings m ON m.id = r.meeting_id
           WHERE r.token_hash = ? AND m.removed_at IS NULL""",
        (token_hash(token),),
    ).fetchone()


def _rsvp(conn: sqlite3.Connection, rsvp_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM rsvps WHERE id = ?", (rsvp_id,)).fetchone()


def _changeable(conn: sqlite3.Connection, rsvp: sqlite3.Row) -> sqlite3.Row:
    if rsvp["status"] == "afgemeld":
        raise RsvpError(_("U heeft zich al afgemeld voor deze bijeenkomst."))
    meeting = _meeting(conn, rsvp["meeting_id"])
    if meeting["status"] == "geannuleerd":
        raise RsvpError(_("Deze bijeenkomst gaat niet door. U hoeft niets te doen."))
    if meeting["starts_at"] <= now():
        raise RsvpError(
            _(
                "Deze bijeenkomst is al begonnen of voorbij. U kunt uw aanmelding niet meer veranderen."
            )
        )
    return meeting


def change_people(
    conn: sqlite3.Connection,
    settings: Settings,
    rsvp_id: int,
    people: int,
) -> str:
    """Change the number of people of an RSVP; returns its status afterwards.

    More people than there is room for is refused (the resident keeps the places they have);
    fewer frees places for the waiting list.
    """
    rsvp = _rsvp(conn, rsvp_id)
    meeting = _changeable(conn, rsvp)
    if not 1 <= people <= MAX_PEOPLE:
        raise RsvpError(_("Kies 1 tot %d personen.") % MAX_PEOPLE)
    if (
        people > rsvp["people"]
        and needs_confirmation(settings, people)
        and not rsvp["email_confirmed_at"]
    ):
        # Else a sign-up of one could grow to twenty through its link, unconfirmed.
        raise RsvpError(
            _(
                "Voor meer dan %d personen moet u uw e-mailadres bevestigen. Meld u hier af en meld u opnieuw aan met uw e-mailadres."
            )
            % settings.rsvp_people_without_confirmation
        )
    was_full = _is_full(conn, meeting)
    if rsvp["status"] == "aangemeld" and not _fits(conn, meeting, people, rsvp["people"]):
        free = meeting["capacity"] - taken(conn, meeting["id"]) + rsvp["people"]
        raise RsvpError(
            _("Er is plaats voor %d personen. Kies een kleiner aantal of houd uw aanmelding zo.")
            % free
        )
    conn.execute(
        "UPDATE rsvps SET people = ?, updated_at = ? WHERE id = ?", (people, now(), rsvp_id)
    )
    promote(conn, meeting["id"])
    _note_fullness(conn, settings, meeting, was_full)
    return _rsvp(conn, rsvp_id)["status"]


def cancel_rsvp(conn: sqlite3.Connection, settings: Settings, rsvp_id: int) -> None:
    """Sign off: the places go to the waiting list, in the order people signed up."""
    rsvp = _rsvp(conn, rsvp_id)
    meeting = _changeable(conn, rsvp)
    was_full = _is_full(conn, meeting)
    conn.execute(
        "UPDATE rsvps SET status = 'afgemeld', updated_at = ? WHERE id = ?", (now(), rsvp_id)
    )
    promote(conn, meeting["id"])
    _note_fullness(conn, settings, meeting, was_full)


def mail_link(
    conn: sqlite3.Connection, settings: Settings, rsvp_id: int, email: str, token: str
) -> None:
    """A resident who signed up without an e-mail address asks for their link by mail.

    The address is kept with the RSVP, as if given on the form: a cancelled or moved
    meeting is then told to them too. The mail itself is mail_effects.py's.
    """
    rsvp = _rsvp(conn, rsvp_id)
    if rsvp["email"]:
        raise RsvpError(_("We hebben uw e-mailadres al. De link staat in de e-mail die u kreeg."))
    if rsvp["status"] == "afgemeld":
        raise RsvpError(_("U bent afgemeld. Meld u opnieuw aan als u toch wilt komen."))
    conn.execute("UPDATE rsvps SET email = ?, updated_at = ? WHERE id = ?", (email, now(), rsvp_id))
    happenings.record(
        conn,
        happenings.RSVP_LINK_MAILED,
        meeting_id=rsvp["meeting_id"],
        rsvp_id=rsvp_id,
        link=settings.url(personal_path(token)),
    )


# --- For the group -----------------------------------------------------------------------


def remove_rsvps(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User,
    meeting_id: int,
    rsvp_ids: list[int],
) -> int:
    """Beheer removes sign-ups it does not trust (made up, a script): their places go to the
    waiting list as when someone signs off. Returns how many were removed.

    The rows are deleted, not signed off: a made-up sign-up is nobody's history, and its
    name and address should not stay. Nobody is mailed. The audit line holds counts only.
    """
    meeting = _meeting(conn, meeting_id)
    marks = ",".join("?" * len(rsvp_ids))
    rows = conn.execute(
        f"SELECT id, people FROM rsvps WHERE meeting_id = ? AND id IN ({marks})",
        [meeting_id, *rsvp_ids],
    ).fetchall()
    if len(rows) != len(set(rsvp_ids)):
        raise RsvpError(_("Een van de gekozen aanmeldingen bestaat niet (meer). Kies opnieuw."))
    was_full = _is_full(conn, meeting)
    conn.execute(f"DELETE FROM rsvps WHERE id IN ({marks})", list(rsvp_ids))
    promoted = promote(conn, meeting_id)
    _note_fullness(conn, settings, meeting, was_full)
    record_audit(
        conn,
        who,
        "aanmeldingen.verwijderd",
        meetings.OBJECT_TYPE,
        meeting_id,
        f"{meeting['title']}: {len(rows)} aanmeldingen ({sum(r['people'] for r in rows)} "
        f"personen) verwijderd, {len(promoted)} van de wachtlijst doorgeschoven",
    )
    return len(rows)


def attendees(db: Database, meeting_id: int) -> list[sqlite3.Row]:
    """Everyone who signed up, accepted first, then the waiting list, then who signed off."""
    return db.execute(
        """SELECT * FROM rsvps WHERE meeting_id = ?
           ORDER BY CASE status WHEN 'aangemeld' THEN 0 WHEN 'wachtlijst' THEN 1 ELSE 2 END,
                    created_at, id""",
        (meeting_id,),
    )


def pending(db: Database, meeting_id: int) -> list[sqlite3.Row]:
    """Large groups that have not confirmed their e-mail address yet: they take no places."""
    return db.execute(
        """SELECT * FROM rsvp_requests WHERE meeting_id = ? AND expires_at > ?
           ORDER BY created_at, id""",
        (meeting_id, now()),
    )


def totals(db: Database, meeting_id: int) -> dict[str, int]:
    """People and RSVPs per status, for the top of the attendee list."""
    result = {
        f"{status}_{kind}": 0
        for status in ("aangemeld", "wachtlijst", "afgemeld")
        for kind in ("people", "rsvps")
    }
    for row in db.execute(
        """SELECT status, coalesce(sum(people), 0) AS people, count(*) AS n FROM rsvps
           WHERE meeting_id = ? GROUP BY status""",
        (meeting_id,),
    ):
        result[f"{row['status']}_people"] = row["people"]
        result[f"{row['status']}_rsvps"] = row["n"]
    return result
