"""How fast the gemeente aggregator takes in, catches up and shows 26 kernen, on this machine.

1. Ingest: `--activities` signed activities from one followed kern (Creates and Updates of
   projects, signed beforehand: draft-cavage over RSA-3072 and the Ed25519 integrity
   proof), fed one by one to the gemeente's inbox in the process: HTTP signature, proof,
   de-duplication and the read model, each in a transaction of its own.
2. Catch-up: 26 kernen with `--per-kern` activities each in their outbox, served over HTTP by
   one uvicorn process listening on 26 ports (one origin per kern, as in real life). The
   gemeente pulls all of them from position 0 at once (`GemeenteFederation.pull_many`, what
   the pull job runs): pages of 100, every proof checked, each page applied in one
   transaction. Target: under 30 seconds.
3. Pages: a gemeente with 26 kernen and `--projects` projects (seeded straight into the read
   model) served by `uvicorn --factory node.asgi:from_environment`, one worker; `wrk` (or an
   httpx load generator) on the overview and the projects page, plain and with search and
   filters, with the page cache on (16 connections) and off (4 connections, a few staff at
   once). Target: p99 under 50 ms.

    .venv/bin/python bench/bench_gemeente.py            # measure and print
    .venv/bin/python bench/bench_gemeente.py --record   # also add the run to bench/README.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_pages as bp  # noqa: E402
from results import record  # noqa: E402

MARKER = "<!-- bench_gemeente.py results, newest first -->"
KERNEN = 26
CATCH_UP_TARGET_S = 30.0
MAX_P99_MS = 50.0
CONNECTIONS_CACHED = 16
CONNECTIONS_UNCACHED = 4
GEMEENTE_URL = "http://gemeente.bench"
NAMES = [
    "Geldermalsen", "Meteren", "Beesd", "Asperen", "Herwijnen", "Haaften", "Waardenburg",
    "Heukelum", "Deil", "Tricht", "Vuren", "Ophemert", "Opijnen", "Buurmalsen", "Hellouw",
    "Varik", "Tuil", "Rhenoy", "Rumpt", "Spijk", "Est", "Enspijk", "Neerijnen", "Heesselt",
    "Acquoy", "Gellicum",
]  # fmt: skip
THEMAS = [
    "Verkeer en vervoer", "Wonen voor jong en oud", "Ontmoeten in het dorpshuis",
    "Groen en openbare ruimte", "Voorzieningen", "Veiligheid", "Sport en recreatie",
    "Samenwerken met de gemeente",
]  # fmt: skip
PHASES = ["idee", "verkenning", "planvorming", "uitvoering", "afgerond", "gepauzeerd"]
WHO = ["inwoners", "gemeente", "samen", "anderen"]


# --- objects a kern publishes ------------------------------------------------------------------


def kern_objects(base: str, actor: str, count: int, rng: random.Random) -> list[tuple[str, dict]]:
    """(verb, object) for one kern: thema's, then projects and meetings, some updated."""
    from federation import vocabulary

    def thema(i: int) -> dict:
        return vocabulary.typed(
            "Thema",
            id=f"{base}/agenda/themas/thema-{i}",
            url=f"{base}/agenda/themas/thema-{i}",
            name=THEMAS[i % len(THEMAS)],
            themaStatus="loopt",
            wieIsAanZet=WHO[i % len(WHO)],
            attributedTo=actor,
        )

    def project(i: int, fase: str) -> dict:
        subject = rng.choice(bp.SUBJECTS)
        place = rng.choice(bp.PLACES)
        return vocabulary.typed(
            "Project",
            id=f"{base}/projecten/project-{i}",
            url=f"{base}/projecten/project-{i}",
            name=f"{subject} bij {place}",
            summary=f"{subject} {rng.choice(bp.PURPOSES)}.",
            content=f"<p>{subject} bij {place}, {rng.choice(bp.PURPOSES)}.</p>",
            fase=fase,
            faseGeschiedenis=[{"type": "FaseWijziging", "naar": fase, "datum": "2026-03-01"}],
            behoeften=["besluit_gemeente"] if rng.random() < 0.2 else ["vrijwilligers"],
            themas=[f"{base}/agenda/themas/thema-{rng.randrange(len(THEMAS))}"],
            updated=f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T10:00:00Z",
            attributedTo=actor,
        )

    def meeting(i: int) -> dict:
        # Over the last eight months and the coming four, as a kern's year of evenings.
        today = datetime.now(UTC).replace(hour=19, minute=0, second=0, microsecond=0)
        start = today + timedelta(days=rng.randrange(-240, 120))
        return vocabulary.typed(
            "Bijeenkomst",
            id=f"{base}/bijeenkomsten/avond-{i}",
            url=f"{base}/bijeenkomsten/avond-{i}",
            name=f"Dorpsavond {i}",
            startTime=vocabulary.format_time(start),
            endTime=vocabulary.format_time(start + timedelta(hours=2)),
            location={"type": "Place", "name": "Dorpshuis"},
            attributedTo=actor,
        )

    objects: list[tuple[str, dict]] = [("Create", thema(i)) for i in range(len(THEMAS))]
    projects = 0
    while len(objects) < count:
        roll = rng.random()
        if roll < 0.6 or projects == 0:
            objects.append(("Create", project(projects, rng.choice(PHASES))))
            projects += 1
        elif roll < 0.9:
            objects.append(("Update", project(rng.randrange(projects), rng.choice(PHASES))))
        else:
            objects.append(("Create", meeting(len(objects))))
    return objects[:count]


def activities(identity, objects: list[tuple[str, dict]], start: datetime) -> list[dict]:
    """Signed activities (integrity proofs), one second apart."""
    from federation import vocabulary

    signed = []
    for number, (verb, obj) in enumerate(objects):
        when = start + timedelta(seconds=number)
        build = vocabulary.create if verb == "Create" else vocabulary.update
        activity = build(
            identity.actor_id,
            obj,
            activity_id=f"{identity.actor_id}/activities/{number}",
            published=when,
        )
        signed.append(identity.sign(activity, created=when))
    return signed


# --- a gemeente node ---------------------------------------------------------------------------


def make_gemeente(folder: Path, url: str) -> Path:
    from federation.keys import load_or_create_key_pair
    from node.settings import create_secret, write_config

    data = folder / "gemeente"
    data.mkdir(parents=True)
    write_config(
        data,
        {
            "role": "gemeente",
            "name": "Gemeente West Betuwe",
            "slug": "gemeente",
            "public_url": url,
            "dev": True,
            "background_jobs": False,
        },
    )
    create_secret(data)
    load_or_create_key_pair(data / "keys", rsa_bits=2048)
    return data


def register_kern(conn: sqlite3.Connection, actor_id: str, name: str, now: datetime) -> int:
    """A kern that accepted the gemeente's follow, as beheer and the Accept leave it."""
    from federation.store import timestamp

    base = actor_id.rsplit("/actor", 1)[0]
    stamp = timestamp(now)
    conn.execute(
        """INSERT INTO federation_following
               (actor_id, inbox, outbox, state, follow_id, created_at, updated_at)
           VALUES (?, ?, ?, 'accepted', ?, ?, ?)""",
        (actor_id, actor_id + "/inbox", actor_id + "/outbox", actor_id + "#follow", stamp, stamp),
    )
    return conn.execute(
        """INSERT INTO gemeente_kernen
               (actor_id, address, name, url, inbox, outbox, rollout, added_at, settled_at)
           VALUES (?, ?, ?, ?, ?, ?, 'uitrol', ?, ?) RETURNING id""",
        (
            actor_id,
            actor_id,
            name,
            base + "/",
            actor_id + "/inbox",
            actor_id + "/outbox",
            stamp,
            stamp,
        ),
    ).fetchone()[0]


# --- 1. ingest ---------------------------------------------------------------------------------


def bench_ingest(folder: Path, count: int, data: Path | None = None) -> dict:
    """`count` pushed activities into a new gemeente, or into `data`: a gemeente that already
    holds a read model (what the size curves measure: ingest into a full gemeente)."""
    from federation.delivery import encode
    from federation.identity import LocalIdentity
    from federation.inbox import InboxRequest
    from federation.keys import generate_key_pair
    from federation.signatures import sign_cavage
    from federation.store import utcnow
    from node.app import open_database
    from node.gemeente.runtime import GemeenteFederation
    from node.settings import load_settings

    settings = load_settings(data or make_gemeente(folder / "ingest", GEMEENTE_URL))
    db = open_database(settings)
    fed = GemeenteFederation(settings, db)
    kern = LocalIdentity("http://beesd.bench/actor", generate_key_pair())
    before = db.scalar("SELECT count(*) FROM gemeente_activities WHERE outcome = 'applied'")
    from federation.actors import ActorProfile, ActorRoutes, RemoteActor, actor_document

    profile = ActorProfile(ActorRoutes.under("http://beesd.bench"), "beesd", "Beesd")
    document = actor_document(profile, kern.public_keys())
    now = utcnow()
    db.write(register_kern, kern.actor_id, "Beesd", now)
    db.write(fed.keys.store_actor, RemoteActor.from_document(document), document, now)
    signed = activities(
        kern,
        kern_objects("http://beesd.bench", kern.actor_id, count, random.Random(1)),
        now - timedelta(days=1),
    )
    requests = []
    for activity in signed:
        body = encode(activity)
        headers = {"Content-Type": "application/activity+json"}
        headers.update(
            sign_cavage(
                "POST",
                GEMEENTE_URL + "/actor/inbox",
                kern.main_key_id,
                kern.keys.rsa,
                body=body,
                headers=headers,
                now=utcnow(),
            )
        )
        requests.append(InboxRequest("POST", "/actor/inbox", headers, body, scheme="http"))

    async def run() -> list[int]:
        return [(await fed.receive(request)).status for request in requests]

    began = time.perf_counter()
    statuses = asyncio.run(run())
    elapsed = time.perf_counter() - began
    applied = db.scalar("SELECT count(*) FROM gemeente_activities WHERE outcome = 'applied'")
    applied -= before
    db.close()
    return {
        "count": count,
        "seconds": elapsed,
        "accepted": statuses.count(202),
        "applied": applied,
    }


# --- 2. catch-up over HTTP ---------------------------------------------------------------------


def outboxes_main(folder: str) -> None:
    """Serve the outboxes in `folder` (one JSON file per kern, naming its host and port), each
    kern on an origin of its own: a listening socket per distinct (host, port), and the kern
    found by the request's Host."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from federation import vocabulary

    kernen = {}
    for path in sorted(Path(folder).glob("kern-*.json")):
        data = json.loads(path.read_text())
        kernen[f"{data.get('host', '127.0.0.1')}:{data['port']}"] = data
    media = "application/activity+json"

    def kern_of(request: Request) -> dict:
        return kernen[f"{request.url.hostname}:{request.url.port}"]

    async def actor(request: Request) -> Response:
        return JSONResponse(kern_of(request)["actor"], media_type=media)

    async def outbox(request: Request) -> Response:
        kern = kern_of(request)
        items = kern["outbox"]
        url = kern["actor"]["outbox"]
        if "after" not in request.query_params:
            body = {
                "@context": vocabulary.CONTEXT,
                "id": url,
                "type": "OrderedCollection",
                "totalItems": len(items),
                "lastPosition": len(items),
            }
            return JSONResponse(body, media_type=media)
        after = int(request.query_params["after"])
        size = int(request.query_params.get("size", "100"))
        page = items[after : after + size]
        body = {
            "@context": vocabulary.CONTEXT,
            "id": f"{url}?after={after}",
            "type": "OrderedCollectionPage",
            "partOf": url,
            "orderedItems": page,
            "lastPosition": after + len(page),
        }
        if after + len(page) < len(items):
            body["next"] = f"{url}?after={after + len(page)}"
        return JSONResponse(body, media_type=media)

    app = Starlette(routes=[Route("/actor", actor), Route("/actor/outbox", outbox)])
    sockets = []
    for origin in kernen:
        host, port = origin.rsplit(":", 1)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, int(port)))
        sockets.append(sock)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    print("ready", flush=True)
    uvicorn.Server(config).run(sockets=sockets)


def loopback_host(number: int) -> str:
    """A loopback address of its own for kern `number` (all of 127.0.0.0/8 reaches this
    machine on Linux): thousands of kernen, each its own origin, on one port."""
    return f"127.0.{1 + number // 250}.{1 + number % 250}"


def kern_name(number: int) -> str:
    """The 26 kernen of West Betuwe, then numbered copies for larger gemeenten."""
    name = NAMES[number % len(NAMES)]
    return name if number < len(NAMES) else f"{name} {number // len(NAMES) + 1}"


def bench_catch_up(
    folder: Path, per_kern: int, kernen: int = KERNEN, key_pairs: int | None = None
) -> dict:
    """`kernen` kernen with `per_kern` signed activities each, pulled from position 0.

    Up to 26 kernen listen on a port each of 127.0.0.1; more get a loopback address each
    (127.0.x.y) on one shared port, so every kern is still an origin of its own. The kernen
    share `key_pairs` key pairs (each kern publishes one under its own key id, so the
    gemeente fetches and checks every kern's keys): making thousands of RSA keys would take
    minutes and is not what is measured."""
    from federation.actors import ActorProfile, ActorRoutes, actor_document
    from federation.identity import LocalIdentity
    from federation.keys import generate_key_pair
    from federation.store import utcnow
    from node.app import open_database
    from node.gemeente.runtime import GemeenteFederation
    from node.settings import load_settings

    outbox_dir = folder / "outboxes"
    outbox_dir.mkdir()
    now = utcnow()
    began = time.perf_counter()
    pairs = [generate_key_pair(2048) for _ in range(min(kernen, key_pairs or kernen))]
    shared_port = bp.free_port() if kernen > KERNEN else None
    kern_actors = []
    for number in range(kernen):
        name = kern_name(number)
        if shared_port is None:
            host, port = "127.0.0.1", bp.free_port()
        else:
            host, port = loopback_host(number), shared_port
        base = f"http://{host}:{port}"
        identity = LocalIdentity(base + "/actor", pairs[number % len(pairs)])
        profile = ActorProfile(ActorRoutes.under(base), f"kern{number}", name)
        objects = kern_objects(base, identity.actor_id, per_kern, random.Random(number))
        outbox = activities(identity, objects, now - timedelta(days=2))
        document = actor_document(profile, identity.public_keys())
        (outbox_dir / f"kern-{number:05d}.json").write_text(
            json.dumps({"host": host, "port": port, "actor": document, "outbox": outbox})
        )
        kern_actors.append((identity.actor_id, name))
    signing = time.perf_counter() - began
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve-outboxes", str(outbox_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the outbox server did not start")
        time.sleep(0.5 + kernen / 2000)
        settings = load_settings(make_gemeente(folder / "catchup", GEMEENTE_URL))
        db = open_database(settings)
        fed = GemeenteFederation(settings, db)
        for actor_id, name in kern_actors:
            db.write(register_kern, actor_id, name, now)

        async def fetch_actors() -> None:
            # The gemeente knows its kernen's keys from following them; not measured.
            limit = asyncio.Semaphore(16)

            async def one(actor_id: str) -> None:
                async with limit:
                    await fed.keys.fetch_actor(actor_id, now)

            await asyncio.gather(*(one(actor_id) for actor_id, _name in kern_actors))

        asyncio.run(fetch_actors())
        ids = [r[0] for r in db.execute("SELECT id FROM gemeente_kernen")]
        began = time.perf_counter()
        reports = asyncio.run(fed.pull_many(ids))
        elapsed = time.perf_counter() - began
        result = {
            "kernen": len(ids),
            "origins": len({actor_id.rsplit("/actor", 1)[0] for actor_id, _ in kern_actors}),
            "key_pairs": len(pairs),
            "per_kern": per_kern,
            "seconds": elapsed,
            "signing": signing,
            "applied": sum(r.applied for r in reports),
            "skipped": sum(r.skipped for r in reports),
            "refused": sum(r.refused for r in reports),
            "errors": [r.error for r in reports if r.error],
            "complete": all(r.complete for r in reports),
            "projects": db.scalar("SELECT count(*) FROM gemeente_projects"),
        }
        db.close()
        return result
    finally:
        server.terminate()
        server.wait(10)


# --- 3. pages ----------------------------------------------------------------------------------


def seed_read_model(data: Path, projects: int, rng: random.Random) -> int:
    """26 kernen with thema's, `projects` projects and meetings, straight into the read model
    through ingest (without proofs: this measures the pages, not the checks)."""
    from federation.store import utcnow
    from node.app import open_database
    from node.gemeente import ingest, kernen
    from node.settings import load_settings

    db = open_database(load_settings(data))
    now = utcnow()
    per_kern = projects // KERNEN + 1
    try:
        for number, name in enumerate(NAMES[:KERNEN]):
            base = f"http://{name.lower()}.bench"
            actor = base + "/actor"
            kern_id = db.write(register_kern, actor, name, now)
            kern = kernen.Kern(kern_id, actor, name)
            objects = [o for o in kern_objects(base, actor, per_kern * 2, rng) if o[0] == "Create"]
            made = sum(1 for _v, o in objects if "Project" in o["type"])
            # Top up with projects until this kern has its share.
            while made < per_kern:
                extra = kern_objects(base, actor, 40, rng)
                for verb, obj in extra:
                    if verb == "Create" and "Project" in obj["type"]:
                        obj = {**obj, "id": f"{obj['id']}-{made}", "url": f"{obj['url']}-{made}"}
                        objects.append((verb, obj))
                        made += 1
                        if made >= per_kern:
                            break
            stamp = now - timedelta(days=30)

            def apply(conn, kern=kern, objects=objects, number=number, stamp=stamp) -> None:
                for i, (verb, obj) in enumerate(objects):
                    activity = {
                        "id": f"{kern.actor_id}/activities/{i}",
                        "type": verb,
                        "actor": kern.actor_id,
                        "object": obj,
                        "published": (stamp + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                    ingest.apply(conn, kern, activity, via="pull", now=stamp)

            db.write(apply)
        return int(db.scalar("SELECT count(*) FROM gemeente_projects"))
    finally:
        db.close()


def seed_kernen(data: Path, kernen: int, per_kern: int, rng: random.Random) -> dict[str, int]:
    """`kernen` kernen, each with what its outbox would hold after `per_kern` activities
    (thema's, projects, some updated, meetings), straight into the read model through ingest
    without proofs: the read model a catch-up of that many kernen leaves behind."""
    from federation.store import utcnow
    from node.app import open_database
    from node.gemeente import ingest
    from node.gemeente import kernen as kernen_model
    from node.settings import load_settings

    db = open_database(load_settings(data))
    now = utcnow()
    stamp = now - timedelta(days=30)
    try:

        def apply(conn, numbers: range) -> None:
            for number in numbers:
                base = f"http://kern-{number}.bench"
                actor = base + "/actor"
                kern_id = register_kern(conn, actor, kern_name(number), now)
                kern = kernen_model.Kern(kern_id, actor, kern_name(number))
                for i, (verb, obj) in enumerate(kern_objects(base, actor, per_kern, rng)):
                    activity = {
                        "id": f"{actor}/activities/{i}",
                        "type": verb,
                        "actor": actor,
                        "object": obj,
                        "published": (stamp + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                    ingest.apply(conn, kern, activity, via="pull", now=stamp)

        for first in range(0, kernen, 100):
            db.write(apply, range(first, min(kernen, first + 100)))
        counts = {
            table: int(db.scalar(f"SELECT count(*) FROM gemeente_{table}"))  # noqa: S608
            for table in ("kernen", "projects", "meetings", "objects")
        }
        return counts
    finally:
        db.close()


def bench_pages(folder: Path, projects: int, seconds: float, loader: str) -> tuple[list, dict]:
    data = make_gemeente(folder / "pages", GEMEENTE_URL)
    began = time.perf_counter()
    seeded = seed_read_model(data, projects, random.Random(7))
    seeding = time.perf_counter() - began
    paths = [
        ("overview", "/"),
        ("projecten", "/projecten"),
        ("projecten, zoeken", "/projecten?q=bankjes+ouderen"),
        ("projecten, filters", "/projecten?thema=verkeer&fase=actief&gemeente=ja&sorteer=kern"),
        ("projecten, stil", "/projecten?stil=6&sorteer=stilst&pagina=2"),
        ("thema's", "/themas"),
        ("kalender", "/kalender"),
    ]
    results = []
    rss = {}
    for cached in (True, False):
        port = bp.free_port()
        env = {
            **os.environ,
            "BLOEI_DATA": str(data),
            "BLOEI_PAGE_CACHE": "true" if cached else "false",
            "BLOEI_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BLOEI_BACKGROUND_JOBS": "false",
        }
        server = bp.start(
            "gemeente",
            ["--factory", "node.asgi:from_environment"],
            port,
            env,
            folder / f"gemeente-{cached}.log",
        )
        try:
            bp.wait_until_answering(server)
            connections = CONNECTIONS_CACHED if cached else CONNECTIONS_UNCACHED
            bp.CONNECTIONS = connections
            for name, path in paths:
                url = server.url + path
                size = bp.check_page(url)
                run = bp.run_wrk if loader == "wrk" else bp.run_httpx
                run(url, 1.0)  # warm-up (fills the cache when it is on)
                rps, p50, p99, count, errors = run(url, seconds)
                label = f"{name}, cache {'on' if cached else 'off'}, {connections} conn."
                results.append(bp.Result(label, path, rps, p50, p99, count, errors, size))
            rss["on" if cached else "off"] = bp.rss_mb(server.process.pid)
        finally:
            bp.stop(server)
    return results, {"projects": seeded, "seeding": seeding, "rss": rss}


# --- report ------------------------------------------------------------------------------------


def page_table(results: list) -> str:
    lines = [
        "| what | path | bytes | req/s | p50 ms | p99 ms | requests | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | `{r.path}` | {r.size:,} | {r.rps:,.0f} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.requests:,} | {r.errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=2000, help="for the ingest step")
    parser.add_argument("--per-kern", type=int, default=1000, help="outbox size per kern")
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page and cache mode")
    parser.add_argument("--loader", choices=("wrk", "httpx"), default=None)
    parser.add_argument("--record", action="store_true", help="add the run to bench/README.md")
    parser.add_argument("--serve-outboxes", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_outboxes:
        outboxes_main(args.serve_outboxes)
        return 0
    loader = args.loader or ("wrk" if shutil.which("wrk") else "httpx")
    folder = Path(tempfile.mkdtemp(prefix="bloei-bench-gemeente-"))
    try:
        print("1/3 ingest ...", flush=True)
        ingest = bench_ingest(folder, args.activities)
        print("2/3 catch-up of 26 kernen ...", flush=True)
        catch_up = bench_catch_up(folder, args.per_kern)
        print("3/3 pages ...", flush=True)
        pages, seeded = bench_pages(folder, args.projects, args.seconds, loader)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    per_second = ingest["count"] / ingest["seconds"]
    total = catch_up["kernen"] * catch_up["per_kern"]
    lines = [
        f"#### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}; "
        f"{loader}; pages: {seeded['projects']:,} projects in {KERNEN} kernen (seeded in "
        f"{seeded['seeding']:.1f} s), one uvicorn worker, {args.seconds:g} s per page.",
        "",
        "| what | count | seconds | per second |",
        "| --- | ---: | ---: | ---: |",
        f"| ingest: inbox in the process (signature, proof, read model), one worker | "
        f"{ingest['count']:,} | {ingest['seconds']:.2f} | {per_second:,.0f} |",
        f"| catch-up: {catch_up['kernen']} kernen × {catch_up['per_kern']:,} activities over "
        f"HTTP, every proof checked | {total:,} | {catch_up['seconds']:.2f} | "
        f"{total / catch_up['seconds']:,.0f} |",
        "",
        page_table(pages),
        "",
        f"Server resident memory after the runs: {seeded['rss'].get('on', 0):.1f} MB (cache on), "
        f"{seeded['rss'].get('off', 0):.1f} MB (cache off).",
        "",
    ]
    outcome = [
        (
            ingest["accepted"] == ingest["count"],
            f"every pushed activity answered 202 ({ingest['accepted']:,} of {ingest['count']:,})",
        ),
        (
            catch_up["complete"] and not catch_up["errors"] and not catch_up["refused"],
            f"catch-up complete, {catch_up['applied']:,} applied, {catch_up['skipped']:,} "
            f"skipped, {catch_up['refused']} refused, errors: {catch_up['errors'] or 'none'}",
        ),
        (
            catch_up["seconds"] < CATCH_UP_TARGET_S,
            f"catch-up of {total:,} activities in {catch_up['seconds']:.1f} s "
            f"(under {CATCH_UP_TARGET_S:.0f} s)",
        ),
    ]
    for r in pages:
        outcome.append(
            (
                r.p99_ms < MAX_P99_MS and r.errors == 0,
                f"{r.name}: p99 {r.p99_ms:.1f} ms (under {MAX_P99_MS:.0f} ms), {r.errors} errors",
            )
        )
    lines += [f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in outcome]
    report = "\n".join(lines)
    print(report)
    if args.record:
        record(MARKER, report)
    return 0 if all(ok for ok, _ in outcome) else 1


if __name__ == "__main__":
    raise SystemExit(main())
