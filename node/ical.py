"""iCalendar text that both roles' feeds share: each event rendered once per change and kept,
and a calendar assembled from those parts.

Rendering an event through the `icalendar` library costs about a millisecond; a calendar app
polls the whole feed, so a feed of 500 meetings cost half a second of CPU on every poll. An
event's text depends only on the fields it is made from, so those fields are the key: a
changed meeting is a new key, and the old text falls out of the bounded cache in time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable

import icalendar
from starlette.datastructures import State

MAX_EVENTS = 20_000
# Whole calendars kept, all together: a few versions of the largest feed (5,000 events of
# about 400 bytes each) and the small ones of single kernen.
MAX_FEED_BYTES = 8 * 1024 * 1024
END = b"END:VCALENDAR\r\n"


class EventCache:
    """Event texts by the fields they were made from, the least recently used dropped first."""

    def __init__(self, max_events: int = MAX_EVENTS):
        self.max_events = max_events
        self._texts: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def text(self, key: Hashable, make: Callable[[], icalendar.Event]) -> bytes:
        with self._lock:
            found = self._texts.get(key)
            if found is not None:
                self._texts.move_to_end(key)
                return found
        text = make().to_ical()
        with self._lock:
            self._texts[key] = text
            while len(self._texts) > self.max_events:
                self._texts.popitem(last=False)
        return text

    def __len__(self) -> int:
        return len(self._texts)


class FeedBodies:
    """Whole calendars by the version of the data they were made from, the least recently used
    dropped first when together they pass `max_bytes`.

    Kept event texts make a calendar of thousands of meetings cheap, not free: reading the
    rows and joining their texts still costs tens of milliseconds, on every poll of a client
    that sends no validators. Until the data changes, the same version gives the same bytes.
    """

    def __init__(self, max_bytes: int = MAX_FEED_BYTES):
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def body(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._bodies.get(key)
            if found is not None:
                self._bodies.move_to_end(key)
                return found
        body = make()
        if len(body) > self.max_bytes:
            return body
        with self._lock:
            previous = self._bodies.pop(key, None)
            self._size += len(body) - len(previous or b"")
            self._bodies[key] = body
            while self._size > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)
        return body

    def __len__(self) -> int:
        return len(self._bodies)


def kept_feed(state: State, key: Hashable, make: Callable[[], bytes]) -> bytes:
    """The calendar made for `key` (the version of the data it shows and what picks it),
    kept with the app (`state`: its data, not another's) until the data changes: at 2,600
    kernen a calendar of 3,000 meetings takes some 50 ms to read and assemble, a kept one
    about 1; and clients polling at once share one body instead of each holding its own."""
    bodies = getattr(state, "calendar_bodies", None)
    if bodies is None:
        bodies = state.calendar_bodies = FeedBodies()
    return bodies.body(key, make)


def assemble(calendar: icalendar.Calendar, events: Iterable[bytes]) -> bytes:
    """The calendar's own lines, then the events, then its end: what `to_ical()` would write
    with the events added as components, byte for byte."""
    head = calendar.to_ical()
    if not head.endswith(END):
        raise ValueError("a calendar's text ends with END:VCALENDAR")
    # One join, so the feed's bytes are copied once (a feed of 800 meetings is half a MB).
    return b"".join([head[: -len(END)], *events, END])
