"""One iCalendar (RFC 5545) feed of the meetings of every kern, to subscribe to.

As the kern's own feed does (node/kern/meetings/calendar.py): times in UTC, and the UID is the
meeting's id at its kern, so a calendar that already has the kern's own feed sees the same
item, not a copy. The kern's helpers work on its own database rows; this feed works on the
read model's, so it builds its events itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import icalendar

from federation.store import parse_timestamp
from node.ical import EventCache, assemble
from node.web.i18n import _

PRODID = "-//Bloei//Bloei gemeente//NL"
CONTENT_TYPE = "text/calendar; charset=utf-8"
REFRESH = timedelta(hours=6)


def event(meeting: dict[str, Any]) -> icalendar.Event:
    item = icalendar.Event()
    item.add("uid", meeting["object_id"])
    item.add("dtstamp", parse_timestamp(meeting["updated_at"]))
    item.add("last-modified", parse_timestamp(meeting["updated_at"]))
    starts = parse_timestamp(meeting["starts_at"])
    item.add("dtstart", starts)
    ends = parse_timestamp(meeting["ends_at"]) if meeting["ends_at"] else starts
    item.add("dtend", max(ends, starts))
    item.add("summary", f"{meeting['name']} ({meeting['kern_name']})")
    parts = []
    if meeting["cancelled"]:
        parts.append(_("Gaat niet door: %s") % meeting["cancel_reason"])
    if meeting["summary"]:
        parts.append(meeting["summary"])
    parts.append(meeting["url"])
    item.add("description", "\n\n".join(parts))
    location = ", ".join(p for p in (meeting["location"], meeting["address"]) if p)
    if location:
        item.add("location", location)
    item.add("url", meeting["url"])
    item.add("status", "CANCELLED" if meeting["cancelled"] else "CONFIRMED")
    item.add("transp", "OPAQUE")
    return item


def feed(meetings: Iterable[dict[str, Any]], name: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Amsterdam")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    return assemble(calendar, (_feed_event(meeting) for meeting in meetings))


# Every field event() reads: together they decide the text.
_EVENT_FIELDS = (
    "object_id", "updated_at", "starts_at", "ends_at", "name", "kern_name", "cancelled",
    "cancel_reason", "summary", "url", "location", "address",
)  # fmt: skip
_events = EventCache()


def _feed_event(meeting: dict[str, Any]) -> bytes:
    key = tuple(meeting[field] for field in _EVENT_FIELDS)
    return _events.text(key, lambda: event(meeting))
