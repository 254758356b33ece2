"""Benchmark: a burst of simultaneous sign-ins, and the server's memory before and after.

    .venv/bin/python bench/bench_logins.py              # 20 at once, three bursts
    .venv/bin/python bench/bench_logins.py --burst 40

Makes a kern in a temporary folder, starts the real server (uvicorn, one worker, as in
bench_pages.py), then sends bursts of simultaneous sign-ins with wrong passwords, each for
a different user name (so the throttle, which counts per name and address, lets them all
through and only the password gate bounds the work). After each burst it reads the
server's resident memory (VmRSS). Every Argon2id check takes 7 MiB (19 MiB before
December 2026); without a bound a burst of N runs N at once. Target: memory grows by well
under 100 MB, and stays flat after the first burst.

Measured on 2 CPUs, Python 3.11, bursts of 20: before the password gate the server went
from 72 MB to 457 MB and stayed there; with it, from 72 MB to 111 MB (two checks of 19 MiB
at a time, six waiting, the rest told to try again in a minute), flat over later bursts.
With one check of 7 MiB at a time the peak under such bursts is 76.2 MB for a kern of
5,000 objects (bench_memory.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from node.settings import create_secret, write_config  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_until_up(url: str, deadline: float) -> None:
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not start")


async def burst(url: str, size: int, round_no: int) -> dict[int, int]:
    async with httpx.AsyncClient(timeout=120) as http:
        answers = await asyncio.gather(
            *[
                http.post(
                    url + "/beheer/inloggen",
                    data={"username": f"naam{round_no}-{i}", "password": "fout"},
                )
                for i in range(size)
            ]
        )
    statuses: dict[int, int] = {}
    for answer in answers:
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    return statuses


async def run(size: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "beesd"
        data.mkdir()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        # Enough attempts per address for every burst: this measures the gate, not the throttle.
        write_config(
            data,
            {
                "role": "kern",
                "name": "Beesd",
                "slug": "beesd",
                "public_url": url,
                "background_jobs": False,
                "login_attempts": size * rounds,
            },
        )
        create_secret(data)
        command = [sys.executable, "-m", "uvicorn", "--factory", "node.asgi:from_environment"]
        command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
        env = {**os.environ, "BLOEI_DATA": str(data), "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            await wait_until_up(url + "/", time.monotonic() + 60)
            print("| moment | statuses | VmRSS (MB) |\n| --- | --- | --- |")
            print(f"| started | | {rss_mb(server.pid):.0f} |")
            for round_no in range(1, rounds + 1):
                statuses = await burst(url, size, round_no)
                print(
                    f"| after burst {round_no} of {size} | {statuses} | {rss_mb(server.pid):.0f} |"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.burst, args.rounds))


if __name__ == "__main__":
    main()
