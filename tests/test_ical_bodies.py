"""Whole calendars kept by version (node/ical.py): the same key gives the kept bytes, the
least recently used go first once the budget is full, and a body over it is never kept."""

from __future__ import annotations

from node.ical import FeedBodies


def test_kept_bodies_stay_within_their_budget():
    bodies = FeedBodies(max_bytes=10)
    made = []

    def make(text: bytes):
        def inner() -> bytes:
            made.append(text)
            return text

        return inner

    assert bodies.body(1, make(b"aaaa")) == b"aaaa"
    assert bodies.body(1, make(b"other")) == b"aaaa"  # kept: not made again
    bodies.body(2, make(b"bbbb"))
    bodies.body(1, make(b"-"))  # 1 is now the most recently used
    bodies.body(3, make(b"cccc"))  # 12 bytes: 2 goes
    assert len(bodies) == 2
    assert bodies.body(2, make(b"BBBB")) == b"BBBB"
    assert bodies.body(4, make(b"x" * 11)) == b"x" * 11  # too large to keep
    assert bodies.body(4, make(b"y")) == b"y"
    assert made == [b"aaaa", b"bbbb", b"cccc", b"BBBB", b"x" * 11, b"y"]
