"""Benchmark: 26 kernen in one `bloei serve --sites` process, memory after serving each.

    .venv/bin/python bench/bench_sites.py            # measure and print
    .venv/bin/python bench/bench_sites.py --record   # also append the run to bench/README.md

Makes 26 kernen (the villages of West Betuwe) in a temporary folder, each with the sample
data of `bloei demo` (node/kern/sample/beesd.toml), writes a sites.toml naming them by host name,
starts one real `bloei serve --sites` process, asks each kern's home page and project list
(twice: the second round comes from the page cache), then reads the process's resident
memory (VmRSS) and thread count from /proc. Target: under 200 MB.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from node.app import open_database  # noqa: E402
from node.kern.sample import load_sample  # noqa: E402
from node.settings import create_secret, load_settings, slugify, write_config  # noqa: E402

VILLAGES = [
    "Acquoy", "Asperen", "Beesd", "Buurmalsen", "Deil", "Enspijk", "Est", "Geldermalsen",
    "Gellicum", "Haaften", "Heesselt", "Hellouw", "Herwijnen", "Heukelum", "Meteren",
    "Neerijnen", "Ophemert", "Opijnen", "Rhenoy", "Rumpt", "Spijk", "Tricht", "Tuil",
    "Varik", "Vuren", "Waardenburg",
]  # fmt: skip
TARGET_MB = 200
from results import record  # noqa: E402

MARKER = "<!-- bench_sites results -->"
PAGES = ("/", "/projecten")


def make_kernen(folder: Path, count: int) -> Path:
    entries = []
    for name in VILLAGES[:count]:
        slug = slugify(name)
        data = folder / slug
        data.mkdir()
        host = f"{slug}.bench"
        write_config(
            data, {"role": "kern", "name": name, "slug": slug, "public_url": f"http://{host}"}
        )
        create_secret(data)
        settings = load_settings(data)
        db = open_database(settings)
        try:
            load_sample(db, settings)
        finally:
            db.close()
        entries.append(f'[[site]]\nhost = "{host}"\ndata = "{data}"\n')
    sites = folder / "sites.toml"
    sites.write_text("\n".join(entries), encoding="utf-8")
    return sites


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def rss_mb(pid: int) -> float:
    return int(proc_status(pid)["VmRSS"].split()[0]) / 1024


def wait_ready(url: str, host: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bloei serve --sites stopped with exit code {process.returncode}")
        try:
            if httpx.get(url, headers={"host": host}, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("bloei serve --sites did not answer in time")


def run(count: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bloei-bench-sites-") as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        sites = make_kernen(folder, count)
        seeded = time.monotonic() - started
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = (folder / "server.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", "--sites", str(sites), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base + "/", f"{slugify(VILLAGES[0])}.bench", process)
            startup_mb = rss_mb(process.pid)
            timings = []
            with httpx.Client(base_url=base, timeout=30) as http:
                for round_ in range(2):
                    for name in VILLAGES[:count]:
                        host = f"{slugify(name)}.bench"
                        for path in PAGES:
                            t = time.perf_counter()
                            response = http.get(path, headers={"host": host})
                            timings.append((round_, time.perf_counter() - t))
                            if response.status_code != 200 or name not in response.text:
                                raise SystemExit(f"{host}{path}: {response.status_code}")
                unknown = http.get("/", headers={"host": "elders.bench"}).status_code
            status = proc_status(process.pid)
            result = {
                "kernen": count,
                "seed_s": seeded,
                "startup_mb": startup_mb,
                "rss_mb": int(status["VmRSS"].split()[0]) / 1024,
                "threads": int(status["Threads"]),
                "first_ms": 1000 * max(t for r, t in timings if r == 0),
                "cached_ms": 1000 * max(t for r, t in timings if r == 1),
                "unknown_host": unknown,
            }
        finally:
            process.terminate()
            process.wait(30)
            log.close()
    return result


def report(result: dict) -> str:
    ok = "yes" if result["rss_mb"] < TARGET_MB else "NO"
    return "\n".join(
        [
            f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
            f"Python {platform.python_version()}",
            "",
            "| kernen | RSS after start | RSS after 2 pages each, twice | threads "
            "| slowest first page | slowest cached page | unknown host | under 200 MB |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {result['kernen']} | {result['startup_mb']:.0f} MB | {result['rss_mb']:.0f} MB "
            f"| {result['threads']} | {result['first_ms']:.0f} ms | {result['cached_ms']:.0f} ms "
            f"| {result['unknown_host']} | {ok} |",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernen", type=int, default=len(VILLAGES), help="how many (max 26)")
    parser.add_argument("--record", action="store_true", help="append to bench/README.md")
    args = parser.parse_args()
    result = run(min(args.kernen, len(VILLAGES)))
    text = report(result)
    print(text)
    if args.record:
        record(MARKER, text)
    return 0 if result["rss_mb"] < TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
