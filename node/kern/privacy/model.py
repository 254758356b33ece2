"""Residents' contact details: removed after a retention period, exported or deleted on request.

Who RSVPs, volunteers or sends an idea leaves a name and contact details. They are removed
automatically `privacy_retention_days` after they stop being needed:
- an RSVP: after the meeting ended;
- a volunteer: after signing up, or as soon as the project is afgerond, gestopt or removed;
- an idea: after the group decided on it (published or declined), or removed it;
- a mail: after it was sent or given up (the address and text are personal too).
Removing keeps the row, so counts stay right (people at a meeting, volunteers of a
project): the name becomes "verwijderd" (ideas: empty) and `contact_removed_at` is set.

The beheer function for one person finds rows by e-mail address, phone number or name,
exactly but case-insensitively (phone numbers also without spaces and with +31 as 0). A
project's trekker is found by name too: erasing takes the name off the project, and the
Update that publishes takes it out of the kern's published history as well
(node/kern/federation/erasure.py).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from node.db import Database
from node.email_address import is_email_address
from node.kern.projects import model as projects
from node.kern.subscriptions import model as subscriptions
from node.settings import Settings
from node.web.audit import record_audit
from node.web.auth import User

REMOVED_NAME = "verwijderd"
SYSTEM = "systeem"
FINISHED_PHASES = ("afgerond", "gestopt")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# --- retention -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removed:
    rsvps: int = 0
    volunteers: int = 0
    ideas: int = 0
    mails: int = 0

    @property
    def total(self) -> int:
        return self.rsvps + self.volunteers + self.ideas + self.mails

    def summary(self) -> str:
        """Counts only: this goes into the audit log, which must hold nobody's data."""
        return (
            f"rsvps={self.rsvps} volunteers={self.volunteers} ideas={self.ideas} mails={self.mails}"
        )


# Each rule is a WHERE clause over one table with :cutoff (now minus the retention period);
# datetime() compares moments whatever offset a column was written with.
_EXPIRED_RSVPS = """contact_removed_at IS NULL AND meeting_id IN (
    SELECT id FROM meetings WHERE datetime(ends_at) < datetime(:cutoff))"""
_EXPIRED_VOLUNTEERS = f"""contact_removed_at IS NULL AND (
    datetime(created_at) < datetime(:cutoff)
    OR project_id IN (SELECT id FROM projects
                      WHERE phase IN {FINISHED_PHASES!r} OR removed_at IS NOT NULL))"""
_EXPIRED_IDEAS = """contact_removed_at IS NULL
    AND datetime(coalesce(decided_at, removed_at)) < datetime(:cutoff)"""
# Handed over to a new node by `bloei export` (node/kern/moving/handover.py): this one never sends it.
_EXPIRED_MAILS = """datetime(coalesce(sent_at, given_up_at, handed_over_at)) < datetime(:cutoff)"""


def _cutoff(retention_days: int, now: datetime) -> str:
    return _stamp(now - timedelta(days=retention_days))


def count_expired(db: Database, retention_days: int, now: datetime) -> Removed:
    params = {"cutoff": _cutoff(retention_days, now)}
    return Removed(
        rsvps=db.scalar(f"SELECT count(*) FROM rsvps WHERE {_EXPIRED_RSVPS}", params),
        volunteers=db.scalar(
            f"SELECT count(*) FROM volunteers WHERE {_EXPIRED_VOLUNTEERS}", params
        ),
        ideas=db.scalar(f"SELECT count(*) FROM ideas WHERE {_EXPIRED_IDEAS}", params),
        mails=db.scalar(f"SELECT count(*) FROM mail_queue WHERE {_EXPIRED_MAILS}", params),
    )


def remove_expired(conn: sqlite3.Connection, retention_days: int, now: datetime) -> Removed:
    """Remove the contact details whose retention period has passed (inside a write)."""
    params = {"cutoff": _cutoff(retention_days, now), "now": _stamp(now), "name": REMOVED_NAME}
    rsvps = conn.execute(
        f"""UPDATE rsvps SET name = :name, email = '', phone = '', contact_removed_at = :now
            WHERE {_EXPIRED_RSVPS}""",
        params,
    ).rowcount
    volunteers = conn.execute(
        f"""UPDATE volunteers SET name = :name, contact = '', message = '',
            contact_removed_at = :now WHERE {_EXPIRED_VOLUNTEERS}""",
        params,
    ).rowcount
    ideas = conn.execute(
        f"""UPDATE ideas SET name = '', contact = '', contact_removed_at = :now
            WHERE {_EXPIRED_IDEAS}""",
        params,
    ).rowcount
    mails = conn.execute(f"DELETE FROM mail_queue WHERE {_EXPIRED_MAILS}", params).rowcount
    return Removed(rsvps, volunteers, ideas, mails)


def run_retention(
    db: Database, settings: Settings, now: datetime | None = None, who: User | str = SYSTEM
) -> Removed:
    """The periodic cleanup: count with a read first, write (and audit) only if needed."""
    now = now or datetime.now(UTC)
    if not count_expired(db, settings.privacy_retention_days, now).total:
        return Removed()

    def remove(conn: sqlite3.Connection) -> Removed:
        removed = remove_expired(conn, settings.privacy_retention_days, now)
        if removed.total:
            record_audit(conn, who, "privacy.retention", "privacy", "", removed.summary())
        return removed

    return db.write(remove)


# --- one person: find, export, delete --------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-./()]")
_PHONE_RE = re.compile(r"^\+?\d{6,15}$")


def _text(value: str) -> str:
    return " ".join(value.split()).casefold()


def _phone(value: str) -> str | None:
    digits = _PHONE_SEPARATORS.sub("", value)
    if not _PHONE_RE.match(digits):
        return None
    if digits.startswith("+31"):
        return "0" + digits[3:]
    if digits.startswith("0031"):
        return "0" + digits[4:]
    return digits


def matches(value: str | None, query: str) -> bool:
    """Exact, case-insensitive; phone numbers also without separators and with +31 as 0."""
    if not value or not query.strip():
        return False
    if _text(value) == _text(query):
        return True
    phone = _phone(query)
    return phone is not None and _phone(value) == phone


def is_email(query: str) -> bool:
    return is_email_address(query.strip())


def mentions(text: str, address: str) -> bool:
    """Whether text holds the whole address, not a longer one that contains it."""
    pattern = r"(?<![\w.+-])" + re.escape(address) + r"(?![\w-]|\.\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


@dataclass
class PersonData:
    query: str
    rsvps: list[dict] = field(default_factory=list)
    volunteers: list[dict] = field(default_factory=list)
    ideas: list[dict] = field(default_factory=list)
    mails: list[dict] = field(default_factory=list)
    trekkers: list[dict] = field(default_factory=list)
    subscriptions: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.rsvps)
            + len(self.volunteers)
            + len(self.ideas)
            + len(self.mails)
            + len(self.trekkers)
            + len(self.subscriptions)
        )

    def summary(self) -> str:
        """Counts only, for the audit log."""
        return (
            f"rsvps={len(self.rsvps)} volunteers={len(self.volunteers)} "
            f"ideas={len(self.ideas)} mails={len(self.mails)} trekkers={len(self.trekkers)} "
            f"subscriptions={len(self.subscriptions)}"
        )


def find_person(conn: sqlite3.Connection, query: str) -> PersonData:
    """Everything the node holds about the person with this address, number or name."""
    query = query.strip()
    found = PersonData(query)
    if not query:
        return found
    # Few rows hold contact details (the rest were removed), so matching in Python is cheap
    # and lets phone numbers match however they were typed.
    for row in conn.execute(
        """SELECT r.id, r.name, r.email, r.phone, r.people, r.status, r.created_at,
                  m.title AS meeting, m.starts_at AS meeting_starts_at
           FROM rsvps r JOIN meetings m ON m.id = r.meeting_id
           WHERE r.contact_removed_at IS NULL ORDER BY r.id"""
    ):
        if any(matches(row[key], query) for key in ("name", "email", "phone")):
            found.rsvps.append(dict(row))
    for row in conn.execute(
        """SELECT v.id, v.name, v.contact, v.message, v.consent_at, v.created_at,
                  p.title AS project
           FROM volunteers v JOIN projects p ON p.id = v.project_id
           WHERE v.contact_removed_at IS NULL ORDER BY v.id"""
    ):
        if matches(row["name"], query) or matches(row["contact"], query):
            found.volunteers.append(dict(row))
    for row in conn.execute(
        """SELECT id, title, body, name, contact, status, created_at FROM ideas
           WHERE contact_removed_at IS NULL AND (name != '' OR contact != '') ORDER BY id"""
    ):
        if matches(row["name"], query) or matches(row["contact"], query):
            found.ideas.append(dict(row))
    for row in conn.execute(
        """SELECT id, title AS project, trekker_name AS name, trekker_consent AS shown,
                  removed_at FROM projects WHERE trekker_name != '' ORDER BY id"""
    ):
        if matches(row["name"], query):
            found.trekkers.append(dict(row))
    # Following the kern by e-mail: found by the address only.
    if is_email(query):
        found.subscriptions = subscriptions.of_address(conn, query)
    # Mails to the address, and, for an address, mails that mention it (a notice to the group
    # about a new idea carries the sender's contact details).
    email = is_email(query)
    for row in conn.execute(
        """SELECT id, purpose, to_address, subject, body, created_at, sent_at, given_up_at
           FROM mail_queue
           WHERE lower(trim(to_address)) = lower(:q)
              OR (:email AND instr(lower(subject || ' ' || body), lower(:q)) > 0)
           ORDER BY id""",
        {"q": query, "email": email},
    ):
        to_them = row["to_address"].strip().casefold() == query.casefold()
        if to_them or mentions(row["subject"] + " " + row["body"], query):
            found.mails.append(dict(row))
    return found


def export_person(data: PersonData, settings: Settings, now: datetime | None = None) -> dict:
    """The JSON a resident receives: what this kern's node holds about them."""
    moment = _stamp(now or datetime.now(UTC))
    return {
        "kern": settings.name,
        "site": settings.public_url,
        "exported_at": moment,
        "rsvps": [
            {
                "meeting": row["meeting"],
                "meeting_starts_at": row["meeting_starts_at"],
                "name": row["name"],
                "email": row["email"],
                "phone": row["phone"],
                "people": row["people"],
                "status": row["status"],
                "created_at": row["created_at"],
            }
            for row in data.rsvps
        ],
        "volunteers": [
            {
                "project": row["project"],
                "name": row["name"],
                "contact": row["contact"],
                "message": row["message"],
                "consent_at": row["consent_at"],
                "created_at": row["created_at"],
            }
            for row in data.volunteers
        ],
        "ideas": [
            {
                "title": row["title"],
                "body": row["body"],
                "name": row["name"],
                "contact": row["contact"],
                "status": row["status"],
                "created_at": row["created_at"],
            }
            for row in data.ideas
        ],
        "mails": [
            {
                "to": row["to_address"],
                "subject": row["subject"],
                "body": row["body"],
                "created_at": row["created_at"],
                "sent_at": row["sent_at"],
            }
            for row in data.mails
        ],
        "trekker": [
            {"project": row["project"], "name": row["name"], "shown_on_site": bool(row["shown"])}
            for row in data.trekkers
        ],
        "subscriptions": [
            {
                "email": row["email"],
                "follows": row["topic"],
                "project": row["project_title"],
                "frequency": row["frequency"],
                "created_at": row["created_at"],
                "confirmed_at": row["confirmed_at"],
            }
            for row in data.subscriptions
        ],
    }


def delete_person(
    conn: sqlite3.Connection,
    query: str,
    now: datetime | None = None,
    *,
    settings: Settings,
    who: User | str = SYSTEM,
) -> PersonData:
    """Remove one person's details everywhere (inside a write); returns what was found.

    Rows are found again inside the transaction, so what is removed is what is there now.
    RSVPs, volunteers and ideas keep their row without the details (counts stay right);
    mails are deleted, sent or not; a trekker's name goes from the project and from what the
    kern published about it (an Update to the followers, the history rewritten).
    """
    moment = _stamp(now or datetime.now(UTC))
    found = find_person(conn, query)
    for row in found.rsvps:
        conn.execute(
            """UPDATE rsvps SET name = ?, email = '', phone = '', contact_removed_at = ?
               WHERE id = ?""",
            (REMOVED_NAME, moment, row["id"]),
        )
    for row in found.volunteers:
        conn.execute(
            """UPDATE volunteers SET name = ?, contact = '', message = '',
               contact_removed_at = ? WHERE id = ?""",
            (REMOVED_NAME, moment, row["id"]),
        )
    for row in found.ideas:
        conn.execute(
            "UPDATE ideas SET name = '', contact = '', contact_removed_at = ? WHERE id = ?",
            (moment, row["id"]),
        )
    conn.executemany("DELETE FROM mail_queue WHERE id = ?", [(row["id"],) for row in found.mails])
    for row in found.trekkers:
        projects.erase_trekker(conn, settings, who, row["id"])
    for row in found.subscriptions:
        subscriptions.unsubscribe(conn, row["id"])
    return found


def held_counts(db: Database) -> dict[str, int]:
    """How many rows still hold contact details, per kind: for the beheer page."""
    return {
        "rsvps": db.scalar("SELECT count(*) FROM rsvps WHERE contact_removed_at IS NULL"),
        "volunteers": db.scalar("SELECT count(*) FROM volunteers WHERE contact_removed_at IS NULL"),
        "ideas": db.scalar(
            """SELECT count(*) FROM ideas
               WHERE contact_removed_at IS NULL AND (name != '' OR contact != '')"""
        ),
        "mails": db.scalar("SELECT count(*) FROM mail_queue"),
        "subscriptions": db.scalar("SELECT count(*) FROM subscriptions"),
    }
