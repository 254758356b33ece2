"""A week of a busy kern, compressed: do descriptors, connections, threads and memory stay flat?

Runs the gemeente and a kern (Beesd) as real `bloei serve --dev` processes on 127.0.0.1, the
gemeente following Beesd, with a real SMTP server (aiosmtpd) taking Beesd's mail. Time is
compressed by `--factor` (default 500: a week in about 20 minutes): the gemeente pulls every
900 / factor seconds, and a week's traffic of a busy kern is sent in bursts with idle gaps
longer than the thread pool's 10 idle seconds, so worker threads retire and are replaced
again and again, as in a week of real use:

    per week: 3,000 page views, 150 sign-ups for meetings, 40 thema's and projects changed
    by beheer, 30 sign-ins, 20 ideas

Every `--sample` seconds it reads, for each process, from /proc: open descriptors, of which
database files, threads and resident memory (VmRSS). At the end it compares the last quarter
of the run with the first quarter after warm-up: flat means no more than a small, stated
margin of growth.

    .venv/bin/python bench/bench_week.py                 # a week in about 20 minutes
    .venv/bin/python bench/bench_week.py --factor 2000   # a week in about 5 minutes
    .venv/bin/python bench/bench_week.py --record        # also add the run to bench/README.md
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from process_helpers import Node, running  # noqa: E402
from reliability.reliability_helpers import THEMA, database_descriptors, resident_kib  # noqa: E402
from results import record  # noqa: E402
from test_mailer import SmtpServer  # noqa: E402

MARKER = "<!-- bench_week.py results, newest first -->"
WEEK_SECONDS = 7 * 24 * 3600
PER_WEEK = {"views": 3000, "rsvps": 150, "edits": 40, "sign_ins": 30, "ideas": 20}
PAGES = ["/", "/agenda", "/projecten", "/bijeenkomsten", "/nieuws", "/ideeen", "/zoeken?q=dijk"]
# Flat: the last quarter may exceed the first quarter after warm-up by at most this much.
MARGIN = {"descriptors": 4, "database": 4, "threads": 4, "rss_kib": 16 * 1024}


@dataclass
class Sample:
    at: float
    descriptors: int
    database: int
    threads: int
    rss_kib: int


@dataclass
class Watched:
    node: Node
    samples: list[Sample] = field(default_factory=list)

    def sample(self, started: float) -> None:
        assert self.node.process is not None
        pid = self.node.process.pid
        status = Path(f"/proc/{pid}/status").read_text()
        threads = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:")
        )
        self.samples.append(
            Sample(
                at=time.monotonic() - started,
                descriptors=len(list(Path(f"/proc/{pid}/fd").iterdir())),
                database=database_descriptors(pid, self.node.folder),
                threads=threads,
                rss_kib=resident_kib(pid),
            )
        )


def quarter(samples: list[Sample], which: str, key: str) -> int:
    """The highest value of `key` in the first (after warm-up) or the last quarter."""
    usable = samples[max(1, len(samples) // 8) :]
    size = max(1, len(usable) // 4)
    part = usable[:size] if which == "first" else usable[-size:]
    return max(getattr(s, key) for s in part)


async def burst(beesd: Node, meeting_slug: str, counts: dict[str, int], rng: random.Random) -> None:
    """One burst of a compressed week's traffic: views, sign-ups, edits, sign-ins, ideas."""
    async with httpx.AsyncClient(base_url=beesd.url, timeout=30) as http:
        views = [http.get(rng.choice(PAGES)) for _ in range(counts["views"])]
        for response in await asyncio.gather(*views):
            assert response.status_code == 200, response.url
        for n in range(counts["rsvps"]):
            address = f"127.0.{rng.randint(1, 250)}.{rng.randint(1, 250)}"
            transport = httpx.AsyncHTTPTransport(local_address=address)
            async with httpx.AsyncClient(transport=transport, base_url=beesd.url) as resident:
                response = await resident.post(
                    f"/bijeenkomsten/{meeting_slug}/aanmelden",
                    # Every third gives an address, so the mail job has confirmations to send.
                    data={
                        "name": f"Bewoner {n}",
                        "email": f"bewoner{rng.randrange(10**6)}@example.org" if n % 3 == 0 else "",
                        "phone": "",
                        "people": "1",
                    },
                    headers={"Origin": beesd.url},
                )
                assert response.status_code in (303, 429), response.status_code
        for _ in range(counts["sign_ins"]):
            response = await http.post(
                "/beheer/inloggen", data={"username": "beheerder", "password": "fout"}
            )
            assert response.status_code in (200, 400, 401, 429), response.status_code
    assert beesd.http is not None
    for _ in range(counts["edits"]):
        title = f"Thema {rng.randrange(10**9)}"
        response = beesd.post("/beheer/themas/nieuw", **THEMA, title=title)
        assert response.status_code == 303, response.text


def spread(total: int, bursts: int, index: int) -> int:
    """How many of `total` fall in burst `index` of `bursts`, evenly, adding up exactly."""
    return total * (index + 1) // bursts - total * index // bursts


def run(factor: float, sample_every: float, gap: float) -> tuple[dict, dict]:
    duration = WEEK_SECONDS / factor
    bursts = max(1, int(duration / gap))
    rng = random.Random(7)
    smtp = SmtpServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bloei-week-") as folder:
            gemeente = Node(
                Path(folder) / "gemeente",
                "Gemeente",
                role="gemeente",
                BLOEI_PULL_INTERVAL_SECONDS=str(max(1, round(900 / factor))),
            )
            beesd = Node(
                Path(folder) / "beesd",
                "Beesd",
                BLOEI_GEMEENTE_ACTOR=gemeente.actor,
                BLOEI_DELIVERY_RETRY_SECONDS="1",
                BLOEI_SMTP_HOST="127.0.0.1",
                BLOEI_SMTP_PORT=str(smtp.port),
                BLOEI_SMTP_FROM="kern@beesd.bench",
                BLOEI_SMTP_STARTTLS="false",
            )
            with running(gemeente, beesd):
                address = f"@{beesd.slug}@127.0.0.1:{beesd.port}"
                assert (
                    gemeente.post("/beheer/kernen", address=address, rollout="pilot").status_code
                    == 303
                )
                day = (datetime.now() + timedelta(days=30)).date().isoformat()
                meeting = {"title": "Kernavond", "description": "Praat mee.", "day": day}
                meeting |= {"starts": "19:30", "ends": "21:30", "place_name": "Dorpshuis"}
                meeting |= {"place_address": "Dorpsstraat 1", "capacity": "10000"}
                assert beesd.post("/beheer/bijeenkomsten/nieuw", **meeting).status_code == 303
                ((slug,),) = beesd.query("SELECT slug FROM meetings")

                watched = [Watched(gemeente), Watched(beesd)]
                started = time.monotonic()
                next_sample = started
                for index in range(bursts):
                    counts = {k: spread(v, bursts, index) for k, v in PER_WEEK.items()}
                    asyncio.run(burst(beesd, slug, counts, rng))
                    # The idle gap: long enough for the pool to retire its threads.
                    gap_ends = time.monotonic() + gap
                    while time.monotonic() < gap_ends:
                        if time.monotonic() >= next_sample:
                            for w in watched:
                                w.sample(started)
                            next_sample += sample_every
                        time.sleep(0.2)
                    print(
                        f"burst {index + 1}/{bursts} at {time.monotonic() - started:.0f} s",
                        flush=True,
                    )
                elapsed = time.monotonic() - started
                pulls = gemeente.query("SELECT count(*) FROM gemeente_activities")[0][0]
                mails = len(smtp.messages)
                return (
                    {"gemeente": watched[0].samples, "beesd": watched[1].samples},
                    {"duration": elapsed, "bursts": bursts, "activities": pulls, "mails": mails},
                )
    finally:
        smtp.stop()


def report(samples: dict[str, list[Sample]], facts: dict, factor: float) -> tuple[str, bool]:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"#### {now}, {platform.machine()}, Python {platform.python_version()}",
        "",
        f"A week compressed {factor:g}× (it took {facts['duration'] / 60:.1f} minutes), "
        f"{facts['bursts']} bursts; the gemeente took {facts['activities']} activities, "
        f"{facts['mails']} mails reached the SMTP server.",
        "",
        "| process | measure | first quarter | last quarter | allowed growth | flat |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    flat = True
    for name, rows in samples.items():
        for key, margin in MARGIN.items():
            first, last = quarter(rows, "first", key), quarter(rows, "last", key)
            ok = last <= first + margin
            flat = flat and ok
            unit = " KiB" if key == "rss_kib" else ""
            lines.append(
                f"| {name} | {key} | {first}{unit} | {last}{unit} | {margin}{unit} | {'yes' if ok else 'NO'} |"
            )
    return "\n".join(lines) + "\n", flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float, default=500, help="how much faster than real time")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--gap", type=float, default=12.0, help="idle seconds after each burst")
    parser.add_argument("--record", action="store_true", help="append to bench/README.md")
    args = parser.parse_args()
    samples, facts = run(args.factor, args.sample, args.gap)
    text, flat = report(samples, facts, args.factor)
    print(text)
    if args.record:
        record(MARKER, text)
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
