"""Bijeenkomsten: meetings in person, their series, thema's and projects, status and verslag.

Times are stored in UTC as ISO text ("2026-03-02T18:30:00+00:00"), all in one format, so they
sort and compare as text in SQL; people enter and read them in Europe/Amsterdam. A meeting
that is cancelled keeps its row (with the reason), so its page, calendar item and history
stay; "afgelopen" is never stored, it follows from the end time.

RSVPs live in rsvp.py, which imports this module. The places here that change who may come
or what they come to (more room, a move, a cancellation) let the waiting list in through
waiting_list.py and record what the attendees must hear of (happenings.py); the mails
themselves are made by mail_effects.py, before the write commits.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil import rrule as rr

from node.db import Database, insert, update
from node.kern import happenings, search
from node.kern.changes import record_change, unique_slug
from node.kern.meetings.display import AMSTERDAM as AMSTERDAM
from node.kern.meetings.display import CALENDAR_FIELDS
from node.kern.meetings.display import calendar_path as calendar_path
from node.kern.meetings.display import day_text as day_text
from node.kern.meetings.display import local as local
from node.kern.meetings.display import local_iso as local_iso
from node.kern.meetings.display import location_text as location_text
from node.kern.meetings.display import meeting_path as meeting_path
from node.kern.meetings.display import status_of as status_of
from node.kern.meetings.display import when_text as when_text
from node.kern.meetings.waiting_list import promote
from node.kern.projects import model as projects
from node.settings import Settings
from node.vocabulary import PHASES_NEEDING_REASON
from node.web.auth import User, now
from node.web.dutch_format import format_moment
from node.web.i18n import _, lazy

OBJECT_TYPE = "Bijeenkomst"
SEARCH_KIND = "bijeenkomst"
EDIT_FIELDS = ("title", "description", "capacity")
PLACE_FIELDS = ("starts_at", "ends_at", "place_name", "place_address")
# How far back the subscribable calendar reaches: residents want what is coming, and a
# calendar app re-reads the whole file every few hours.
CALENDAR_PAST_DAYS = 365


class MeetingError(ValueError):
    """A change that is not allowed; the message is for the person who tried, `field` says where."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


# --- Time ----------------------------------------------------------------------------------


def utc_iso(moment: datetime) -> str:
    """The stored form of a moment: UTC, seconds, '+00:00', like node.web.auth.now()."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def local_moment(day: date, at: time) -> datetime:
    """A wall-clock time in the Netherlands as an aware datetime.

    Raises MeetingError for a time that does not exist there (02:30 on the night the clocks
    go forward); an ambiguous time in October takes the first (summer) one, as zoneinfo does.
    """
    naive = datetime.combine(day, at.replace(second=0, microsecond=0))
    moment = naive.replace(tzinfo=AMSTERDAM)
    if moment.astimezone(UTC).astimezone(AMSTERDAM).replace(tzinfo=None) != naive:
        raise MeetingError(
            _("Deze tijd bestaat niet op %s: dan gaat de klok een uur vooruit.")
            % format_moment(naive, "d MMMM y")
        )
    return moment


# Labels are translated where they are shown, through vocabulary.label().
STATUS_LABELS = {
    "gepland": lazy("Gepland"),
    "geannuleerd": lazy("Geannuleerd"),
    "afgelopen": lazy("Afgelopen"),
}


# --- Reading ---------------------------------------------------------------------------------


# Places taken: the people of accepted RSVPs. One expression, used by every list.
_TAKEN = (
    "(SELECT coalesce(sum(r.people), 0) FROM rsvps r "
    "WHERE r.meeting_id = m.id AND r.status = 'aangemeld')"
)
_WAITING = (
    "(SELECT coalesce(sum(r.people), 0) FROM rsvps r "
    "WHERE r.meeting_id = m.id AND r.status = 'wachtlijst')"
)
_SELECT = f"SELECT m.*, {_TAKEN} AS taken, {_WAITING} AS waiting FROM meetings m"


def _conn(db_or_conn) -> sqlite3.Connection:
    return db_or_conn.read() if isinstance(db_or_conn, Database) else db_or_conn


def _thema_clause(thema_slug: str | None) -> tuple[str, list]:
    if not thema_slug:
        return "", []
    return (
        """ AND m.id IN (SELECT mt.meeting_id FROM meeting_themas mt
           JOIN themas t ON t.id = mt.thema_id WHERE t.slug = ? AND t.removed_at IS NULL)""",
        [thema_slug],
    )


def list_upcoming(
    db: Database, thema_slug: str | None = None, limit: int = 24, at: str | None = None
) -> list[sqlite3.Row]:
    """Meetings that have not ended yet, the next first; cancelled ones too, marked."""
    clause, params = _thema_clause(thema_slug)
    return db.execute(
        f"""{_SELECT} WHERE m.removed_at IS NULL AND m.ends_at >= ?{clause}
            ORDER BY m.starts_at, m.id LIMIT ?""",
        [at or now(), *params, limit],
    )


def count_upcoming(db: Database, thema_slug: str | None = None, at: str | None = None) -> int:
    clause, params = _thema_clause(thema_slug)
    return db.scalar(
        f"SELECT count(*) FROM meetings m WHERE m.removed_at IS NULL AND m.ends_at >= ?{clause}",
        [at or now(), *params],
    )


def list_past(
    db: Database,
    thema_slug: str | None = None,
    limit: int = 10,
    offset: int = 0,
    at: str | None = None,
) -> list[sqlite3.Row]:
    """Meetings that have ended, the latest first; the page shows them a few at a time."""
    clause, params = _thema_clause(thema_slug)
    return db.execute(
        f"""{_SELECT} WHERE m.removed_at IS NULL AND m.ends_at < ?{clause}
            ORDER BY m.starts_at DESC, m.id DESC LIMIT ? OFFSET ?""",
        [at or now(), *params, limit, offset],
    )


def count_past(db: Database, thema_slug: str | None = None, at: str | None = None) -> int:
    clause, params = _thema_clause(thema_slug)
    return db.scalar(
        f"SELECT count(*) FROM meetings m WHERE m.removed_at IS NULL AND m.ends_at < ?{clause}",
        [at or now(), *params],
    )


# Which meetings a listing by time shows, and in which order: what is coming the next
# first, what is over the latest first, all of them in the order they happen.
WHEN = {
    "komend": ("m.ends_at >= ?", "m.starts_at, m.id"),
    "voorbij": ("m.ends_at < ?", "m.starts_at DESC, m.id DESC"),
    "alles": ("? IS NOT NULL", "m.starts_at, m.id"),
}


def list_when(
    db: Database,
    when: str,
    thema_slug: str | None = None,
    limit: int = 20,
    offset: int = 0,
    at: str | None = None,
) -> tuple[list[sqlite3.Row], int]:
    """One page of the meetings `when` (a key of WHEN) selects, and how many there are."""
    condition, order = WHEN[when]
    clause, params = _thema_clause(thema_slug)
    where = f"m.removed_at IS NULL AND {condition}{clause}"
    args = [at or now(), *params]
    total = db.scalar(f"SELECT count(*) FROM meetings m WHERE {where}", args)
    rows = db.execute(
        f"{_SELECT} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, offset]
    )
    return rows, total


def next_status_change(db: Database, at: str | None = None) -> str | None:
    """The end of the next meeting to end: the first moment a meeting's status ('afgelopen')
    and the listings by time change without anything being written."""
    return db.scalar(
        "SELECT min(ends_at) FROM meetings WHERE removed_at IS NULL AND ends_at >= ?",
        (at or now(),),
    )


def next_meeting(db: Database) -> sqlite3.Row | None:
    """The next meeting that goes ahead: what the home page and the list put on top."""
    return db.one(
        f"""{_SELECT} WHERE m.removed_at IS NULL AND m.status = 'gepland' AND m.ends_at >= ?
            ORDER BY m.starts_at, m.id LIMIT 1""",
        (now(),),
    )


def calendar_since() -> str:
    return utc_iso(datetime.now(UTC) - timedelta(days=CALENDAR_PAST_DAYS))


def for_calendar(db: Database, since: str | None = None) -> list[sqlite3.Row]:
    """The meetings of the calendar feed, with only the fields their events are made from."""
    return db.execute(
        f"SELECT {', '.join(CALENDAR_FIELDS)} FROM meetings"
        " WHERE removed_at IS NULL AND ends_at >= ? ORDER BY starts_at, id",
        (since or calendar_since(),),
    )


def calendar_version(db: Database, since: str) -> str:
    """Changes whenever the calendar from `since` may: with the data, or when the meeting that
    ended first among those it shows grows too old for it."""
    first_end = db.scalar(
        "SELECT min(ends_at) FROM meetings WHERE removed_at IS NULL AND ends_at >= ?", (since,)
    )
    return f"{db.data_version()}|{first_end}"


def calendar_changed_at(db: Database, since: str) -> datetime | None:
    """The newest change to what the calendar from `since` shows: a meeting made or changed,
    one taken off the site, or the last one that grew too old for it and dropped out."""
    changed, removed, aged = db.execute(
        """SELECT
             (SELECT max(updated_at) FROM meetings WHERE removed_at IS NULL AND ends_at >= ?),
             (SELECT max(removed_at) FROM meetings),
             (SELECT max(ends_at) FROM meetings WHERE removed_at IS NULL AND ends_at < ?)""",
        (since, since),
    )[0]
    moments = [datetime.fromisoformat(value) for value in (changed, removed) if value]
    if aged:
        moments.append(datetime.fromisoformat(aged) + timedelta(days=CALENDAR_PAST_DAYS))
    return max(moments, default=None)


def get_meeting(db_or_conn, slug: str) -> sqlite3.Row | None:
    return (
        _conn(db_or_conn)
        .execute(f"{_SELECT} WHERE m.slug = ? AND m.removed_at IS NULL", (slug,))
        .fetchone()
    )


def get_meeting_by_id(db_or_conn, meeting_id: int) -> sqlite3.Row | None:
    return (
        _conn(db_or_conn)
        .execute(f"{_SELECT} WHERE m.id = ? AND m.removed_at IS NULL", (meeting_id,))
        .fetchone()
    )


def places_left(row) -> int | None:
    """Free places of a row from the lists above; None when there is no maximum."""
    if row["capacity"] is None:
        return None
    return max(0, row["capacity"] - row["taken"])


def themas_of(db_or_conn, meeting_id: int) -> list[sqlite3.Row]:
    return (
        _conn(db_or_conn)
        .execute(
            """SELECT t.* FROM themas t JOIN meeting_themas mt ON mt.thema_id = t.id
           WHERE mt.meeting_id = ? AND t.removed_at IS NULL ORDER BY t.title COLLATE NOCASE""",
            (meeting_id,),
        )
        .fetchall()
    )


def projects_of(db_or_conn, meeting_id: int) -> list[sqlite3.Row]:
    return (
        _conn(db_or_conn)
        .execute(
            """SELECT p.* FROM projects p JOIN meeting_projects mp ON mp.project_id = p.id
           WHERE mp.meeting_id = ? AND p.removed_at IS NULL ORDER BY p.title COLLATE NOCASE""",
            (meeting_id,),
        )
        .fetchall()
    )


def decisions_of(db_or_conn, meeting_id: int) -> list[sqlite3.Row]:
    """Phase changes decided at this meeting, for its page."""
    return (
        _conn(db_or_conn)
        .execute(
            """SELECT pc.*, p.slug AS project_slug, p.title AS project_title
           FROM phase_changes pc JOIN projects p ON p.id = pc.project_id
           WHERE pc.meeting_id = ? AND p.removed_at IS NULL ORDER BY pc.id""",
            (meeting_id,),
        )
        .fetchall()
    )


def meetings_of_project(db: Database, project_id: int) -> list[sqlite3.Row]:
    """The meetings a project is discussed at, for whoever shows them on the project page."""
    return db.execute(
        f"""{_SELECT} WHERE m.removed_at IS NULL AND m.id IN
            (SELECT meeting_id FROM meeting_projects WHERE project_id = ?)
            ORDER BY m.starts_at DESC""",
        (project_id,),
    )


def meeting_public(settings: Settings, conn: sqlite3.Connection, meeting_id: int) -> dict:
    """A meeting as anyone may see it: the events, search and any API use this shape.

    It holds how many places are left, never who took them.
    """
    row = conn.execute(f"{_SELECT} WHERE m.id = ?", (meeting_id,)).fetchone()
    status = status_of(row)
    return {
        "id": settings.url(meeting_path(row["slug"])),
        "slug": row["slug"],
        "titel": row["title"],
        "samenvatting": summary_text(row),
        "beschrijving": row["description"],
        "begintijd": local_iso(row["starts_at"]),
        "eindtijd": local_iso(row["ends_at"]),
        "tijdzone": "Europe/Amsterdam",
        "plaats": {"naam": row["place_name"], "adres": row["place_address"] or None},
        "status": status,
        "redenAnnulering": row["cancel_reason"] or None,
        "capaciteit": row["capacity"],
        "plaatsenOver": places_left(row),
        # How many people signed up: a number for the gemeente's figures, never who.
        "aantalAanmeldingen": conn.execute(
            """SELECT coalesce(sum(people), 0) FROM rsvps
               WHERE meeting_id = ? AND status = 'aangemeld'""",
            (meeting_id,),
        ).fetchone()[0],
        "themas": [
            settings.url(f"/agenda/themas/{t['slug']}") for t in themas_of(conn, meeting_id)
        ],
        "projecten": [
            settings.url(projects.project_path(p["slug"])) for p in projects_of(conn, meeting_id)
        ],
        "verslag": row["minutes"] or None,
        "verslagGepubliceerd": row["minutes_published_at"],
        # How the evening was, in figures only; what people wrote stays with the group.
        "evaluatie": evaluation_summary(conn, meeting_id),
        "kalender": settings.url(calendar_path(row["slug"])),
        "volgnummer": row["sequence"],
        "bijgewerkt": row["updated_at"],
    }


def evaluation_summary(conn: sqlite3.Connection, meeting_id: int) -> dict | None:
    """How many evaluated the meeting and their average score (1 to 5), or None before any."""
    count, average = conn.execute(
        "SELECT count(*), avg(score) FROM meeting_evaluations WHERE meeting_id = ?",
        (meeting_id,),
    ).fetchone()
    if not count:
        return None
    return {"aantal": count, "gemiddeld": round(average, 1)}


def summary_text(row) -> str:
    """'maandag 2 maart 2026, 19:30–21:30, Dorpshuis Beesd'."""
    return f"{when_text(row['starts_at'], row['ends_at'])}, {row['place_name']}"


# --- Writing ---------------------------------------------------------------------------------


def _after_change(
    conn: sqlite3.Connection, settings: Settings, who: User | str, verb: str, meeting_id: int
) -> dict:
    snapshot = meeting_public(settings, conn, meeting_id)
    record_change(conn, who, verb, OBJECT_TYPE, snapshot["id"], snapshot, snapshot["titel"])
    search.index(
        conn,
        SEARCH_KIND,
        snapshot["slug"],
        meeting_path(snapshot["slug"]),
        snapshot["titel"],
        snapshot["samenvatting"],
        snapshot["beschrijving"],
        snapshot["plaats"]["adres"] or "",
        snapshot["verslag"] or "",
    )
    return snapshot


def record_meeting_change(
    conn: sqlite3.Connection, settings: Settings, who: User | str, meeting_id: int
) -> None:
    """An Update of the meeting's public shape, for changes made elsewhere (its RSVPs)."""
    _after_change(conn, settings, who, "Update", meeting_id)


def _set_links(
    conn: sqlite3.Connection, meeting_id: int, thema_ids: list[int], project_ids: list[int]
) -> None:
    conn.execute("DELETE FROM meeting_themas WHERE meeting_id = ?", (meeting_id,))
    conn.executemany(
        "INSERT INTO meeting_themas (meeting_id, thema_id) VALUES (?, ?)",
        [(meeting_id, t) for t in dict.fromkeys(thema_ids)],
    )
    conn.execute("DELETE FROM meeting_projects WHERE meeting_id = ?", (meeting_id,))
    conn.executemany(
        "INSERT INTO meeting_projects (meeting_id, project_id) VALUES (?, ?)",
        [(meeting_id, p) for p in dict.fromkeys(project_ids)],
    )


def _taken(conn: sqlite3.Connection, meeting_id: int) -> int:
    return conn.execute(
        """SELECT coalesce(sum(people), 0) FROM rsvps
           WHERE meeting_id = ? AND status = 'aangemeld'""",
        (meeting_id,),
    ).fetchone()[0]


def _slug_for(conn: sqlite3.Connection, title: str, starts_at: str) -> str:
    # The date in the slug tells meetings of a series apart and reads well in a link.
    return unique_slug(
        conn, "meetings", f"{title} {local(starts_at).date().isoformat()}", "bijeenkomst"
    )


def create_meeting(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    values: dict,
    thema_ids: list[int] = (),
    project_ids: list[int] = (),
    series_id: int | None = None,
) -> str:
    """A new meeting; `values` holds EDIT_FIELDS and PLACE_FIELDS. Returns its slug."""
    data = {key: values[key] for key in (*EDIT_FIELDS, *PLACE_FIELDS)}
    if data["ends_at"] <= data["starts_at"]:
        raise MeetingError(_("De eindtijd ligt voor de begintijd."), "ends")
    stamp = now()
    meeting_id = insert(
        conn,
        "meetings",
        {
            **data,
            "slug": _slug_for(conn, data["title"], data["starts_at"]),
            "series_id": series_id,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    _set_links(conn, meeting_id, list(thema_ids), list(project_ids))
    return _after_change(conn, settings, who, "Create", meeting_id)["slug"]


def update_meeting(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    meeting_id: int,
    values: dict,
    thema_ids: list[int],
    project_ids: list[int],
) -> None:
    """Change title, description, capacity and links; more room lets the waiting list in."""
    data = {key: values[key] for key in EDIT_FIELDS}
    taken = _taken(conn, meeting_id)
    if data["capacity"] is not None and data["capacity"] < taken:
        raise MeetingError(
            _("Er zijn al %d mensen aangemeld. Kies minstens %d plaatsen.") % (taken, taken),
            "capacity",
        )
    update(conn, "meetings", meeting_id, {**data, "updated_at": now()})
    _set_links(conn, meeting_id, thema_ids, project_ids)
    promote(conn, meeting_id)
    _after_change(conn, settings, who, "Update", meeting_id)


def _attendees_to_tell(conn: sqlite3.Connection, meeting_id: int) -> list[int]:
    """Everyone signed up or waiting who left an e-mail address, in the order they came."""
    return [
        row[0]
        for row in conn.execute(
            """SELECT id FROM rsvps WHERE meeting_id = ? AND status IN ('aangemeld', 'wachtlijst')
               AND email != '' AND contact_removed_at IS NULL ORDER BY created_at, id""",
            (meeting_id,),
        )
    ]


def _require_planned(conn: sqlite3.Connection, meeting_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    if row["status"] == "geannuleerd":
        raise MeetingError(_("Deze bijeenkomst is geannuleerd."))
    if row["ends_at"] < now():
        raise MeetingError(_("Deze bijeenkomst is al voorbij."))
    return row


def move_meeting(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    meeting_id: int,
    values: dict,
    note: str,
) -> bool:
    """A new time or place: SEQUENCE goes up so calendars replace the old item, and everyone
    who signed up with an e-mail address hears of it. False when nothing changed."""
    row = _require_planned(conn, meeting_id)
    data = {key: values[key] for key in PLACE_FIELDS}
    if data["ends_at"] <= data["starts_at"]:
        raise MeetingError(_("De eindtijd ligt voor de begintijd."), "ends")
    if all(row[key] == data[key] for key in PLACE_FIELDS):
        return False
    update(
        conn,
        "meetings",
        meeting_id,
        {**data, "sequence": row["sequence"] + 1, "updated_at": now()},
    )
    happenings.record(
        conn,
        happenings.MEETING_MOVED,
        meeting_id=meeting_id,
        rsvp_ids=_attendees_to_tell(conn, meeting_id),
        before_when=when_text(row["starts_at"], row["ends_at"]),
        before_where=location_text(row),
        note=note,
    )
    _after_change(conn, settings, who, "Update", meeting_id)
    return True


def cancel_meeting(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    meeting_id: int,
    reason: str,
) -> None:
    """Cancel with a reason residents can read; the row, its page and its RSVPs stay."""
    reason = reason.strip()
    if not reason:
        raise MeetingError(_("Schrijf op waarom de bijeenkomst niet doorgaat."), "reason")
    row = _require_planned(conn, meeting_id)
    update(
        conn,
        "meetings",
        meeting_id,
        {
            "status": "geannuleerd",
            "cancel_reason": reason,
            "sequence": row["sequence"] + 1,
            "updated_at": now(),
        },
    )
    happenings.record(
        conn,
        happenings.MEETING_CANCELLED,
        meeting_id=meeting_id,
        rsvp_ids=_attendees_to_tell(conn, meeting_id),
    )
    _after_change(conn, settings, who, "Update", meeting_id)


def remove_meeting(
    conn: sqlite3.Connection, settings: Settings, who: User | str, meeting_id: int
) -> None:
    """Take a meeting off the site (a mistake, a double); cancelling is what tells people."""
    row = conn.execute("SELECT slug, title FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    conn.execute("UPDATE meetings SET removed_at = ? WHERE id = ?", (now(), meeting_id))
    url = settings.url(meeting_path(row["slug"]))
    record_change(conn, who, "Delete", OBJECT_TYPE, url, {"id": url}, row["title"])
    search.remove(conn, SEARCH_KIND, row["slug"])


# --- Series ----------------------------------------------------------------------------------

WEEKDAYS = (rr.MO, rr.TU, rr.WE, rr.TH, rr.FR, rr.SA, rr.SU)
FREQUENCIES = {
    "maandelijks": lazy("Elke maand"),
    "wekelijks": lazy("Elke week of om de paar weken"),
}
NTH = {
    "1": lazy("eerste"),
    "2": lazy("tweede"),
    "3": lazy("derde"),
    "4": lazy("vierde"),
    "-1": lazy("laatste"),
}
MAX_SERIES = 52


@dataclass(frozen=True)
class SeriesRule:
    """'Every first Monday of the month, 19:30–21:30, from 1 March, 6 times', or
    'every 2 weeks on Tuesday'. Occurrences keep their wall-clock time across DST."""

    frequency: str  # maandelijks | wekelijks
    weekday: int  # 0 = Monday
    first_day: date
    starts: time
    ends: time
    count: int
    nth: int = 1  # maandelijks: 1-4, or -1 for the last of the month
    interval: int = 1  # wekelijks: weeks between two meetings

    def rule(self) -> rr.rrule:
        start = datetime.combine(self.first_day, self.starts)
        if self.frequency == "maandelijks":
            return rr.rrule(
                rr.MONTHLY,
                dtstart=start,
                byweekday=WEEKDAYS[self.weekday](self.nth),
                count=self.count,
            )
        return rr.rrule(
            rr.WEEKLY,
            dtstart=start,
            interval=self.interval,
            byweekday=WEEKDAYS[self.weekday],
            count=self.count,
        )

    def text(self) -> str:
        """The rule as iCalendar writes it (DTSTART and RRULE), kept with the series."""
        return str(self.rule())

    def occurrences(self) -> list[tuple[datetime, datetime]]:
        """(start, end) per meeting as aware Dutch times; MeetingError for a time that does
        not exist on one of the days."""
        return [
            (local_moment(day.date(), self.starts), local_moment(day.date(), self.ends))
            for day in self.rule()
        ]


def create_series(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    rule: SeriesRule,
    values: dict,
    thema_ids: list[int] = (),
    project_ids: list[int] = (),
) -> list[str]:
    """Make every meeting of a series at once; each is its own row, changed on its own."""
    if not 1 <= rule.count <= MAX_SERIES:
        raise MeetingError(_("Kies tussen 1 en %d bijeenkomsten.") % MAX_SERIES, "count")
    moments = rule.occurrences()
    if moments and moments[0][0].astimezone(UTC) < datetime.now(UTC):
        raise MeetingError(_("De eerste bijeenkomst ligt in het verleden."), "first_day")
    series_id = insert(
        conn,
        "meeting_series",
        {"title": values["title"], "rule": rule.text(), "created_at": now()},
    )
    slugs = []
    for start, end in moments:
        slugs.append(
            create_meeting(
                conn,
                settings,
                who,
                {**values, "starts_at": utc_iso(start), "ends_at": utc_iso(end)},
                thema_ids,
                project_ids,
                series_id,
            )
        )
    return slugs


def series_of(db: Database, series_id: int | None) -> list[sqlite3.Row]:
    if series_id is None:
        return []
    return db.execute(
        """SELECT * FROM meetings WHERE series_id = ? AND removed_at IS NULL
           ORDER BY starts_at""",
        (series_id,),
    )


# --- The verslag and its decisions -----------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """At a meeting the group decided to move a linked project to another phase."""

    project_id: int
    to_phase: str
    note: str = ""


def can_have_minutes(row) -> str | None:
    """None when a verslag can be written, else why not (for the group)."""
    if row["status"] == "geannuleerd":
        return _("Deze bijeenkomst is geannuleerd: er is geen verslag.")
    if row["starts_at"] > now():
        return _("Een verslag schrijft u na de bijeenkomst.")
    return None


def save_minutes(
    conn: sqlite3.Connection,
    settings: Settings,
    who: User | str,
    meeting_id: int,
    minutes: str,
    decisions: list[Decision] = (),
) -> None:
    """Save the verslag and carry out its decisions, all in the caller's transaction.

    Each decision is a phase change of a project linked to this meeting, dated on the day of
    the meeting (or later, see below) and pointing back to it (phase_changes.meeting_id). A decision that is not
    allowed raises, and nothing of the verslag is saved.
    """
    row = conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    reason = can_have_minutes(row)
    if reason:
        raise MeetingError(reason, "minutes")
    linked = {p["id"]: p for p in projects_of(conn, meeting_id)}
    meeting_day = local(row["starts_at"]).date()
    for decision in decisions:
        project = linked.get(decision.project_id)
        if project is None:
            raise MeetingError(_("Dit project hoort niet bij deze bijeenkomst."))
        # Dated on the day of the meeting; a project created or moved after it (say, the
        # next morning) gets the decision dated that day, so its history stays in order.
        last = conn.execute(
            "SELECT max(changed_on) FROM phase_changes WHERE project_id = ?", (project["id"],)
        ).fetchone()[0]
        decided_on = max(meeting_day, date.fromisoformat(last)) if last else meeting_day
        note = decision.note.strip()
        # Pausing or stopping needs a reason people can read: the default line is no reason.
        if not note and decision.to_phase not in PHASES_NEEDING_REASON:
            note = _("Besloten op de bijeenkomst „%(title)s” van %(day)s.") % {
                "title": row["title"],
                "day": format_moment(local(row["starts_at"]), "d MMMM y"),
            }
        try:
            projects.change_phase(
                conn,
                settings,
                who,
                project["id"],
                decision.to_phase,
                note,
                decided_on,
                meeting_id=meeting_id,
            )
        except projects.PhaseError as error:
            raise MeetingError(str(error), f"fase_{project['id']}") from None
    minutes = minutes.strip()
    published = (row["minutes_published_at"] or now()) if minutes else None
    update(
        conn,
        "meetings",
        meeting_id,
        {"minutes": minutes, "minutes_published_at": published, "updated_at": now()},
    )
    _after_change(conn, settings, who, "Update", meeting_id)
