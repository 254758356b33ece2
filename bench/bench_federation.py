"""How fast a kern node delivers and receives signed activities, on this machine.

1. Delivering: a kern with 26 followers, each with its own inbox on 127.0.0.1 (26 tiny
   Starlette receivers, served by uvicorn in one separate process). The kern publishes
   `--changes` thema changes, each queued for all 26 inboxes in the change's transaction, then
   runs its delivery rounds (`KernFederation.deliver`, as the worker job does) until the queue
   is empty. Every POST is signed on its own (draft-cavage, rsa-sha256, RSA-3072).
2. Receiving, in the process: the kern's `Inbox.receive` on one worker, for `--activities`
   Creates from a kern it follows, signed beforehand (draft-cavage over RSA-3072, plus the
   integrity proof): each is checked (digest, clock, signature), de-duplicated and stored in
   a transaction of its own. Target: at least 1,500 a second.
3. Receiving over HTTP: the same activities POSTed to `bloei serve` (one uvicorn worker,
   background jobs off) from `--connections` connections of an httpx load generator that
   shares the machine.

    .venv/bin/python bench/bench_federation.py            # measure and print
    .venv/bin/python bench/bench_federation.py --record   # also add the run to bench/README.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

README = HERE / "README.md"
MARKER = "<!-- bench_federation.py results, newest first -->"
FOLLOWERS = 26
TARGET_INBOX_PER_SECOND = 1500
START_TIMEOUT = 30.0
KERN_URL = "http://beesd.bench"
SENDER = "https://beek.bench"


# --- the receivers: 26 servers in one process (`--receivers N`) --------------------------------


def receivers_main(count: int) -> None:
    """Serve `count` inboxes on free ports; print the ports as one JSON line, then serve."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    received = {"count": 0}

    async def inbox(request):
        await request.body()
        received["count"] += 1
        return Response(status_code=202)

    async def counted(request):
        return JSONResponse(received)

    app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"]), Route("/count", counted)])
    sockets, servers = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        servers.append(uvicorn.Server(config))
    print(json.dumps([s.getsockname()[1] for s in sockets]), flush=True)

    async def serve_all() -> None:
        await asyncio.gather(
            *(srv.serve(sockets=[s]) for srv, s in zip(servers, sockets, strict=True))
        )

    asyncio.run(serve_all())


# --- a kern in a temporary folder ---------------------------------------------------------------


def make_node(folder: Path, url: str, **settings) -> Path:
    from node.settings import create_secret, write_config

    data_dir = folder / "beesd"
    data_dir.mkdir(parents=True)
    values = {"role": "kern", "name": "Beesd", "slug": "beesd", "public_url": url, **settings}
    write_config(data_dir, values)
    create_secret(data_dir)
    return data_dir


def thema(number: int) -> dict:
    return {
        "title": f"Thema {number}",
        "description": "Te hard rijden op de Dorpsstraat, en wat we daaraan doen.",
        "priority": "middel",
        "status": "loopt",
        "actor": "samen",
        "actor_other": "",
    }


# --- 1. delivering ------------------------------------------------------------------------------


def bench_delivery(folder: Path, changes: int) -> dict:
    import httpx

    from federation import followers
    from node.app import create_app, open_database
    from node.kern.agenda import model as agenda
    from node.settings import load_settings

    receivers = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--receivers", str(FOLLOWERS)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        ports = json.loads(receivers.stdout.readline())
        settings = load_settings(make_node(folder, "http://127.0.0.1:9", dev=True))
        db = open_database(settings)
        app = create_app(settings, db)
        now = datetime.now(UTC)

        def follow(conn) -> None:
            for number, port in enumerate(ports):
                inbox = f"http://127.0.0.1:{port}/inbox"
                actor = f"http://127.0.0.1:{port}/kern-{number}"
                followers.save_follower(conn, actor, inbox, None, "accepted", now)

        db.write_quiet(follow)
        started = time.perf_counter()
        for number in range(changes):
            db.write(agenda.save_thema, settings, "bench", thema(number))
        published = time.perf_counter() - started
        queued = db.scalar("SELECT count(*) FROM federation_deliveries")

        started = time.perf_counter()
        report = asyncio.run(app.state.federation.deliver())
        elapsed = time.perf_counter() - started
        arrived = httpx.get(f"http://127.0.0.1:{ports[0]}/count").json()["count"]
        db.close()
    finally:
        receivers.terminate()
        receivers.wait(10)
    return {
        "changes": changes,
        "publish_per_second": changes / published,
        "queued": queued,
        "done": report.done,
        "failed": report.failed + report.retrying,
        "arrived": arrived,
        "seconds": elapsed,
        "per_second": report.done / elapsed,
    }


# --- 2. receiving -------------------------------------------------------------------------------


def prepare_receiver(folder: Path, count: int):
    """A kern that follows Beek (its actor and keys cached), and `count` signed Creates."""
    from federation import followers, vocabulary
    from federation.actors import ActorProfile, ActorRoutes, RemoteActor, actor_document
    from federation.delivery import encode
    from federation.identity import LocalIdentity
    from federation.keys import generate_key_pair
    from federation.signatures import sign_cavage
    from node.app import open_database
    from node.remote_client import QuietStore
    from node.settings import load_settings

    settings = load_settings(make_node(folder, KERN_URL))
    db = open_database(settings)
    beek = LocalIdentity(f"{SENDER}/actor", generate_key_pair())
    profile = ActorProfile(ActorRoutes.under(SENDER), "beek", "Beek")
    document = actor_document(profile, beek.public_keys())
    now = datetime.now(UTC)

    def know_beek(conn) -> None:
        from federation.keycache import KeyCache

        KeyCache(QuietStore(db), None).store_actor(
            conn, RemoteActor.from_document(document), document, now
        )
        followers.save_following(
            conn, beek.actor_id, f"{SENDER}/actor/inbox", "f", now, state="accepted"
        )

    db.write_quiet(know_beek)
    db.close()
    requests = []
    inbox = f"{KERN_URL}/actor/inbox"
    for number in range(count):
        obj = {
            "id": f"{SENDER}/agenda/themas/thema-{number}",
            "type": ["Page", "Thema"],
            "name": f"Thema {number}",
            "content": "<p>Te hard rijden op de Dorpsstraat, en wat we daaraan doen.</p>",
            "attributedTo": beek.actor_id,
            "prioriteit": "middel",
            "themaStatus": "loopt",
            "wieIsAanZet": "samen",
        }
        activity = vocabulary.create(
            beek.actor_id,
            obj,
            activity_id=f"{SENDER}/actor/activities/{number}",
            published=now,
            **vocabulary.public_audience(f"{SENDER}/actor/followers"),
        )
        body = encode(beek.sign(activity, created=now))
        headers = {"Content-Type": "application/activity+json"}
        headers.update(
            sign_cavage("POST", inbox, beek.main_key_id, beek.keys.rsa, body=body, headers=headers)
        )
        requests.append((headers, body))
    return settings, requests


def bench_inbox(folder: Path, count: int) -> dict:
    from federation.inbox import InboxRequest
    from node.app import create_app, open_database

    settings, requests = prepare_receiver(folder, count)
    db = open_database(settings)
    federation = create_app(settings, db).state.federation

    async def run() -> list[int]:
        statuses = []
        for headers, body in requests:
            request = InboxRequest("POST", "/actor/inbox", list(headers.items()), body, "http")
            statuses.append((await federation.receive(request)).status)
        return statuses

    started = time.perf_counter()
    statuses = asyncio.run(run())
    elapsed = time.perf_counter() - started
    stored = db.scalar("SELECT count(*) FROM received_objects")
    db.close()
    return {
        "count": count,
        "accepted": statuses.count(202),
        "stored": stored,
        "seconds": elapsed,
        "per_second": count / elapsed,
    }


def bench_inbox_http(folder: Path, count: int, connections: int) -> dict:
    import httpx

    settings, requests = prepare_receiver(folder, count)
    port = free_port()
    env = {**os.environ, "BLOEI_BACKGROUND_JOBS": "false", "BLOEI_PUBLIC_URL": KERN_URL}
    log = folder / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", "--port", str(port), "--data",
             str(settings.data_dir)],
            cwd=ROOT, env=env, stdout=output, stderr=output,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                httpx.get(f"{base}/nodeinfo/2.1", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the node did not start:\n" + log.read_text()) from None
                time.sleep(0.1)

        async def run() -> list[int]:
            queue = list(reversed(requests))
            statuses: list[int] = []
            limits = httpx.Limits(max_connections=connections)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

                async def worker() -> None:
                    while queue:
                        headers, body = queue.pop()
                        # The signature covers the kern's public host, as behind a proxy.
                        response = await client.post("/actor/inbox", content=body, headers=headers)
                        statuses.append(response.status_code)

                await asyncio.gather(*(worker() for _ in range(connections)))
            return statuses

        started = time.perf_counter()
        statuses = asyncio.run(run())
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    conn_db = settings.database_path
    import sqlite3

    stored = sqlite3.connect(conn_db).execute("SELECT count(*) FROM received_objects").fetchone()[0]
    return {
        "count": count,
        "accepted": statuses.count(202),
        "stored": stored,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "connections": connections,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- report -------------------------------------------------------------------------------------


def report(delivery: dict, inbox: dict, http: dict | None) -> tuple[str, bool]:
    machine = f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        "| what | count | seconds | per second |",
        "| --- | ---: | ---: | ---: |",
        f"| changes published (thema saved + Create signed + 26 deliveries queued) | "
        f"{delivery['changes']:,} | {delivery['changes'] / delivery['publish_per_second']:.2f} | "
        f"{delivery['publish_per_second']:,.0f} |",
        f"| signed deliveries to {FOLLOWERS} follower inboxes | {delivery['done']:,} | "
        f"{delivery['seconds']:.2f} | {delivery['per_second']:,.0f} |",
        f"| inbox: verified and stored, in the process, one worker | {inbox['count']:,} | "
        f"{inbox['seconds']:.2f} | {inbox['per_second']:,.0f} |",
    ]
    if http:
        rows.append(
            f"| inbox over HTTP, `bloei serve` (one worker), {http['connections']} connections | "
            f"{http['count']:,} | {http['seconds']:.2f} | {http['per_second']:,.0f} |"
        )
    checks = [
        (
            delivery["done"] == delivery["queued"] and delivery["arrived"] == delivery["done"],
            f"every delivery arrived ({delivery['arrived']:,} of {delivery['queued']:,} queued, "
            f"{delivery['failed']} failed)",
        ),
        (
            inbox["accepted"] == inbox["stored"] == inbox["count"],
            f"every received activity answered 202 and stored ({inbox['stored']:,})",
        ),
        (
            inbox["per_second"] >= TARGET_INBOX_PER_SECOND,
            f"inbox {inbox['per_second']:,.0f} a second on one worker "
            f"(at least {TARGET_INBOX_PER_SECOND:,})",
        ),
    ]
    if http:
        checks.append(
            (
                http["accepted"] == http["stored"] == http["count"],
                f"over HTTP every activity answered 202 and stored ({http['stored']:,})",
            )
        )
    lines = [f"#### {when}", "", f"{machine}.", "", *rows, ""]
    lines += [f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in checks]
    return "\n".join(lines) + "\n", all(ok for ok, _ in checks)


def record(text: str) -> None:
    content = README.read_text(encoding="utf-8")
    if MARKER not in content:
        content = content.rstrip() + f"\n\n### Results of bench_federation.py\n\n{MARKER}\n"
    README.write_text(content.replace(MARKER, f"{MARKER}\n\n{text.strip()}", 1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="add the run to bench/README.md")
    parser.add_argument("--changes", type=int, default=60, help="changes to deliver to 26 inboxes")
    parser.add_argument("--activities", type=int, default=3000, help="activities to receive")
    parser.add_argument("--connections", type=int, default=8, help="connections for the HTTP run")
    parser.add_argument("--no-http", action="store_true", help="skip the run over HTTP")
    parser.add_argument("--receivers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receivers:
        receivers_main(args.receivers)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bloei-bench-federation-"))
    try:
        print("delivering ...", file=sys.stderr)
        delivery = bench_delivery(folder / "delivery", args.changes)
        print("receiving in the process ...", file=sys.stderr)
        inbox = bench_inbox(folder / "inbox", args.activities)
        http = None
        if not args.no_http:
            print("receiving over HTTP ...", file=sys.stderr)
            http = bench_inbox_http(folder / "http", args.activities, args.connections)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    text, passed = report(delivery, inbox, http)
    print(text)
    if args.record:
        record(text)
        print(f"recorded in {README.relative_to(ROOT)}", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
