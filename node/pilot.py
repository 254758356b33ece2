"""`bloei pilot`: the gemeente's aggregator, Beesd and Heukelum as three real processes.

Everything on 127.0.0.1, in development mode (plain HTTP and loopback peers, explicitly):
the gemeente on port 8000, Beesd on 8001, Heukelum on 8002, each with its own data folder
under pilot-data/. The first run creates the three nodes, loads each kern's sample data and
sets demo logins (stored 0600 in each folder); then it starts the three servers and lets the
gemeente follow both kernen the way a person does: it signs in to the gemeente's beheer over
HTTP and adds each kern by its address. What the kernen publish reaches the aggregator only
through federation. A later run reuses the data; `--fresh` starts over.

Ctrl+C (or SIGTERM) stops all three servers and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from node.app import open_database
from node.commands.common import CommandError, port_number
from node.commands.init import create_node
from node.commands.serve import bind_socket
from node.kern.sample import load_sample
from node.settings import CONFIG_FILE, DATABASE_FILE, write_private_file

DEFAULT_FOLDER = Path("pilot-data")
LOGIN_FILE = "demo-login.txt"
STATE_FILE = "pilot.json"
ADMIN = "beheer"
HOST = "127.0.0.1"
START_TIMEOUT = 20.0
FOLLOW_TIMEOUT = 20.0
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
# A project of each kern: the aggregator shows both once federation has done its work.
BEESD_PROJECT = "AED dag en nacht bereikbaar"
HEUKELUM_PROJECT = "Veilige fietsoversteek bij de Lingedijk"
# The project the gemeente answers with a reactie on the first run.
REACTIE_PROJECT = "Veilig oversteken bij de basisschool"
REACTIE_TEXT = (
    "Dank voor de verkeerstelling. Het ontwerp voor de oversteek met verlichting en een "
    "drempel gaat in het voorjaar naar de raad; we nodigen de ouders uit om het te bekijken."
)


@dataclass
class PilotNode:
    key: str  # folder and log name
    name: str
    role: str
    slug: str
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def address(self) -> str:
        return f"@{self.slug}@{HOST}:{self.port}"


class _Stop(Exception):
    """SIGINT or SIGTERM arrived: stop the three servers."""


def configure_pilot(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="DIR", default=str(DEFAULT_FOLDER), help="pilot data folder"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="throw the pilot data away and start over"
    )
    # Hidden: the tests run the pilot on free ports, next to a demo that may be running.
    for key, port in (("gemeente", 8000), ("beesd", 8001), ("heukelum", 8002)):
        parser.add_argument(f"--{key}-port", type=port_number, default=port, help=argparse.SUPPRESS)


def run_pilot(args: argparse.Namespace) -> int:
    started = time.monotonic()
    base = Path(args.data)
    nodes = [
        PilotNode("gemeente", "Gemeente West Betuwe", "gemeente", "gemeente", args.gemeente_port,
                  base / "gemeente"),
        PilotNode("beesd", "Beesd", "kern", "beesd", args.beesd_port, base / "beesd"),
        PilotNode("heukelum", "Heukelum", "kern", "heukelum", args.heukelum_port,
                  base / "heukelum"),
    ]  # fmt: skip
    gemeente, beesd, heukelum = nodes
    ports = [node.port for node in nodes]
    if len(set(ports)) != len(ports):
        raise CommandError("the gemeente, Beesd and Heukelum need three different ports")
    # Every port first, before anything is created or started.
    for node in nodes:
        bind_socket(HOST, node.port).close()
    if args.fresh and base.exists():
        shutil.rmtree(base)
    state = _read_state(base)
    wanted = {node.key: node.port for node in nodes}
    if state.get("ports", wanted) != wanted:
        raise CommandError(
            f"{base} was made for other ports ({state['ports']}); start over with --fresh"
        )
    base.mkdir(parents=True, exist_ok=True)
    state["ports"] = wanted
    _write_state(base, state)

    for node in nodes:
        _create(node, gemeente)
    passwords = {node.key: (node.folder / LOGIN_FILE).read_text().strip() for node in nodes}

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def stop_now(signum, frame) -> None:
        raise _Stop()

    for sig in previous:
        signal.signal(sig, stop_now)
    try:
        for node in nodes:
            _launch(node, base)
        for node in nodes:
            _wait_until_up(node, base)
        with httpx.Client(base_url=gemeente.url, timeout=10) as http:
            csrf = _sign_in(http, passwords["gemeente"])
            followed = state.setdefault("followed", [])
            for kern in (beesd, heukelum):
                if kern.key not in followed:
                    _follow(http, csrf, kern)
                    followed.append(kern.key)
                    _write_state(base, state)
            _wait_for_projects(gemeente)
            if not state.get("reactie"):
                _send_reactie(http, csrf, beesd)
                state["reactie"] = True
                _write_state(base, state)
        elapsed = time.monotonic() - started
        _print_ready(nodes, passwords, elapsed)
        while True:
            for node in nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise CommandError(
                        f"{node.name} stopped unexpectedly; see {base / (node.key + '.log')}"
                    )
            time.sleep(0.5)
    except _Stop:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        print("\nStopping the pilot ...", flush=True)
        _stop_all(nodes)
        print("Pilot stopped.", flush=True)
        return 0
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        _stop_all(nodes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- creating the three nodes ------------------------------------------------------------------


def _read_state(base: Path) -> dict:
    try:
        return json.loads((base / STATE_FILE).read_text())
    except FileNotFoundError:
        return {}
    except (ValueError, OSError):
        raise CommandError(f"{base / STATE_FILE} is damaged; start over with --fresh") from None


def _write_state(base: Path, state: dict) -> None:
    (base / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")


def _create(node: PilotNode, gemeente: PilotNode) -> None:
    """Create a node once, as `bloei init` does, with pilot settings, the kern's sample data
    and a demo login that does not have to be changed first."""
    if (node.folder / LOGIN_FILE).exists():
        return
    if (node.folder / CONFIG_FILE).exists():
        raise CommandError(f"{node.folder} was left half made; start over with --fresh")
    if node.role == "gemeente":
        # Pushes bring changes at once; the pull only catches what a kern missed while down.
        settings = {"pull_interval_seconds": 60}
    else:
        settings = {"gemeente_actor": f"{gemeente.url}/actor", "delivery_retry_seconds": 2}
    created = create_node(
        node.folder,
        name=node.name,
        public_url=node.url,
        role=node.role,
        slug=node.slug,
        admin=ADMIN,
        admin_name=f"Beheer {node.name}",
        port=node.port,
        more_settings=settings,
        must_change_password=False,
    )
    if node.role == "kern":
        db = open_database(created.settings)
        try:
            load_sample(db, created.settings, kern=node.key)
        finally:
            db.close()
    write_private_file(node.folder / LOGIN_FILE, created.password.encode())


# --- the three processes -------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if the pilot itself is killed, so none is left behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _launch(node: PilotNode, base: Path) -> None:
    # Its own session: Ctrl+C reaches the pilot only, which then stops each server once.
    with (base / f"{node.key}.log").open("ab") as log:
        node.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", "--dev"]
            + ["--port", str(node.port), "--data", str(node.folder)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def _wait_until_up(node: PilotNode, base: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if node.process is None or node.process.poll() is not None:
            raise CommandError(f"{node.name} did not start; see {base / (node.key + '.log')}")
        try:
            if httpx.get(f"{node.url}/nodeinfo/2.1", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise CommandError(f"{node.name} did not answer within {START_TIMEOUT:.0f} s")
        time.sleep(0.05)


def _stop_all(nodes: list[PilotNode]) -> None:
    running = [node for node in nodes if node.process is not None]
    for node in running:
        if node.process.poll() is None:
            node.process.terminate()
    for node in running:
        try:
            node.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait(timeout=5)
        node.process = None


# --- the gemeente's staff, over HTTP -------------------------------------------------------


def _sign_in(http: httpx.Client, password: str) -> str:
    response = http.post("/beheer/inloggen", data={"username": ADMIN, "password": password})
    if response.status_code != 303:
        raise CommandError("could not sign in to the gemeente's beheer")
    found = CSRF_RE.search(http.get("/beheer").text)
    if found is None:
        raise CommandError("the gemeente's beheer shows no form")
    return found.group(1)


def _follow(http: httpx.Client, csrf: str, kern: PilotNode) -> None:
    """Add the kern by its address in the gemeente's beheer, as staff do."""
    response = http.post(
        "/beheer/kernen", data={"csrf": csrf, "address": kern.address, "rollout": "pilot"}
    )
    if response.status_code == 303:
        return
    if "volgt deze kern al" in response.text:
        return
    raise CommandError(f"the gemeente could not follow {kern.name} ({response.status_code})")


def _wait_for_projects(gemeente: PilotNode) -> None:
    deadline = time.monotonic() + FOLLOW_TIMEOUT
    while True:
        try:
            page = httpx.get(f"{gemeente.url}/projecten", timeout=5).text
        except httpx.TransportError:
            page = ""
        if BEESD_PROJECT in page and HEUKELUM_PROJECT in page:
            return
        if time.monotonic() > deadline:
            raise CommandError(
                f"the gemeente did not show both kernen's projects within {FOLLOW_TIMEOUT:.0f} s"
            )
        time.sleep(0.1)


def _send_reactie(http: httpx.Client, csrf: str, beesd: PilotNode) -> None:
    conn = sqlite3.connect(f"file:{beesd.folder / DATABASE_FILE}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT slug FROM projects WHERE title = ?", (REACTIE_PROJECT,)
        ).fetchone()
    finally:
        conn.close()
    if row is None:
        return
    project = f"{beesd.url}/projecten/{row[0]}"
    response = http.post(f"/beheer/reactie?op={project}", data={"csrf": csrf, "text": REACTIE_TEXT})
    if response.status_code != 303:
        raise CommandError(f"the gemeente could not answer {REACTIE_PROJECT!r}")


def _print_ready(nodes: list[PilotNode], passwords: dict[str, str], elapsed: float) -> None:
    print()
    print("Bloei pilot: the gemeente follows Beesd and Heukelum (development mode, 127.0.0.1)")
    for node in nodes:
        print(f"  {node.name:<21} {node.url}/")
    print()
    print("Beheer logins:")
    for node in nodes:
        print(f"  {node.url}/beheer  user {ADMIN}, password {passwords[node.key]}")
    print()
    print(f"Pilot ready in {elapsed:.1f} s. Ctrl+C stops all three.", flush=True)
