"""How fast a kern node serves its public pages to anonymous visitors, on this machine.

Seeds a kern with 200 projects, 30 thema's, 40 meetings, 30 ideas and 60 news, starts the
real server (uvicorn, one worker, no access log) and, beside it, a minimal Starlette app on
the same stack, then loads both over loopback with 16 connections: `wrk --latency` if it is on PATH, otherwise a small
asyncio load generator with httpx. Prints a Markdown table and checks the targets:

- every page serves at least 30% of the minimal app's requests per second;
- p99 latency under 20 ms at 16 connections;
- the server's resident memory (VmRSS) under 100 MB after the run.

    .venv/bin/python bench/bench_pages.py            # measure and print
    .venv/bin/python bench/bench_pages.py --record   # also append the run to bench/README.md

Anonymous GETs are served from the page cache (node/web/middleware.py) once rendered,
as for real visitors; the warm-up before each measurement fills it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
RESULTS_HEADING = "## Results"

CONNECTIONS = 16
# Beside the projects: enough for every public list to fill a page or two.
MEETINGS, IDEAS, NEWS = 40, 30, 60
MIN_SHARE = 0.30
MAX_P99_MS = 20.0
MAX_RSS_MB = 100.0
START_TIMEOUT = 30.0
WHO = "Benchmark"

# --- the minimal app, served by its own uvicorn process (`--factory bench_pages:minimal_app`)


def minimal_app():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        return PlainTextResponse("Hallo, Beesd!")

    return Starlette(routes=[Route("/", hello)])


# --- seeding -------------------------------------------------------------------------------

PLACES = [
    "de Dorpsstraat", "de Kerkweg", "de Lingedijk", "het sportpark", "de Molenweg",
    "het dorpshuis", "de basisschool", "het Meerpad", "de Rijksstraatweg", "het kerkplein",
    "de Achterstraat", "de Hoge Dijk", "de uiterwaarden", "het station", "de Voorstraat",
]  # fmt: skip
SUBJECTS = [
    "Bankjes", "Bloeiende bermen", "Een AED", "Speeltoestellen", "Fietsenstalling",
    "Jeu-de-boulesbaan", "Moestuin", "Wandelroute", "Zebrapad", "Laadpaal", "Bibliotheekkast",
    "Hondenuitlaatplek", "Buurtkamer", "Koffieochtend", "Zwerfvuilactie", "Bomenrij",
    "Insectenhotel", "Verlichting", "Snelheidsdisplay", "Ontmoetingsplek",
]  # fmt: skip
PURPOSES = [
    "voor ouderen", "voor jongeren", "voor iedereen", "met de school", "met de buren",
    "met de dorpsvereniging", "in de zomer", "dag en nacht", "voor gezinnen", "samen met de gemeente",
]  # fmt: skip
THEMA_WORDS = [
    "Verkeer", "Wonen", "Groen", "Ontmoeten", "Voorzieningen", "Veiligheid", "Jeugd",
    "Ouderen", "Sport", "Cultuur", "Water", "Energie", "Erfgoed", "Onderwijs", "Zorg",
]  # fmt: skip
THEMA_ANGLES = [
    "en leefbaarheid", "in de kern", "voor jong en oud", "langs de dijk", "en duurzaamheid",
    "in het buitengebied",
]  # fmt: skip
SENTENCES = [
    "Inwoners hebben dit op de bijeenkomst in het dorpshuis naar voren gebracht.",
    "De werkgroep zoekt nog vrijwilligers die een paar uur per maand willen helpen.",
    "De gemeente denkt mee en kijkt naar de kosten.",
    "We willen dat het veilig en goed bereikbaar is, ook voor mensen met een rollator.",
    "Het leefbaarheidsbudget kan een deel van de kosten dragen.",
    "Buren in de straat zijn gevraagd wat zij ervan vinden.",
    "Dit past bij wat in de kernagenda staat over **meedoen** en elkaar ontmoeten.",
]
PATHS = [
    ["idee"],
    ["idee", "verkenning"],
    ["idee", "verkenning", "planvorming"],
    ["idee", "verkenning", "planvorming", "uitvoering"],
    ["idee", "verkenning", "planvorming", "uitvoering", "afgerond"],
    ["idee", "verkenning", "gepauzeerd"],
    ["idee", "gestopt"],
]
PATH_WEIGHTS = [20, 20, 20, 25, 10, 3, 2]


def seed(data_dir: Path, projects_count: int, themas_count: int, rng: random.Random) -> str:
    """Fill a fresh kern; returns the slug of a project in uitvoering for the benchmark."""
    from node.app import open_database
    from node.kern.agenda import model as agenda
    from node.kern.projects import model as projects
    from node.settings import load_settings
    from node.vocabulary import LADDER, NEEDS, PRIORITIES, THEMA_STATUSES, WHO_ACTS

    settings = load_settings(data_dir)
    db = open_database(settings)
    base = date(2026, 1, 1)

    def fill(conn) -> str:
        thema_ids = []
        titles = set()
        while len(thema_ids) < themas_count:
            title = f"{rng.choice(THEMA_WORDS)} {rng.choice(THEMA_ANGLES)}"
            if title in titles:
                title = f"{title} ({len(titles) + 1})"
            titles.add(title)
            slug = agenda.save_thema(
                conn,
                settings,
                WHO,
                {
                    "title": title,
                    "description": " ".join(rng.sample(SENTENCES, 2)),
                    "priority": rng.choice(list(PRIORITIES)),
                    "status": rng.choice(list(THEMA_STATUSES)),
                    "actor": "samen",
                    "actor_other": "",
                },
            )
            thema_ids.append(
                conn.execute("SELECT id FROM themas WHERE slug = ?", (slug,)).fetchone()[0]
            )
        assert "samen" in WHO_ACTS
        agenda.publish_version(conn, settings, WHO, "Voorjaar 2026", "Gemaakt voor de benchmark.")
        chosen = ""
        for number in range(projects_count):
            title = f"{rng.choice(SUBJECTS)} bij {rng.choice(PLACES)} {rng.choice(PURPOSES)}"
            path = rng.choices(PATHS, PATH_WEIGHTS)[0]
            start = base - timedelta(days=rng.randint(60, 700))
            slug = projects.save_project(
                conn,
                settings,
                WHO,
                {
                    "title": title,
                    "summary": rng.choice(SENTENCES),
                    "description": "\n\n".join(rng.sample(SENTENCES, 4)),
                    "trekker_name": rng.choice(
                        ["", "Marieke van Dam", "Jan Bos", "Ahmed el Amrani"]
                    ),
                    "trekker_consent": rng.random() < 0.5,
                    "ladder": rng.choice(["", *LADDER]),
                    "needs": rng.sample(list(NEEDS), rng.randint(0, 2)),
                    "budget_requested": rng.choice([None, 50000, 250000, 1200000]),
                    "budget_granted": None,
                    "budget_source": "",
                    "start_date": start.isoformat(),
                    "target_date": None,
                },
                rng.sample(thema_ids, rng.randint(1, 3)),
                started_on=start,
            )
            project_id = conn.execute("SELECT id FROM projects WHERE slug = ?", (slug,)).fetchone()[
                0
            ]
            day = start
            for phase in path[1:]:
                day += timedelta(days=rng.randint(10, 80))
                note = rng.choice(SENTENCES) if phase in ("gepauzeerd", "gestopt") else ""
                projects.change_phase(conn, settings, WHO, project_id, phase, note, day)
            for update in range(rng.randint(0, 3)):
                projects.add_update(
                    conn,
                    settings,
                    WHO,
                    project_id,
                    f"Nieuws {update + 1}",
                    " ".join(rng.sample(SENTENCES, 2)),
                    day,
                )
            for supporter in range(rng.randint(0, 40)):
                projects.add_support(conn, project_id, f"bench-{number}-{supporter}")
            if not chosen and path[-1] == "uitvoering":
                chosen = slug
        return chosen

    try:
        return db.write(fill)
    finally:
        db.close()


def seed_more(data_dir: Path, rng: random.Random, meetings: int, ideas: int, news: int) -> str:
    """Meetings (a few coming, the rest past), published ideas and news, so every public list
    has something to show; returns the slug of a coming meeting."""
    from node.app import open_database
    from node.kern.ideas import model as idea_model
    from node.kern.meetings import model as meeting_model
    from node.kern.news import model as news_model
    from node.settings import load_settings

    settings = load_settings(data_dir)
    db = open_database(settings)
    today = date.today()

    def fill(conn) -> str:
        coming = ""
        for number in range(meetings):
            day = today + timedelta(days=7 * (number % 4 + 1) if number < 4 else -5 * number)
            start = meeting_model.local_moment(day, datetime.strptime("19:30", "%H:%M").time())
            slug = meeting_model.create_meeting(
                conn,
                settings,
                WHO,
                {
                    "title": f"{rng.choice(SUBJECTS)}: avond {number + 1}",
                    "description": " ".join(rng.sample(SENTENCES, 2)),
                    "place_name": "Dorpshuis",
                    "place_address": "Dorpsstraat 1, 4153 AA Beesd",
                    "capacity": rng.choice([None, 40, 80]),
                    "starts_at": meeting_model.utc_iso(start),
                    "ends_at": meeting_model.utc_iso(start + timedelta(hours=2)),
                },
                [],
                [],
            )
            coming = coming or slug
        for number in range(ideas):
            idea_id, _token = idea_model.submit_idea(
                conn,
                settings,
                f"{rng.choice(SUBJECTS)} {rng.choice(PURPOSES)}",
                "\n\n".join(rng.sample(SENTENCES, 2)),
                "Fatima Yilmaz",
                f"idee{number}@example.org",
            )
            idea_model.publish_idea(conn, settings, WHO, idea_id)
        for number in range(news):
            moment = datetime.now(UTC) - timedelta(hours=rng.randint(1, 24 * 365))
            news_model.save_news(
                conn,
                settings,
                WHO,
                {
                    "title": f"Bericht {number + 1} over {rng.choice(PLACES)}",
                    "body": "\n\n".join(rng.sample(SENTENCES, 3)),
                    "published_at": news_model.utc_stamp(moment),
                },
            )
        return coming

    try:
        return db.write(fill)
    finally:
        db.close()


def make_node(folder: Path, url: str) -> Path:
    from node.settings import create_secret, write_config

    data_dir = folder / "beesd"
    data_dir.mkdir(parents=True)
    write_config(data_dir, {"role": "kern", "name": "Beesd", "slug": "beesd", "public_url": url})
    create_secret(data_dir)
    return data_dir


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str
    log: Path


# The Python that runs the servers; bench_memory.py points it at a production install.
PYTHON = sys.executable


def start(name: str, target: list[str], port: int, env: dict, log: Path) -> Server:
    command = [
        PYTHON,
        "-m",
        "uvicorn",
        *target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def wait_until_answering(server: Server) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if httpx.get(server.url + "/", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(server)
    raise SystemExit(
        f"{server.name} did not answer on {server.url}:\n" + server.log.read_text(errors="replace")
    )


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(10)


def check_page(url: str) -> int:
    """One ordinary GET first: the page must answer 200 with a body; returns its size."""
    import httpx

    response = httpx.get(url, timeout=5.0)
    if response.status_code != 200 or not response.content:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
    return len(response.content)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its highest since the process started (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


# --- load ----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    path: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    size: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return rps, p50, p99, requests, errors


def run_wrk(
    url: str, seconds: float, headers: dict[str, str] | None = None
) -> tuple[float, float, float, int, int]:
    command = ["wrk", "--threads", "1", "--connections", str(CONNECTIONS),
               "--duration", f"{max(1, round(seconds))}s", "--timeout", "5s", "--latency"]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


async def _httpx_load(url: str, seconds: float, max_requests: int, headers: dict[str, str]):
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=5.0, headers=headers) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline and len(latencies) + errors < max_requests:
                began = time.perf_counter()
                try:
                    response = await client.get(url)
                    if response.status_code >= 400:
                        errors += 1
                        continue
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - began) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.monotonic() - began
    if not latencies:
        raise SystemExit(f"no successful requests to {url}")
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49], cuts[98], len(latencies), errors


def run_httpx(
    url: str, seconds: float, headers: dict[str, str] | None = None
) -> tuple[float, float, float, int, int]:
    # The client is Python too and shares the CPU: its figures are lower than wrk's.
    return asyncio.run(_httpx_load(url, seconds, 200_000, headers or {}))


# --- report --------------------------------------------------------------------------------


def table(results: list[Result], minimal: Result) -> str:
    lines = [
        "| what | path | bytes | req/s | of minimal | p50 ms | p99 ms | requests | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        share = f"{r.rps / minimal.rps:.0%}"
        lines.append(
            f"| {r.name} | `{r.path}` | {r.size:,} | {r.rps:,.0f} | {share} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.requests:,} | {r.errors} |"
        )
    return "\n".join(lines)


def checks(results: list[Result], minimal: Result, rss: float) -> list[tuple[bool, str]]:
    outcome = []
    for r in results:
        if r is minimal:
            continue
        share = r.rps / minimal.rps
        outcome.append(
            (share >= MIN_SHARE, f"{r.name}: {share:.0%} of the minimal app (at least 30%)")
        )
    for r in results:
        outcome.append(
            (r.p99_ms < MAX_P99_MS, f"{r.name}: p99 {r.p99_ms:.1f} ms (under {MAX_P99_MS:.0f} ms)")
        )
        outcome.append((r.errors == 0, f"{r.name}: {r.errors} errors"))
    outcome.append((rss < MAX_RSS_MB, f"server RSS {rss:.1f} MB (under {MAX_RSS_MB:.0f} MB)"))
    return outcome


def record(text: str) -> None:
    content = README.read_text(encoding="utf-8") if README.exists() else ""
    if RESULTS_HEADING not in content:
        content = content.rstrip() + f"\n\n{RESULTS_HEADING}\n"
    README.write_text(content.rstrip() + "\n\n" + text.strip() + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="append the run to bench/README.md")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per page")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up time per page")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--themas", type=int, default=30)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="turn the page cache off (BLOEI_PAGE_CACHE=false) to measure rendering itself",
    )
    parser.add_argument(
        "--loader", choices=["auto", "wrk", "httpx"], default="auto", help="load generator"
    )
    args = parser.parse_args(argv)
    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "httpx"
    load = run_wrk if loader == "wrk" else run_httpx
    sys.path.insert(0, str(ROOT))

    with tempfile.TemporaryDirectory(prefix="bloei-bench-") as tmp:
        folder = Path(tmp)
        node_port, minimal_port = free_port(), free_port()
        data_dir = make_node(folder, f"http://127.0.0.1:{node_port}")
        began = time.monotonic()
        rng = random.Random(args.seed)
        project = seed(data_dir, args.projects, args.themas, rng)
        meeting = seed_more(data_dir, rng, MEETINGS, IDEAS, NEWS)
        print(
            f"seeded {args.projects} projects, {args.themas} thema's, {MEETINGS} meetings, "
            f"{IDEAS} ideas and {NEWS} news in {time.monotonic() - began:.1f} s",
            file=sys.stderr,
        )
        env = {**os.environ, "BLOEI_DATA": str(data_dir)}
        if args.no_cache:
            env["BLOEI_PAGE_CACHE"] = "false"
        node = start(
            "node",
            ["--factory", "node.asgi:from_environment"],
            node_port,
            env,
            folder / "node.log",
        )
        minimal = start(
            "minimal",
            ["--factory", "--app-dir", str(HERE), "bench_pages:minimal_app"],
            minimal_port,
            dict(os.environ),
            folder / "minimal.log",
        )
        try:
            wait_until_answering(node)
            wait_until_answering(minimal)
            targets = [
                ("minimal Starlette app", minimal, "/"),
                ("home", node, "/"),
                ("projecten", node, "/projecten"),
                ("project page", node, f"/projecten/{project}"),
                ("bijeenkomsten", node, "/bijeenkomsten"),
                ("meeting page", node, f"/bijeenkomsten/{meeting}"),
                ("nieuws", node, "/nieuws"),
                ("ideeen", node, "/ideeen"),
                ("agenda", node, "/agenda"),
            ]
            results = []
            for name, server, path in targets:
                url = server.url + path
                print(f"{name}: {url} ({loader})", file=sys.stderr, flush=True)
                size = check_page(url)
                load(url, args.warmup)
                rps, p50, p99, count, errors = load(url, args.seconds)
                results.append(Result(name, path, rps, p50, p99, count, errors, size))
            rss = rss_mb(node.process.pid)
        finally:
            stop(node)
            stop(minimal)

    minimal_result = results[0]
    outcome = checks(results, minimal_result, rss)
    machine = (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = "\n".join(
        [
            f"### {stamp}",
            "",
            f"{machine}; {loader}, {CONNECTIONS} connections, {args.seconds:.0f} s per page "
            f"after {args.warmup:.0f} s warm-up; {args.projects} projects, {args.themas} "
            f"thema's, {MEETINGS} meetings, {IDEAS} ideas, {NEWS} news; one uvicorn worker "
            "(asyncio, h11), anonymous visitors "
            + (
                "with the page cache OFF (rendering every request)."
                if args.no_cache
                else "(page cache on)."
            ),
            "",
            table(results, minimal_result),
            "",
            f"Server resident memory after the run: {rss:.1f} MB.",
            "",
            *[f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in outcome],
        ]
    )
    print(report, flush=True)
    if args.record:
        record(report)
        print(f"\nrecorded in {README.relative_to(ROOT)}", file=sys.stderr)
    return 0 if all(ok for ok, _ in outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
