"""How a meeting reads: its times in Dutch, its place, its status and its addresses.

Pure functions of a meeting row, below both the data layer (meetings.py) and what is made
from it (calendar.py, the mails), so neither has to import the other to write a date.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from node.web.auth import now
from node.web.dutch_format import format_moment

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Every field a meeting's calendar event is made from (calendar.meeting_event, with
# location_text and status_of below): the calendar feed reads only these, not a meeting's
# verslag and the rest, and its cache of event texts is keyed by them.
CALENDAR_FIELDS = (
    "slug", "title", "description", "starts_at", "ends_at", "place_name", "place_address",
    "status", "cancel_reason", "sequence", "created_at", "updated_at",
)  # fmt: skip


def local(value: str | datetime) -> datetime:
    """A stored UTC moment as Dutch local time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(AMSTERDAM)


@lru_cache(maxsize=4096)
def local_iso(value: str) -> str:
    """ISO 8601 with the Dutch offset of that day, for <time datetime> and the public dict."""
    return local(value).isoformat(timespec="minutes")


# Lists, the feed and the calendar write the same few moments again and again, each a
# time-zone conversion and a format; the text of a stored moment never changes.
@lru_cache(maxsize=4096)
def when_text(starts_at: str, ends_at: str) -> str:
    """'maandag 2 maart 2026, 19:30–21:30' (or with both dates when it ends on another day)."""
    start, end = local(starts_at), local(ends_at)
    day = format_moment(start, "EEEE d MMMM y")
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    end_day = format_moment(end, "EEEE d MMMM y")
    return f"{day} {start:%H:%M} – {end_day} {end:%H:%M}"


@lru_cache(maxsize=4096)
def day_text(starts_at: str) -> str:
    return format_moment(local(starts_at), "EEEE d MMMM y")


def status_of(row, at: str | None = None) -> str:
    """gepland, geannuleerd or afgelopen: the last follows from the end time, never stored."""
    if row["status"] == "geannuleerd":
        return "geannuleerd"
    return "afgelopen" if row["ends_at"] < (at or now()) else "gepland"


def location_text(row) -> str:
    return ", ".join(part for part in (row["place_name"], row["place_address"]) if part)


# A route planner that needs no account and sets no tracking of its own; the address goes in
# as text, so nothing is looked up here and no map is embedded in the page.
ROUTE_PLANNER = "https://www.openstreetmap.org/directions"


def route_url(row) -> str | None:
    """A link to plan the way to the meeting's address, or None without an address."""
    if not row["place_address"].strip():
        return None
    return f"{ROUTE_PLANNER}?{urlencode({'to': row['place_address'].strip()})}"


def meeting_path(slug: str) -> str:
    return f"/bijeenkomsten/{slug}"


def calendar_path(slug: str) -> str:
    return f"/bijeenkomsten/{slug}/kalender.ics"
