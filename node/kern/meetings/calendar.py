"""iCalendar (RFC 5545) for meetings: the kern's subscribable calendar, one meeting on its
own, and the invitations that RSVP mails carry (RFC 5546: METHOD REQUEST and CANCEL).

Times are written in UTC, which every calendar app reads without a VTIMEZONE and shows in
the reader's own zone. The UID is the meeting's URL, which never changes, so a calendar
that sees the meeting again (moved, cancelled) replaces its item instead of adding one;
SEQUENCE goes up with every move or cancellation so the newer version wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import icalendar

from node.ical import EventCache, assemble
from node.kern.meetings.display import CALENDAR_FIELDS, location_text, meeting_path, status_of
from node.settings import Settings
from node.web.i18n import _
from node.web.markdown import plain_text

PRODID = "-//Bloei//Bloei kern node//NL"
CONTENT_TYPE = "text/calendar; charset=utf-8"
# How often a subscribed calendar app should look again: changes are rare, moves matter.
REFRESH = timedelta(hours=6)


def uid(settings: Settings, slug: str) -> str:
    return settings.url(meeting_path(slug))


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def meeting_event(
    settings: Settings,
    row,
    dtstamp: datetime | None = None,
    attendee: tuple[str, str] | None = None,
    organizer: tuple[str, str] | None = None,
) -> icalendar.Event:
    """One VEVENT. `attendee` and `organizer` are (name, e-mail) for an invitation by mail."""
    url = settings.url(meeting_path(row["slug"]))
    event = icalendar.Event()
    event.add("uid", uid(settings, row["slug"]))
    # In a published calendar DTSTAMP is when the item last changed; in a mail, when it
    # was made (RFC 5545 3.8.7.2). Both keep the output stable until something changes.
    event.add("dtstamp", dtstamp or _stamp(row["updated_at"]))
    event.add("created", _stamp(row["created_at"]))
    event.add("last-modified", _stamp(row["updated_at"]))
    event.add("dtstart", _stamp(row["starts_at"]))
    event.add("dtend", _stamp(row["ends_at"]))
    event.add("summary", row["title"])
    cancelled = status_of(row) == "geannuleerd"
    parts = []
    if cancelled:
        parts.append(_("Gaat niet door: %s") % row["cancel_reason"])
    if row["description"]:
        parts.append(plain_text(row["description"]))
    parts.append(url)
    event.add("description", "\n\n".join(parts))
    event.add("location", location_text(row))
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", row["sequence"])
    event.add("transp", "OPAQUE")
    if organizer and organizer[1]:
        address = icalendar.vCalAddress(f"mailto:{organizer[1]}")
        address.params["CN"] = organizer[0]
        event.add("organizer", address)
    if attendee and attendee[1]:
        address = icalendar.vCalAddress(f"mailto:{attendee[1]}")
        address.params["CN"] = attendee[0]
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "DECLINED" if cancelled else "ACCEPTED"
        event.add("attendee", address)
    return event


def _calendar(name: str | None = None, method: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
    return calendar


def feed(settings: Settings, rows: Iterable, name: str, description: str = "") -> bytes:
    """All meetings of the kern as one calendar that phones can subscribe to."""
    calendar = _calendar(name)
    if description:
        calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", "Europe/Amsterdam")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    return assemble(calendar, (_feed_event(settings, row) for row in rows))


_events = EventCache()


def _feed_event(settings: Settings, row) -> bytes:
    # Every field meeting_event reads, and the node's address: together they decide the text.
    key = (settings.public_url, *(row[field] for field in CALENDAR_FIELDS))
    return _events.text(key, lambda: meeting_event(settings, row))


def single(settings: Settings, row) -> bytes:
    """One meeting, to add to a calendar from its page (no METHOD: a plain published item)."""
    calendar = _calendar()
    calendar.add_component(meeting_event(settings, row))
    return calendar.to_ical()


def invitation(
    settings: Settings,
    row,
    attendee: tuple[str, str],
    organizer: tuple[str, str],
    cancel: bool = False,
) -> bytes:
    """The .ics attached to a mail: METHOD:REQUEST (confirmation, a move) or CANCEL."""
    calendar = _calendar(method="CANCEL" if cancel else "REQUEST")
    calendar.add_component(
        meeting_event(
            settings, row, dtstamp=datetime.now(UTC), attendee=attendee, organizer=organizer
        )
    )
    return calendar.to_ical()


def filename(row) -> str:
    return f"{row['slug']}.ics"
