"""What the kern's calendar feed costs with many meetings: the first poll and every next one.

Makes a kern in a temporary folder with `--meetings` future meetings (through the same data
function as beheer), then times `calendar.feed`, as `/bijeenkomsten.ics` calls it: once with
no event text kept (the first poll after a start), then `--polls` times (every later poll of a
calendar app, each event's text kept from before). Checks that the result parses with the
`icalendar` library and holds every meeting.

    .venv/bin/python bench/bench_calendar.py
    .venv/bin/python bench/bench_calendar.py --meetings 5000 --record
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import icalendar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

from results import record  # noqa: E402

from node.app import open_database  # noqa: E402
from node.kern.meetings import calendar  # noqa: E402
from node.kern.meetings import model as meetings  # noqa: E402
from node.settings import create_secret, load_settings, write_config  # noqa: E402
from tests.meeting_helpers import MEETING, local_day, moments  # noqa: E402

MARKER = "<!-- bench_calendar.py results, newest first -->"


def make_kern(folder: Path, count: int):
    write_config(folder, {"role": "kern", "name": "Beesd", "public_url": "https://beesd.example"})
    create_secret(folder)
    settings = load_settings(folder, environ={})
    db = open_database(settings)

    def add_all(conn):
        for n in range(count):
            values = {**MEETING, **moments(local_day(1 + n % 300)), "title": f"Avond {n}"}
            meetings.create_meeting(conn, settings, "bench", values, [], [])

    db.write(add_all)
    return settings, db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=500)
    parser.add_argument("--polls", type=int, default=50)
    parser.add_argument("--record", action="store_true", help="append to bench/README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings, db = make_kern(Path(folder), args.meetings)
        try:
            rows = meetings.for_calendar(db)
            started = time.process_time()
            body = calendar.feed(settings, rows, "Bijeenkomsten in Beesd")
            first = time.process_time() - started
            polls = []
            for _ in range(args.polls):
                started = time.process_time()
                calendar.feed(settings, meetings.for_calendar(db), "Bijeenkomsten in Beesd")
                polls.append(time.process_time() - started)
        finally:
            db.close()
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == args.meetings, len(events)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"#### {now}, {platform.machine()}, Python {platform.python_version()}\n\n"
        f"{args.meetings} meetings, {len(body) / 1024:.0f} KiB: first poll "
        f"{first * 1000:.0f} ms of CPU, every next poll median "
        f"{statistics.median(polls) * 1000:.1f} ms, slowest {max(polls) * 1000:.1f} ms "
        f"({args.polls} polls; read from the database and assembled)\n"
    )
    print(text)
    if args.record:
        record(MARKER, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
