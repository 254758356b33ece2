"""How answer times and memory grow with the data: size curves for a kern and a gemeente.

Kern: 50, 500 and 5,000 objects in believable proportions (8% thema's, 40% projects, 16%
meetings, 12% ideas, 24% news), written through the same functions as beheer, so the outbox
is signed and full too.

Gemeente: 26, 260 and 2,600 kernen, each with what `--kern-activities` activities of its
outbox leave behind (8 thema's, then projects, updates of them and meetings over the last
eight months and the coming four), loaded straight into the read model through ingest.

Each size is served by the real server (uvicorn, one worker, `node.asgi:from_environment`):

- time: the median of `--repeats` sequential GETs of each main page, feed and API answer,
  with the page cache off (what rendering costs at that size; with the cache on, a repeat
  visit costs about a millisecond whatever the size);
- memory: VmRSS and VmHWM (the peak) of a second server process, page cache on as in
  production, after every address was fetched three times (warm-up). Target: a kern under
  80 MB.

For the gemeente, at each size also:

- load: `wrk` (or the httpx loader of bench_pages.py) with 4 connections and the page cache
  off, `--seconds` per address, on the overview, the projects page plain, searched and
  filtered, the calendar page and the calendar feed: p50 and p99 (target: p99 under 50 ms),
  and the server's VmRSS and VmHWM after it;
- ingest: `--ingest` signed activities pushed to the inbox of that same full gemeente, in
  the process (bench_gemeente.bench_ingest): activities per second;
- catch-up: a new gemeente pulls all N kernen from position 0 over HTTP with
  `GemeenteFederation.pull_many`, as its pull job does (bench_gemeente.bench_catch_up);
  every kern is an origin of its own (a port each up to 26, a loopback address each above).

Results go to bench/results/sizes.json (a part not run keeps its previous figures) and are
drawn as SVG next to it.

    .venv/bin/python bench/bench_sizes.py                      # all sizes, about 20 minutes
    .venv/bin/python bench/bench_sizes.py --quick              # smaller sizes, a few minutes
    .venv/bin/python bench/bench_sizes.py --kern --gemeente 26 260 2600   # the gemeente only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_gemeente  # noqa: E402  (a sibling script, found through the line above)
import bench_pages  # noqa: E402
from svgplot import line_chart  # noqa: E402

RESULTS = HERE / "results"
KERN_TARGET_MB = 80.0
P99_TARGET_MS = 50.0
GEMEENTE_CONNECTIONS = 4
WHO = "Benchmark"
SHARES = {"themas": 0.08, "projects": 0.40, "meetings": 0.16, "ideas": 0.12, "news": 0.24}
KERN_PATHS = [
    ("home", "/"),
    ("agenda", "/agenda"),
    ("projecten", "/projecten"),
    ("bijeenkomsten", "/bijeenkomsten"),
    ("nieuws", "/nieuws"),
    ("ideeen", "/ideeen"),
    ("feed.atom", "/feed.atom"),
    ("kalender.ics", "/bijeenkomsten.ics"),
    ("actor", "/actor"),
    ("outbox page", "/actor/outbox?page=true"),
    ("api projecten", "/api/v1/projecten"),
    ("api themas", "/api/v1/themas"),
]
GEMEENTE_PATHS = [
    ("overzicht", "/"),
    ("projecten", "/projecten"),
    ("themas", "/themas"),
    ("kalender", "/kalender"),
    ("kalender.ics", "/kalender.ics"),
    ("api projecten", "/api/v1/projecten"),
    ("api themas", "/api/v1/themas"),
]
# Under load, page cache off: what staff filtering at once wait for.
GEMEENTE_LOAD_PATHS = [
    ("overzicht", "/"),
    ("projecten", "/projecten"),
    ("projecten, filters", "/projecten?thema=verkeer&fase=actief&gemeente=ja&sorteer=kern"),
    ("projecten, zoeken", "/projecten?q=bankjes+ouderen"),
    ("projecten, stil", "/projecten?stil=6&sorteer=stilst"),
    ("kalender", "/kalender"),
    ("kalender.ics", "/kalender.ics"),
]
# Kept whole per data version: under load (no writes) every poll after the first is the kept
# body, so these are also timed right after a change.
GEMEENTE_KEPT_PATHS = [("kalender.ics", "/kalender.ics")]


def counts_for(total: int) -> dict[str, int]:
    counts = {kind: max(1, round(total * share)) for kind, share in SHARES.items()}
    counts["projects"] += total - sum(counts.values())
    return counts


# --- seeding ---------------------------------------------------------------------------------


def seed_kern(data_dir: Path, total: int, rng: random.Random) -> dict[str, int]:
    """Thema's and projects as bench_pages seeds them, then meetings, ideas and news."""
    from node.app import open_database
    from node.kern.ideas import model as ideas
    from node.kern.meetings import model as meetings
    from node.kern.news import model as news
    from node.settings import load_settings

    counts = counts_for(total)
    bench_pages.seed(data_dir, counts["projects"], counts["themas"], rng)
    settings = load_settings(data_dir)
    db = open_database(settings)
    today = date.today()

    def fill(conn) -> None:
        for number in range(counts["meetings"]):
            day = today + timedelta(days=rng.randint(-300, 90))
            start = meetings.local_moment(day, datetime.strptime("19:30", "%H:%M").time())
            values = {
                "title": f"{rng.choice(bench_pages.SUBJECTS)}: avond {number + 1}",
                "description": " ".join(rng.sample(bench_pages.SENTENCES, 2)),
                "place_name": "Dorpshuis",
                "place_address": "Dorpsstraat 1, 4153 AA Beesd",
                "capacity": rng.choice([None, 40, 80]),
                "starts_at": meetings.utc_iso(start),
                "ends_at": meetings.utc_iso(start + timedelta(hours=2)),
            }
            meetings.create_meeting(conn, settings, WHO, values, [], [])
        for number in range(counts["ideas"]):
            idea_id, _token = ideas.submit_idea(
                conn,
                settings,
                f"{rng.choice(bench_pages.SUBJECTS)} {rng.choice(bench_pages.PURPOSES)}",
                "\n\n".join(rng.sample(bench_pages.SENTENCES, 2)),
                "Fatima Yilmaz",
                f"idee{number}@example.org",
            )
            ideas.publish_idea(conn, settings, WHO, idea_id)
        for number in range(counts["news"]):
            moment = datetime.now(UTC) - timedelta(hours=rng.randint(1, 24 * 700))
            values = {
                "title": f"Bericht {number + 1} over {rng.choice(bench_pages.PLACES)}",
                "body": "\n\n".join(rng.sample(bench_pages.SENTENCES, 3)),
                "published_at": news.utc_stamp(moment),
            }
            news.save_news(conn, settings, WHO, values)

    try:
        db.write(fill)
    finally:
        db.close()
    return counts


# --- measuring -------------------------------------------------------------------------------


def serve(data_dir: Path, cached: bool, folder: Path, name: str) -> bench_pages.Server:
    port = bench_pages.free_port()
    env = {
        **os.environ,
        "BLOEI_DATA": str(data_dir),
        "BLOEI_PAGE_CACHE": "true" if cached else "false",
        "BLOEI_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BLOEI_BACKGROUND_JOBS": "false",
    }
    server = bench_pages.start(
        name, ["--factory", "node.asgi:from_environment"], port, env, folder / f"{name}.log"
    )
    bench_pages.wait_until_answering(server)
    return server


def median_times(url: str, paths: list[tuple[str, str]], repeats: int) -> dict[str, dict]:
    import httpx

    found = {}
    with httpx.Client(base_url=url, timeout=60.0) as client:
        for name, path in paths:
            plain = client.get(path, headers={"Accept-Encoding": "identity"})
            if plain.status_code != 200:
                raise SystemExit(f"{path} answered {plain.status_code}: {plain.text[:300]}")
            packed = client.get(path, headers={"Accept-Encoding": "gzip"})
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
            found[name] = {
                "path": path,
                "median_ms": round(statistics.median(times), 2),
                "bytes": len(plain.content),
                "gzip_bytes": int(packed.headers.get("content-length") or len(plain.content)),
            }
    return found


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (the peak since the start) of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key.lower()] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": found["vmrss"], "hwm_mb": found["vmhwm"]}


def warm_memory(url: str, pid: int, paths: list[tuple[str, str]]) -> dict[str, float]:
    import httpx

    with httpx.Client(base_url=url, timeout=60.0) as client:
        for _ in range(3):
            for _name, path in paths:
                client.get(path).raise_for_status()
    time.sleep(0.5)
    return memory_mb(pid)


def measure(data_dir: Path, folder: Path, paths: list, repeats: int) -> tuple[dict, dict]:
    server = serve(data_dir, cached=False, folder=folder, name="uncached")
    try:
        times = median_times(server.url, paths, repeats)
    finally:
        bench_pages.stop(server)
    server = serve(data_dir, cached=True, folder=folder, name="cached")
    try:
        memory = warm_memory(server.url, server.process.pid, paths)
    finally:
        bench_pages.stop(server)
    return times, memory


def after_change_times(
    url: str, data_dir: Path, paths: list[tuple[str, str]], repeats: int
) -> dict[str, dict]:
    """The median GET right after the data changed (its version moved, as any write moves
    it): for answers kept per data version, what the first poll after a change costs."""
    import sqlite3

    import httpx

    found = {}
    with httpx.Client(base_url=url, timeout=60.0) as client:
        for name, path in paths:
            times = []
            for _ in range(repeats):
                with sqlite3.connect(data_dir / "bloei.db") as conn:
                    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
                began = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - began) * 1000)
            found[name] = {"path": path, "median_ms": round(statistics.median(times), 2)}
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process used so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reference(folder: Path, seconds: float, run) -> dict:
    """The minimal Starlette app of bench_pages.py under the same load: what this machine
    gives at that moment, so figures of a busy moment can be told from a slow page."""
    port = bench_pages.free_port()
    server = bench_pages.start(
        "minimal",
        ["--factory", "--app-dir", str(HERE), "bench_pages:minimal_app"],
        port,
        dict(os.environ),
        folder / "minimal.log",
    )
    try:
        bench_pages.wait_until_answering(server)
        run(server.url + "/", 1.0)
        rps, p50, p99, count, errors = run(server.url + "/", seconds)
    finally:
        bench_pages.stop(server)
    return {"rps": round(rps, 1), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
            "requests": count, "errors": errors}  # fmt: skip


def load(data_dir: Path, folder: Path, seconds: float, loader: str) -> tuple[dict, dict]:
    """p50 and p99 of each address under `GEMEENTE_CONNECTIONS` connections, page cache off,
    the server's CPU time per request (what a page costs, whoever else uses the machine), and
    the server's memory after all of them."""
    bench_pages.CONNECTIONS = GEMEENTE_CONNECTIONS
    run = bench_pages.run_wrk if loader == "wrk" else bench_pages.run_httpx
    found = {"minimal app": {"path": "/", "bytes": 0, **reference(folder, seconds, run)}}
    server = serve(data_dir, cached=False, folder=folder, name="load")
    pid = server.process.pid
    try:
        for name, path in GEMEENTE_LOAD_PATHS:
            url = server.url + path
            size = bench_pages.check_page(url)
            run(url, 1.0)  # warm-up: templates compiled, SQLite's cache filled
            used = cpu_seconds(pid)
            rps, p50, p99, count, errors = run(url, seconds)
            cpu_ms = (cpu_seconds(pid) - used) * 1000 / max(count, 1)
            found[name] = {"path": path, "bytes": size, "rps": round(rps, 1),
                           "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
                           "cpu_ms": round(cpu_ms, 2), "requests": count,
                           "errors": errors}  # fmt: skip
        memory = memory_mb(pid)
        changed = after_change_times(server.url, data_dir, GEMEENTE_KEPT_PATHS, 10)
        for name, times in changed.items():
            found[name]["after_change_median_ms"] = times["median_ms"]
    finally:
        bench_pages.stop(server)
    return found, memory


def run_kern(total: int, repeats: int, root: Path) -> dict:
    folder = root / f"kern-{total}"
    data_dir = bench_pages.make_node(folder, "http://127.0.0.1:8000")
    began = time.perf_counter()
    counts = seed_kern(data_dir, total, random.Random(total))
    seeding = time.perf_counter() - began
    times, memory = measure(data_dir, folder, KERN_PATHS, repeats)
    print(f"kern {total:>6} objects: seeded in {seeding:.0f} s, {memory['rss_mb']} MB after "
          f"warm-up (peak {memory['hwm_mb']} MB)")  # fmt: skip
    return {"objects": total, "counts": counts, "seed_s": round(seeding, 1), **memory,
            "pages": times}  # fmt: skip


def run_gemeente(kernen: int, args: argparse.Namespace, loader: str, root: Path) -> dict:
    folder = root / f"gemeente-{kernen}"
    data = bench_gemeente.make_gemeente(folder, bench_gemeente.GEMEENTE_URL)
    began = time.perf_counter()
    counts = bench_gemeente.seed_kernen(data, kernen, args.kern_activities, random.Random(kernen))
    seeding = time.perf_counter() - began
    print(f"gemeente {kernen:>5} kernen: seeded in {seeding:.0f} s, {counts}", flush=True)
    times, memory = measure(data, folder, GEMEENTE_PATHS, args.repeats)
    loaded, load_memory = load(data, folder, args.seconds, loader)
    for name, found in loaded.items():
        changed = found.get("after_change_median_ms")
        print(f"  {name:<20} p50 {found['p50_ms']:>7.1f} ms  p99 {found['p99_ms']:>7.1f} ms  "
              f"cpu {found.get('cpu_ms', 0):>6.1f} ms  {found['bytes']:>9,} bytes"
              + (f", {changed} ms after a change" if changed else ""), flush=True)  # fmt: skip
    # Ingest last: it adds a kern and its projects to this read model.
    pushed = bench_gemeente.bench_ingest(folder, args.ingest, data=data)
    ingest = {"count": pushed["count"], "seconds": round(pushed["seconds"], 2),
              "per_second": round(pushed["count"] / pushed["seconds"], 1),
              "accepted": pushed["accepted"], "applied": pushed["applied"]}  # fmt: skip
    print(f"  ingest: {ingest['per_second']:,.0f} activities/s", flush=True)
    pulled = bench_gemeente.bench_catch_up(
        folder, args.kern_activities, kernen=kernen, key_pairs=args.key_pairs
    )
    total = pulled["kernen"] * pulled["per_kern"]
    catch_up = {**pulled, "seconds": round(pulled["seconds"], 2),
                "signing": round(pulled["signing"], 1), "activities": total,
                "per_second": round(total / pulled["seconds"], 1)}  # fmt: skip
    print(f"  catch-up of {total:,} activities from {pulled['kernen']} kernen: "
          f"{pulled['seconds']:.1f} s, errors: {pulled['errors'][:3] or 'none'}", flush=True)  # fmt: skip
    return {"kernen": kernen, "kern_activities": args.kern_activities, "counts": counts,
            "seed_s": round(seeding, 1), **memory, "pages": times, "load": loaded,
            "load_memory": load_memory, "ingest": ingest, "catch_up": catch_up}  # fmt: skip


# --- output ----------------------------------------------------------------------------------


def draw(results: dict) -> list[Path]:
    drawn = []
    kern, gemeente = results["kern"], results["gemeente"]

    def chart(name: str, *args, **kwargs) -> None:
        path = RESULTS / name
        line_chart(path, *args, **kwargs)
        drawn.append(path)

    if kern:
        xs = [run["objects"] for run in kern]
        series = {n: [run["pages"][n]["median_ms"] for run in kern] for n in kern[0]["pages"]}
        chart("sizes_kern_ms.svg", "Kern: mediaan antwoordtijd (zonder paginacache)",
              "objecten in de kern", "ms", xs, series)  # fmt: skip
        memory = {"RSS": [r["rss_mb"] for r in kern]}
        if all("hwm_mb" in r for r in kern):
            memory["piek (VmHWM)"] = [r["hwm_mb"] for r in kern]
        chart("sizes_kern_rss.svg", "Kern: geheugen na opwarmen", "objecten in de kern", "MB",
              xs, memory, target=KERN_TARGET_MB)  # fmt: skip
    if not gemeente:
        return drawn
    xs = [run["kernen"] for run in gemeente]
    x_label = "kernen in de gemeente"
    series = {n: [run["pages"][n]["median_ms"] for run in gemeente] for n in gemeente[0]["pages"]}
    chart("sizes_gemeente_ms.svg", "Gemeente: mediaan antwoordtijd (zonder paginacache)",
          x_label, "ms (logaritmisch)", xs, series, log_y=True)  # fmt: skip
    names = list(gemeente[0]["load"])
    pages = [n for n in names if not n.endswith(".ics")]
    measured = [n for n in names if "cpu_ms" in gemeente[0]["load"][n]]
    chart("sizes_gemeente_cpu.svg", "Gemeente: CPU-tijd van de server per verzoek",
          x_label, "ms (logaritmisch)", xs, {n: [run["load"][n]["cpu_ms"] for run in gemeente]
                                             for n in measured}, log_y=True)  # fmt: skip
    chart("sizes_gemeente_p99.svg",
          f"Gemeente: p99 bij {GEMEENTE_CONNECTIONS} verbindingen (zonder paginacache)",
          x_label, "ms (logaritmisch)", xs,
          {n: [run["load"][n]["p99_ms"] for run in gemeente] for n in pages},
          target=P99_TARGET_MS, log_y=True)  # fmt: skip
    feeds = [n for n in names if n.endswith(".ics")]
    if feeds:
        series = {}
        for n in feeds:
            series[f"{n} p50"] = [run["load"][n]["p50_ms"] for run in gemeente]
            series[f"{n} p99"] = [run["load"][n]["p99_ms"] for run in gemeente]
            if all("after_change_median_ms" in run["load"][n] for run in gemeente):
                series[f"{n} na wijziging"] = [
                    run["load"][n]["after_change_median_ms"] for run in gemeente
                ]
        chart("sizes_gemeente_ics.svg",
              f"Gemeente: agenda-abonnement bij {GEMEENTE_CONNECTIONS} verbindingen",
              x_label, "ms (logaritmisch)", xs, series, target=P99_TARGET_MS,
              log_y=True)  # fmt: skip
    chart("sizes_gemeente_ingest.svg", "Gemeente: ontvangen activiteiten per seconde",
          x_label, "activiteiten/s", xs,
          {"inbox (push)": [run["ingest"]["per_second"] for run in gemeente],
           "inhalen (pull)": [run["catch_up"]["per_second"] for run in gemeente]})  # fmt: skip
    chart("sizes_gemeente_catchup.svg", "Gemeente: alle kernen inhalen vanaf het begin",
          x_label, "seconden", xs,
          {"inhalen": [run["catch_up"]["seconds"] for run in gemeente]})  # fmt: skip
    chart("sizes_gemeente_rss.svg", "Gemeente: geheugen", x_label, "MB", xs,
          {"RSS na opwarmen (cache aan)": [run["rss_mb"] for run in gemeente],
           "piek, cache aan": [run["hwm_mb"] for run in gemeente],
           "RSS na belasting (cache uit)": [run["load_memory"]["rss_mb"] for run in gemeente],
           "piek, cache uit": [run["load_memory"]["hwm_mb"] for run in gemeente]})  # fmt: skip
    return drawn


def gemeente_tables(results: dict) -> str:
    """The gemeente's figures as Markdown tables for bench/README.md."""
    runs = results["gemeente"]
    head = "| | " + " | ".join(f"{run['kernen']:,} kernen" for run in runs) + " |"
    rule = "| --- |" + " ---: |" * len(runs)

    def row(label: str, values: list[str]) -> str:
        return f"| {label} | " + " | ".join(values) + " |"

    lines = [head, rule]
    lines.append(row("projects / meetings in the read model",
                     [f"{r['counts']['projects']:,} / {r['counts']['meetings']:,}" for r in runs]))  # fmt: skip
    lines.append(row("ingest, activities/s (inbox, in the process)",
                     [f"{r['ingest']['per_second']:,.0f}" for r in runs]))  # fmt: skip
    lines.append(row("catch-up of every kern, seconds",
                     [f"{r['catch_up']['seconds']:,.1f}" for r in runs]))  # fmt: skip
    lines.append(row("catch-up, activities (activities/s)",
                     [f"{r['catch_up']['activities']:,} ({r['catch_up']['per_second']:,.0f})"
                      for r in runs]))  # fmt: skip
    lines.append(row("VmRSS / VmHWM after warm-up, cache on (MB)",
                     [f"{r['rss_mb']} / {r['hwm_mb']}" for r in runs]))  # fmt: skip
    lines.append(row("VmRSS / VmHWM after the load, cache off (MB)",
                     [f"{r['load_memory']['rss_mb']} / {r['load_memory']['hwm_mb']}"
                      for r in runs]))  # fmt: skip
    lines += ["", f"p50 / p99 ms at {GEMEENTE_CONNECTIONS} connections, page cache off; server "
              "CPU ms per request; bytes:", "", head, rule]  # fmt: skip
    for name in runs[0]["load"]:
        cells = []
        for r in runs:
            found = r["load"][name]
            cell = f"{found['p50_ms']:.1f} / **{found['p99_ms']:.1f}**"
            if "cpu_ms" in found:
                cell += f"; {found['cpu_ms']:.1f} CPU; {found['bytes']:,} B"
            if "after_change_median_ms" in found:
                cell += f"; {found['after_change_median_ms']:.1f} after a change"
            cells.append(cell)
        lines.append(row(f"{name} `{runs[0]['load'][name]['path']}`", cells))
    lines += ["", "Median ms of 15 sequential GETs, page cache off:", "", head, rule]
    for name in runs[0]["pages"]:
        lines.append(row(f"`{runs[0]['pages'][name]['path']}`",
                         [f"{r['pages'][name]['median_ms']:.1f}" for r in runs]))  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kern", type=int, nargs="*", default=None,
                        help="kern sizes in objects (none: keep the previous figures)")  # fmt: skip
    parser.add_argument("--gemeente", type=int, nargs="*", default=None,
                        help="gemeente sizes in kernen (none: keep the previous figures)")  # fmt: skip
    parser.add_argument("--kern-activities", type=int, default=40,
                        help="outbox activities per kern in the gemeente")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=5.0, help="load per gemeente address")
    parser.add_argument("--ingest", type=int, default=1000, help="activities pushed per size")
    parser.add_argument("--key-pairs", type=int, default=26,
                        help="key pairs the kernen of a catch-up share")  # fmt: skip
    parser.add_argument("--loader", choices=("wrk", "httpx"), default=None)
    parser.add_argument("--tables", action="store_true",
                        help="print the gemeente figures of sizes.json as Markdown, run nothing")  # fmt: skip
    parser.add_argument("--draw", action="store_true",
                        help="draw the curves of sizes.json again, run nothing")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and shorter runs: a few minutes")  # fmt: skip
    args = parser.parse_args()
    if args.tables or args.draw:
        found = json.loads((RESULTS / "sizes.json").read_text(encoding="utf-8"))
        if args.draw:
            for drawn in draw(found):
                print(f"drew {drawn.relative_to(HERE.parent)}")
        if args.tables:
            print(gemeente_tables(found))
        return
    if args.quick:
        args.kern = [50, 500] if args.kern is None else args.kern
        args.gemeente = [26, 260] if args.gemeente is None else args.gemeente
        args.repeats, args.seconds, args.ingest = 5, 2.0, 300
    kern_sizes = [50, 500, 5000] if args.kern is None else args.kern
    gemeente_sizes = [26, 260, 2600] if args.gemeente is None else args.gemeente
    loader = args.loader or ("wrk" if shutil.which("wrk") else "httpx")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "sizes.json"
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    machine = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    when = datetime.now(UTC).isoformat(timespec="seconds")
    results = {"kern": [], "gemeente": [], **previous}
    if "when" in previous:  # the layout before each part carried its own run
        earlier = {key: previous[key] for key in ("when", "machine", "repeats")}
        results.setdefault("kern_run", earlier)
        results.setdefault("gemeente_run", earlier)
    with tempfile.TemporaryDirectory(prefix="bloei-sizes-") as tmp:
        root = Path(tmp)
        if kern_sizes:
            results["kern"] = [run_kern(total, args.repeats, root) for total in kern_sizes]
            results["kern_run"] = {"when": when, "machine": machine, "repeats": args.repeats}
        if gemeente_sizes:
            results["gemeente"] = [run_gemeente(k, args, loader, root) for k in gemeente_sizes]
            results["gemeente_run"] = {
                "when": when, "machine": machine, "repeats": args.repeats,
                "loader": loader, "connections": GEMEENTE_CONNECTIONS, "seconds": args.seconds,
                "kern_activities": args.kern_activities, "key_pairs": args.key_pairs,
            }  # fmt: skip
    for old in ("machine", "when", "repeats"):
        results.pop(old, None)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for drawn in draw(results):
        print(f"drew {drawn.relative_to(HERE.parent)}")
    worst = max((run["rss_mb"] for run in results["kern"]), default=0.0)
    if worst > KERN_TARGET_MB:
        print(f"kern memory {worst} MB is above the {KERN_TARGET_MB:g} MB target")
    for run in results["gemeente"]:
        for name, found in run.get("load", {}).items():
            if name != "minimal app" and found["p99_ms"] >= P99_TARGET_MS:
                print(f"gemeente, {run['kernen']} kernen: {name} p99 {found['p99_ms']} ms "
                      f"is above the {P99_TARGET_MS:g} ms target")  # fmt: skip


if __name__ == "__main__":
    main()
