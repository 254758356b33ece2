"""How answer times and memory grow with the data: size curves for a kern and a gemeente.

Kern: 50, 500 and 5,000 objects in believable proportions (8% thema's, 40% projects, 16%
meetings, 12% ideas, 24% news), written through the same functions as beheer, so the outbox
is signed and full too. Gemeente: the objects of 26, 260 and 2,600 kernen (`--kern-objects`
each: thema's, projects and meetings), loaded straight into the read model through ingest.

Each size is served by the real server (uvicorn, one worker, `node.asgi:from_environment`):

- time: the median of `--repeats` sequential GETs of each main page, feed and API answer,
  with the page cache off (what rendering costs at that size; with the cache on, a repeat
  visit costs about a millisecond whatever the size);
- memory: VmRSS of a second server process, page cache on as in production, after every
  address was fetched three times (warm-up). Target: a kern under 80 MB.

Results go to bench/results/sizes.json and are drawn as SVG next to it.

    .venv/bin/python bench/bench_sizes.py                      # all sizes
    .venv/bin/python bench/bench_sizes.py --kern 50 500 --gemeente 26 260   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
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


def warm_rss(url: str, pid: int, paths: list[tuple[str, str]]) -> float:
    import httpx

    with httpx.Client(base_url=url, timeout=60.0) as client:
        for _ in range(3):
            for _name, path in paths:
                client.get(path).raise_for_status()
    time.sleep(0.5)
    return round(bench_pages.rss_mb(pid), 1)


def measure(data_dir: Path, folder: Path, paths: list, repeats: int) -> tuple[dict, float]:
    server = serve(data_dir, cached=False, folder=folder, name="uncached")
    try:
        times = median_times(server.url, paths, repeats)
    finally:
        bench_pages.stop(server)
    server = serve(data_dir, cached=True, folder=folder, name="cached")
    try:
        rss = warm_rss(server.url, server.process.pid, paths)
    finally:
        bench_pages.stop(server)
    return times, rss


def run_kern(total: int, repeats: int, root: Path) -> dict:
    folder = root / f"kern-{total}"
    data_dir = bench_pages.make_node(folder, "http://127.0.0.1:8000")
    began = time.perf_counter()
    counts = seed_kern(data_dir, total, random.Random(total))
    seeding = time.perf_counter() - began
    times, rss = measure(data_dir, folder, KERN_PATHS, repeats)
    print(f"kern {total:>6} objects: seeded in {seeding:.0f} s, {rss} MB after warm-up")
    return {"objects": total, "counts": counts, "seed_s": round(seeding, 1), "rss_mb": rss,
            "pages": times}  # fmt: skip


def run_gemeente(kernen: int, per_kern: int, repeats: int, root: Path) -> dict:
    folder = root / f"gemeente-{kernen}"
    data = bench_gemeente.make_gemeente(folder, bench_gemeente.GEMEENTE_URL)
    began = time.perf_counter()
    # 26 followed kernen carrying the projects of `kernen` kernen: the read model's size.
    projects = bench_gemeente.seed_read_model(data, kernen * per_kern, random.Random(kernen))
    seeding = time.perf_counter() - began
    times, rss = measure(data, folder, GEMEENTE_PATHS, repeats)
    print(f"gemeente {kernen:>5} kernen' worth ({projects} projects): {rss} MB after warm-up")
    return {"kernen_worth": kernen, "projects": projects, "seed_s": round(seeding, 1),
            "rss_mb": rss, "pages": times}  # fmt: skip


# --- output ----------------------------------------------------------------------------------


def draw(results: dict) -> list[Path]:
    drawn = []
    kern, gemeente = results["kern"], results["gemeente"]
    if kern:
        xs = [run["objects"] for run in kern]
        names = list(kern[0]["pages"])
        series = {n: [run["pages"][n]["median_ms"] for run in kern] for n in names}
        path = RESULTS / "sizes_kern_ms.svg"
        line_chart(path, "Kern: mediaan antwoordtijd (zonder paginacache)",
                   "objecten in de kern", "ms", xs, series)  # fmt: skip
        drawn.append(path)
    if gemeente:
        xs = [run["kernen_worth"] for run in gemeente]
        names = list(gemeente[0]["pages"])
        series = {n: [run["pages"][n]["median_ms"] for run in gemeente] for n in names}
        path = RESULTS / "sizes_gemeente_ms.svg"
        line_chart(path, "Gemeente: mediaan antwoordtijd (zonder paginacache)",
                   "kernen aan objecten", "ms", xs, series)  # fmt: skip
        drawn.append(path)
    memory = {}
    if kern:
        memory["kern (objecten)"] = ([r["objects"] for r in kern], [r["rss_mb"] for r in kern])
    if gemeente:
        memory["gemeente (kernen)"] = (
            [r["kernen_worth"] for r in gemeente],
            [r["rss_mb"] for r in gemeente],
        )
    for name, (xs, values) in memory.items():
        slug = name.split()[0]
        path = RESULTS / f"sizes_{slug}_rss.svg"
        line_chart(path, f"{slug.capitalize()}: geheugen (RSS) na opwarmen", name, "MB", xs,
                   {"RSS": values}, target=KERN_TARGET_MB if slug == "kern" else None)  # fmt: skip
        drawn.append(path)
    return drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kern", type=int, nargs="*", default=[50, 500, 5000])
    parser.add_argument("--gemeente", type=int, nargs="*", default=[26, 260, 2600])
    parser.add_argument("--kern-objects", type=int, default=8, help="projects per kern")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bloei-sizes-") as tmp:
        root = Path(tmp)
        results = {
            "machine": {
                "platform": platform.platform(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "repeats": args.repeats,
            "kern": [run_kern(total, args.repeats, root) for total in args.kern],
            "gemeente": [
                run_gemeente(k, args.kern_objects, args.repeats, root) for k in args.gemeente
            ],
        }
    (RESULTS / "sizes.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for path in draw(results):
        print(f"drew {path.relative_to(HERE.parent)}")
    worst = max((run["rss_mb"] for run in results["kern"]), default=0.0)
    if worst > KERN_TARGET_MB:
        print(f"kern memory {worst} MB is above the {KERN_TARGET_MB:g} MB target")


if __name__ == "__main__":
    main()
