"""Seeding helpers for meeting tests: meetings and RSVPs through the data layer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from node.kern.meetings import model as meetings
from node.kern.meetings import rsvp

MEETING = {
    "title": "Dorpsavond over verkeer",
    "description": "We praten over **veilig fietsen** naar school.",
    "place_name": "Dorpshuis De Pluk",
    "place_address": "Dorpsstraat 1, 4153 AA Beesd",
    "capacity": None,
}


def local_day(days_from_now: int) -> date:
    return (datetime.now(meetings.AMSTERDAM) + timedelta(days=days_from_now)).date()


def moments(day: date, start: str = "19:30", end: str = "21:30") -> dict:
    return {
        "starts_at": meetings.utc_iso(meetings.local_moment(day, time.fromisoformat(start))),
        "ends_at": meetings.utc_iso(meetings.local_moment(day, time.fromisoformat(end))),
    }


def add_meeting(
    db,
    settings,
    days: int = 14,
    start: str = "19:30",
    end: str = "21:30",
    thema_ids=(),
    project_ids=(),
    day: date | None = None,
    **changes,
) -> tuple[int, str]:
    """A meeting `days` from today (negative: in the past), 19:30-21:30 Dutch time."""
    values = {**MEETING, **moments(day or local_day(days), start, end), **changes}
    slug = db.write(
        meetings.create_meeting, settings, "test", values, list(thema_ids), list(project_ids)
    )
    return db.scalar("SELECT id FROM meetings WHERE slug = ?", (slug,)), slug


def sign_up(
    db,
    settings,
    meeting_id: int,
    people: int = 1,
    name: str = "Jan Bos",
    email: str = "",
    phone: str = "",
) -> rsvp.SignUp:
    return db.write(rsvp.sign_up, settings, meeting_id, name, email, phone, people)


def accepted(db, meeting_id: int) -> int:
    return db.scalar(
        "SELECT coalesce(sum(people), 0) FROM rsvps WHERE meeting_id = ? AND status = 'aangemeld'",
        (meeting_id,),
    )


def mails(db, purpose: str | None = None) -> list:
    if purpose:
        return db.execute("SELECT * FROM mail_queue WHERE purpose = ? ORDER BY id", (purpose,))
    return db.execute("SELECT * FROM mail_queue ORDER BY id")
