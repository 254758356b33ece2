"""How long the gemeente waits for a new meeting while another follower of the kern hangs.

A kern with two followers on 127.0.0.1, served from a separate process: an inbox that answers
at once (in the gemeente's place; it notes when each activity arrived) and one that takes the
connection and never answers, as Gancio does with an Update. The kern runs its delivery job
the way the server does (the background worker, `KernFederation.tick`), and a beheerder saves
`--meetings` new meetings, one every `--pause` seconds. For each, the bench measures the time
from the save until the gemeente's inbox had its Create. Every delivery to the hanging
follower keeps a connection open until the kern's delivery timeout ends it.

    .venv/bin/python bench/bench_slow_peer.py            # measure and print
    .venv/bin/python bench/bench_slow_peer.py --record   # also add the run to bench/README.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

README = HERE / "README.md"
MARKER = "<!-- bench_slow_peer.py results, newest first -->"
TARGET_SECONDS = 1.0
WAIT_SECONDS = 60.0


# --- the followers, in a process of their own (`--followers`) --------------------------------


def followers_main() -> None:
    """A quick inbox and a hanging one; print their ports as one JSON line, then serve."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    arrivals: dict[str, float] = {}
    held: list[socket.socket] = []

    async def inbox(request):
        activity = json.loads(await request.body())
        arrivals.setdefault(activity["id"], time.time())
        return Response(status_code=202)

    async def arrived(request):
        return JSONResponse(arrivals)

    def hang(listener: socket.socket) -> None:
        while True:
            conn, _address = listener.accept()
            held.append(conn)  # read nothing, answer nothing

    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=hang, args=(listener,), daemon=True).start()
    quick = socket.socket()
    quick.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    quick.bind(("127.0.0.1", 0))
    app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"]), Route("/arrived", arrived)])
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    ports = {"quick": quick.getsockname()[1], "hanging": listener.getsockname()[1]}
    print(json.dumps(ports), flush=True)
    asyncio.run(server.serve(sockets=[quick]))


# --- the kern -----------------------------------------------------------------------------------


def make_node(folder: Path) -> Path:
    from node.settings import create_secret, write_config

    data_dir = folder / "beesd"
    data_dir.mkdir(parents=True)
    values = {
        "role": "kern",
        "name": "Beesd",
        "slug": "beesd",
        "public_url": "http://127.0.0.1:9",
        "dev": True,
    }
    write_config(data_dir, values)
    create_secret(data_dir)
    return data_dir


def meeting(number: int) -> dict:
    from node.kern.meetings import model as meetings

    day = datetime.now(meetings.AMSTERDAM).date() + timedelta(days=7 + number)
    start = meetings.local_moment(day, datetime.strptime("19:30", "%H:%M").time())
    return {
        "title": f"Dorpsavond {number}",
        "description": "Over de nieuwe speeltuin aan de Molenstraat.",
        "capacity": None,
        "starts_at": meetings.utc_iso(start),
        "ends_at": meetings.utc_iso(start + timedelta(hours=2)),
        "place_name": "Dorpshuis De Pluk",
        "place_address": "Molenstraat 1, Beesd",
    }


class BackgroundWorker:
    """The node's background worker with only the delivery job, on a loop in a thread."""

    def __init__(self, job) -> None:
        from node.jobs import Worker

        self.loop = asyncio.new_event_loop()
        self.worker = Worker([job])
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.worker.start(), self.loop).result()

    def stop(self) -> None:
        # A round in flight waits for its hanging deliveries: up to the delivery timeout.
        asyncio.run_coroutine_threadsafe(self.worker.stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def bench(folder: Path, count: int, pause: float) -> dict:
    import httpx

    from federation import followers
    from node.app import create_app, open_database
    from node.kern.meetings import model as meetings
    from node.settings import load_settings

    peers = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--followers"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        ports = json.loads(peers.stdout.readline())
        quick = f"http://127.0.0.1:{ports['quick']}"
        settings = load_settings(make_node(folder))
        db = open_database(settings)
        federation = create_app(settings, db).state.federation
        now = datetime.now(UTC)

        def follow(conn) -> None:
            followers.save_follower(
                conn, f"{quick}/gemeente", f"{quick}/inbox", None, "accepted", now
            )
            hanging = f"http://127.0.0.1:{ports['hanging']}"
            followers.save_follower(
                conn, f"{hanging}/gancio", f"{hanging}/inbox", None, "accepted", now
            )

        db.write_quiet(follow)
        worker = BackgroundWorker(federation.delivery_job())
        worker.start()
        waits: list[float] = []
        try:
            for number in range(count):
                saved = time.time()
                slug = db.write(meetings.create_meeting, settings, "bench", meeting(number))
                create = db.scalar(
                    """SELECT activity_id FROM federation_outbox
                       WHERE type = 'Create' AND object_id LIKE ?""",
                    (f"%/bijeenkomsten/{slug}",),
                )
                deadline = time.monotonic() + WAIT_SECONDS
                while True:
                    arrivals = httpx.get(f"{quick}/arrived").json()
                    if create in arrivals:
                        waits.append(arrivals[create] - saved)
                        break
                    if time.monotonic() > deadline:
                        waits.append(float("inf"))
                        break
                    time.sleep(0.005)
                time.sleep(pause)
            hanging_jobs = db.scalar(
                """SELECT count(*) FROM federation_deliveries
                   WHERE inbox LIKE ? AND status = 'pending'""",
                (f"%:{ports['hanging']}/inbox",),
            )
        finally:
            worker.stop()
            db.close()
    finally:
        peers.terminate()
        peers.wait(10)
    return {"meetings": count, "waits": waits, "hanging_pending": hanging_jobs}


# --- report -------------------------------------------------------------------------------------


def report(result: dict) -> tuple[str, bool]:
    machine = f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    waits = result["waits"]
    rows = [
        "| what | meetings | median | slowest |",
        "| --- | ---: | ---: | ---: |",
        f"| a new meeting's Create at the gemeente's inbox, while the other follower hangs | "
        f"{result['meetings']} | {statistics.median(waits):.3f} s | {max(waits):.3f} s |",
    ]
    checks = [
        (
            max(waits) < TARGET_SECONDS,
            f"every meeting reached the gemeente within {TARGET_SECONDS:g} s "
            f"(slowest {max(waits):.3f} s)",
        ),
        (
            result["hanging_pending"] > 0,
            f"the hanging follower's deliveries wait for their next try "
            f"({result['hanging_pending']} pending)",
        ),
    ]
    lines = [f"#### {when}", "", f"{machine}.", "", *rows, ""]
    lines += [f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in checks]
    return "\n".join(lines) + "\n", all(ok for ok, _ in checks)


def record(text: str) -> None:
    content = README.read_text(encoding="utf-8")
    if MARKER not in content:
        content = content.rstrip() + f"\n\n### Results of bench_slow_peer.py\n\n{MARKER}\n"
    README.write_text(content.replace(MARKER, f"{MARKER}\n\n{text.strip()}", 1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="add the run to bench/README.md")
    parser.add_argument("--meetings", type=int, default=10, help="meetings to save")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between two meetings")
    parser.add_argument("--followers", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.followers:
        followers_main()
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bloei-bench-slow-peer-"))
    try:
        result = bench(folder, args.meetings, args.pause)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    text, passed = report(result)
    print(text)
    if args.record:
        record(text)
        print(f"recorded in {README.relative_to(ROOT)}", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
