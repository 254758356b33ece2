"""A kern's memory at its peak under every load: the target of issue #14 (under 80 MB).

Seeds one kern of `--objects` objects (5,000 by default, as the largest size of
bench_sizes.py), then puts it under each load below, every load on a fresh server process
(uvicorn, one worker, page cache on as in production), and reads the process's VmRSS after
its first page and VmHWM (the highest resident memory since it started) after the load:

- warm-up: every address of the size curve three times, one after the other;
- every address at once: `--connections` connections for `--seconds`, cycling through those
  addresses, without and with gzip (calendar apps and browsers ask for it, wrk does not);
- calendar polling: the same connections polling only `/bijeenkomsten.ics`, the largest
  answer of a kern, without and with gzip;
- RSVPs: sign-ups for the coming meetings with places from as many addresses as requests,
  as bench_meetings.py sends them;
- sign-ins: bursts of sign-ins with wrong passwords under different names, each checked
  with Argon2 (the password gate lets two run at once).

Uses `wrk` when it is installed, the httpx loader of bench_pages.py otherwise.

The servers run from a production install: a fresh virtual environment with `pip install .`
and nothing else, as the container and the systemd setup have. The development environment
also holds the tools (import-linter brings rich and pygments, which httpx imports whenever
they are installed: 3.4 MB in every process); `--dev` measures in it instead.

    .venv/bin/python bench/bench_memory.py
    .venv/bin/python bench/bench_memory.py --objects 500 --seconds 5
    .venv/bin/python bench/bench_memory.py --record        # appends the table to bench/README.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_meetings  # noqa: E402  (sibling scripts, found through the line above)
import bench_pages  # noqa: E402
import bench_sizes  # noqa: E402
from results import record  # noqa: E402

TARGET_MB = 80.0
MARKER = "<!-- bench_memory.py results, newest first -->"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
# wrk asks each connection's next request from this: the addresses in turn.
CYCLE_LUA = """
local paths = {%(paths)s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {%(headers)s})
end
"""


def load_paths(
    url: str, paths: list[str], headers: dict[str, str], seconds: float, folder: Path
) -> int:
    """`bench_pages.CONNECTIONS` clients asking for `paths` in turn; returns the answers."""
    if shutil.which("wrk"):
        script = folder / "cycle.lua"
        script.write_text(
            CYCLE_LUA
            % {
                "paths": ", ".join(f'"{path}"' for path in paths),
                "headers": ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()),
            },
            encoding="utf-8",
        )
        command = ["wrk", "--threads", "1", "--connections", str(bench_pages.CONNECTIONS),
                   "--duration", f"{max(1, round(seconds))}s", "--timeout", "10s", "--latency",
                   "--script", str(script), url]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        if done.returncode != 0:
            raise SystemExit(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
        _rps, _p50, _p99, count, errors = bench_pages.parse_wrk(done.stdout)
    else:
        count, errors = asyncio.run(_httpx_cycle(url, paths, headers, seconds))
    if errors:
        raise SystemExit(f"{errors} of {count} answers were errors on {url}")
    return count


async def _httpx_cycle(
    url: str, paths: list[str], headers: dict[str, str], seconds: float
) -> tuple[int, int]:
    count = errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=bench_pages.CONNECTIONS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10.0) as client:

        async def worker(offset: int) -> None:
            nonlocal count, errors
            turn = offset
            while time.monotonic() < deadline:
                response = await client.get(paths[turn % len(paths)], headers=headers)
                turn += 1
                count += 1
                errors += response.status_code >= 400

        await asyncio.gather(*(worker(n) for n in range(bench_pages.CONNECTIONS)))
    return count, errors


def coming_meetings_with_places(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "bloei.db") as conn:
        rows = conn.execute(
            "SELECT slug FROM meetings WHERE capacity IS NOT NULL AND status = 'gepland'"
            " AND starts_at > ? ORDER BY starts_at LIMIT 8",
            (datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),),
        ).fetchall()
    return [slug for (slug,) in rows]


async def _sign_in_bursts(url: str, size: int, rounds: int) -> dict[int, int]:
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=url, timeout=120.0) as client:
        for round_no in range(rounds):
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/beheer/inloggen",
                        data={"username": f"naam{round_no}-{n}", "password": "fout"},
                    )
                    for n in range(size)
                )
            )
            for answer in answers:
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    return statuses


def loads(args: argparse.Namespace, data_dir: Path, folder: Path) -> dict[str, Callable]:
    paths = [path for _name, path in bench_sizes.KERN_PATHS]
    calendar = ["/bijeenkomsten.ics"]
    seconds = args.seconds

    def warm_up(url: str) -> str:
        with httpx.Client(base_url=url, timeout=60.0) as client:
            for _ in range(3):
                for path in paths:
                    client.get(path).raise_for_status()
        return f"{3 * len(paths)} GETs"

    def every(headers: dict[str, str]) -> Callable[[str], str]:
        return lambda url: f"{load_paths(url, paths, headers, seconds, folder)} GETs"

    def polling(headers: dict[str, str]) -> Callable[[str], str]:
        return lambda url: f"{load_paths(url, calendar, headers, seconds, folder)} GETs"

    def rsvps(url: str) -> str:
        slugs = coming_meetings_with_places(data_dir)
        if not slugs:
            raise SystemExit("the seeded kern has no coming meeting with places")
        if shutil.which("wrk"):
            _rps, _p50, _p99, count, _errors = bench_meetings.run_rsvp_wrk(
                url, slugs, seconds, folder, offset=random.randrange(10**6)
            )
        else:
            _rps, _p50, _p99, count, _errors = asyncio.run(
                bench_meetings._rsvp_httpx(url, slugs, seconds, random.randrange(10**6))
            )
        return f"{count} RSVPs"

    def sign_ins(url: str) -> str:
        statuses = asyncio.run(_sign_in_bursts(url, 20, 3))
        return "3 bursts of 20 sign-ins: " + ", ".join(
            f"{count}× {status}" for status, count in sorted(statuses.items())
        )

    return {
        "warm-up: every address three times": warm_up,
        f"every address, {bench_pages.CONNECTIONS} connections, no gzip": every(IDENTITY),
        f"every address, {bench_pages.CONNECTIONS} connections, gzip": every(GZIP),
        f"calendar polling, {bench_pages.CONNECTIONS} connections, no gzip": polling(IDENTITY),
        f"calendar polling, {bench_pages.CONNECTIONS} connections, gzip": polling(GZIP),
        f"RSVPs, {bench_pages.CONNECTIONS} connections": rsvps,
        "sign-ins with Argon2": sign_ins,
    }


def production_python(folder: Path) -> str:
    """A virtual environment with Bloei installed as a host installs it; its Python."""
    venv = folder / "installed"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    done = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(HERE.parent)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"pip install of Bloei failed:\n{done.stdout}{done.stderr}")
    return python


def measure(data_dir: Path, folder: Path, name: str, run: Callable[[str], str]) -> dict:
    server = bench_sizes.serve(data_dir, cached=True, folder=folder, name="memory")
    pid = server.process.pid
    try:
        started = bench_pages.rss_mb(pid)
        done = run(server.url)
        time.sleep(0.5)
        found = {
            "load": name,
            "done": done,
            "first_page_mb": round(started, 1),
            "rss_mb": round(bench_pages.rss_mb(pid), 1),
            "peak_mb": round(bench_pages.rss_mb(pid, "VmHWM"), 1),
        }
    finally:
        bench_pages.stop(server)
    mark = "PASS" if found["peak_mb"] < TARGET_MB else "FAIL"
    print(f"{mark} {name}: peak {found['peak_mb']} MB ({done})", flush=True)
    return found


def table(results: list[dict], args: argparse.Namespace, loader: str, install: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### {when}: a kern of {args.objects:,} objects, {install}, {loader}, "
        f"{args.seconds:g} s a load, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs",
        "",
        "| load | done | after the first page | after the load | peak (VmHWM) | under 80 MB |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for found in results:
        lines.append(
            f"| {found['load']} | {found['done']} | {found['first_page_mb']} MB "
            f"| {found['rss_mb']} MB | {found['peak_mb']} MB "
            f"| {'yes' if found['peak_mb'] < TARGET_MB else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--dev", action="store_true", help="serve from this environment, not a production install"
    )
    parser.add_argument("--only", help="run only the loads whose name holds this text")
    parser.add_argument("--record", action="store_true", help="append to bench/README.md")
    args = parser.parse_args(argv)
    bench_pages.CONNECTIONS = args.connections
    loader = "wrk" if shutil.which("wrk") else "the httpx loader"

    with tempfile.TemporaryDirectory(prefix="bloei-memory-") as tmp:
        folder = Path(tmp)
        if not args.dev:
            bench_pages.PYTHON = production_python(folder)
        data_dir = bench_pages.make_node(folder, "http://127.0.0.1:8000")
        began = time.perf_counter()
        bench_sizes.seed_kern(data_dir, args.objects, random.Random(args.objects))
        print(f"seeded {args.objects} objects in {time.perf_counter() - began:.0f} s", flush=True)
        # Enough sign-in attempts per address for every burst: this measures Argon2's memory,
        # not the throttle that would otherwise refuse most of them.
        os.environ["BLOEI_LOGIN_ATTEMPTS"] = "1000"
        results = [
            measure(data_dir, folder, name, run)
            for name, run in loads(args, data_dir, folder).items()
            if not args.only or args.only in name
        ]
    report = table(results, args, loader, "development environment" if args.dev else "installed")
    print(report)
    if args.record:
        record(MARKER, report)
    return 0 if all(found["peak_mb"] < TARGET_MB for found in results) else 1


if __name__ == "__main__":
    sys.exit(main())
