"""The aggregator and two kern nodes as real processes on 127.0.0.1, as the pilot runs them.

The gemeente follows both, sees a change within a second, answers a project with a reactie
that the kern keeps, shows a stopped kern as unreachable and catches up after its restart.

Each node is made with `bloei init` and started with `bloei serve --dev`. People act through
beheer over HTTP; the test reads the gemeente's pages (and its database, only to wait on).
Every wait is bounded. The gemeente pulls every two seconds here
(`BLOEI_PULL_INTERVAL_SECONDS`), so catching up takes seconds, not the default quarter hour.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.processes
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "een-lang-wachtwoord-voor-de-test"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.02)


class Node:
    """One node: its data folder, its server process and a signed-in HTTP session."""

    def __init__(self, folder: Path, name: str, role: str = "kern", **env: str):
        self.folder = folder
        self.name = name
        self.role = role
        self.slug = "gemeente" if role == "gemeente" else name.lower()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.http: httpx.Client | None = None
        self.csrf = ""
        self.env = {**os.environ, **env}

    @property
    def actor(self) -> str:
        return f"{self.url}/actor"

    def init(self) -> subprocess.Popen:
        args = ["init", "--name", self.name, "--url", self.url, "--port", str(self.port)]
        args += ["--role", self.role, "--slug", self.slug, "--data", str(self.folder)]
        return subprocess.Popen(
            [sys.executable, "-m", "node.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=ROOT,
        )

    def launch(self) -> None:
        log = (self.folder.parent / f"{self.slug}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", "--dev", "--data", str(self.folder)],
            stdout=log,
            stderr=log,
            env=self.env,
            cwd=ROOT,
        )
        log.close()

    def wait_until_up(self) -> None:
        def up() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                return httpx.get(f"{self.url}/nodeinfo/2.1", timeout=0.5).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, START_TIMEOUT, f"{self.name} to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def log(self) -> str:
        path = self.folder.parent / f"{self.slug}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def sign_in(self, one_time_password: str) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10)
        login = {"username": "beheerder", "password": one_time_password}
        response = self.http.post("/beheer/inloggen", data=login)
        assert response.headers["location"] == "/beheer/wachtwoord", response.text
        token = CSRF_RE.search(self.http.get("/beheer/wachtwoord").text).group(1)
        change = {"current": one_time_password, "new": PASSWORD, "repeat": PASSWORD}
        response = self.http.post("/beheer/wachtwoord", data={**change, "csrf": token})
        assert response.status_code == 303, response.text
        self.csrf = CSRF_RE.search(self.http.get("/beheer").text).group(1)

    def post(self, path: str, **fields) -> httpx.Response:
        assert self.http is not None
        return self.http.post(path, data={**fields, "csrf": self.csrf})

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.folder / 'bloei.db'}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@pytest.fixture
def pilot(tmp_path) -> Iterator[tuple[Node, Node, Node]]:
    gemeente = Node(
        tmp_path / "gemeente",
        "Gemeente West Betuwe",
        role="gemeente",
        BLOEI_PULL_INTERVAL_SECONDS="2",
    )
    kern_env = {"BLOEI_GEMEENTE_ACTOR": gemeente.actor, "BLOEI_DELIVERY_RETRY_SECONDS": "1"}
    beesd = Node(tmp_path / "beesd", "Beesd", **kern_env)
    heukelum = Node(tmp_path / "heukelum", "Heukelum", **kern_env)
    nodes = (gemeente, beesd, heukelum)
    inits = [node.init() for node in nodes]
    passwords = []
    for init in inits:
        out, err = init.communicate(timeout=60)
        assert init.returncode == 0, err
        passwords.append(re.search(r"One-time password: (\S+)", out).group(1))
    try:
        for node in nodes:
            node.launch()
        for node, password in zip(nodes, passwords, strict=True):
            node.wait_until_up()
            node.sign_in(password)
        yield nodes
    finally:
        for node in nodes:
            node.stop()
            if node.http is not None:
                node.http.close()


def test_the_gemeente_follows_two_kernen_and_catches_up(pilot):
    gemeente, beesd, heukelum = pilot

    # Staff add both kernen by their address; the kernen accept on their own.
    for kern in (beesd, heukelum):
        response = gemeente.post(
            "/beheer/kernen", address=f"@{kern.slug}@127.0.0.1:{kern.port}", rollout="pilot"
        )
        assert response.status_code == 303, response.text
    wait_for(
        lambda: gemeente.query("SELECT state FROM federation_following") == [("accepted",)] * 2,
        10,
        "both kernen to accept",
    )
    assert "Actief" in gemeente.http.get("/beheer").text

    # A change on a kern shows on the gemeente's pages within a second.
    started = time.monotonic()
    response = beesd.post(
        "/beheer/projecten/nieuw",
        title="Veilig oversteken bij de school",
        summary="Een zebrapad met verlichting.",
        phase="idee",
        needs=["besluit_gemeente"],
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: "Veilig oversteken" in httpx.get(f"{gemeente.url}/projecten?gemeente=ja").text,
        1.0,
        "the project on the gemeente's projects page",
    )
    assert time.monotonic() - started < 1.0
    # Staff answer the project: a signed reactie, delivered to Beesd, which keeps it.
    project = gemeente.query("SELECT object_id FROM gemeente_projects")[0][0]
    response = gemeente.post(
        f"/beheer/reactie?op={project}", text="We leggen het zebrapad in maart aan."
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: (
            beesd.query("SELECT actor_id FROM received_objects WHERE type = 'Reactie'")
            == [(gemeente.actor,)]
        ),
        3,
        "the reactie to reach Beesd",
    )
    # ... and shows it on the project's own page (the project's id is that page's address).
    shown = httpx.get(project).text
    assert "Reactie van de gemeente" in shown and "We leggen het zebrapad in maart aan." in shown
    response = heukelum.post(
        "/beheer/themas/nieuw",
        title="Verkeer op de dijk",
        description="Te hard rijden.",
        priority="hoog",
        status="nieuw",
        actor="gemeente",
        actor_other="",
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: "Verkeer op de dijk" in httpx.get(f"{gemeente.url}/themas").text,
        2.0,
        "Heukelum's thema on the gemeente's thema page",
    )

    # Heukelum is stopped: the gemeente shows it as unreachable, with its last known data.
    heukelum.stop()
    wait_for(
        lambda: "Onbereikbaar" in httpx.get(f"{gemeente.url}/").text,
        15,
        "Heukelum to show as unreachable",
    )
    assert "Verkeer op de dijk" in httpx.get(f"{gemeente.url}/themas").text

    # While it is down, Heukelum changes, and its deliveries are lost. After its restart
    # the gemeente's pull brings the change, once.
    missed = _change_offline(heukelum.folder, "Ontmoeten in het dorpshuis")
    heukelum.launch()
    heukelum.wait_until_up()
    wait_for(
        lambda: "Ontmoeten in het dorpshuis" in httpx.get(f"{gemeente.url}/themas").text,
        10,
        "the missed change to be pulled",
    )
    rows = gemeente.query("SELECT count(*) FROM gemeente_objects WHERE object_id = ?", (missed,))
    assert rows == [(1,)]
    wait_for(
        lambda: "Onbereikbaar" not in httpx.get(f"{gemeente.url}/").text,
        5,
        "Heukelum to be active again",
    )
    lag = gemeente.query(
        "SELECT outbox_position - position FROM gemeente_kernen WHERE actor_id = ?",
        (heukelum.actor,),
    )
    assert lag == [(0,)]


def _change_offline(folder: Path, title: str) -> str:
    """Add a thema to a stopped kern's data, as beheer would, and drop its deliveries."""
    from helpers import add_thema

    from node.app import open_database
    from node.settings import load_settings

    settings = load_settings(folder, environ={})
    db = open_database(settings)
    try:
        slug = add_thema(db, settings, title=title)
        db.write(lambda conn: conn.execute("DELETE FROM federation_deliveries"))
    finally:
        db.close()
    return settings.url(f"/agenda/themas/{slug}")
